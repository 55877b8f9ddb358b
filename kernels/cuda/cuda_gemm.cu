// CUDA matrix products through cuBLAS with f32 accumulation (CUBLAS_COMPUTE_32F, no TF32): the plain
// GEMM, the per-expert grouped GEMM (on Hopper the wgmma kernels of cuda_grouped_gemm_wgmma.cu,
// otherwise one cublasGemmGroupedBatchedEx call over the non-empty groups, pointer arrays uploaded to
// the device) and its weight gradient. Mixed types (bf16 operands into an
// f32 result, e.g. the f32 expert weight gradients) have no grouped cuBLAS form: the weight gradient
// runs as the one-launch kernel of cuda_grouped_weight_grad.cu where it covers the shape, otherwise
// (and for other mixed-type products) as one cublasGemmEx per non-empty group. Tensors are row-major, so every
// product is issued as its transpose in cuBLAS' column-major terms: C^T = op(B)^T op(A)^T.
#include <string>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

cublasOperation_t cublas_op(bool transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; }

// c[r, 0:n] *= beta for r < m (row stride ldc): the k == 0 product.
template <class T>
__global__ void scale_rows_kernel(T* c, int64_t m, int64_t n, int64_t ldc, float beta) {
  const int64_t total = m * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    T* p = c + (i / n) * ldc + i % n;
    *p = from_f32<T>(beta == 0.0f ? 0.0f : to_f32(*p) * beta);
  }
}

// The (a/b, c) dtype pairs cuBLAS computes with f32 accumulation.
void check_gemm_types(DType ab, DType c, const char* op) {
  const bool ok = (ab == DType::bf16 && (c == DType::bf16 || c == DType::f32)) || (ab == DType::f32 && c == DType::f32);
  R1_CHECK(ok, op, ": GEMM operands ", dtype_name(ab), " with output ", dtype_name(c),
           " are not supported (bf16 x bf16 -> bf16/f32, or f32 x f32 -> f32)");
}

// Per-group row ranges from the host offsets, checked against the rows available.
void check_offsets(const std::vector<int64_t>& offsets, int64_t groups, int64_t rows, const char* op) {
  R1_CHECK(int64_t(offsets.size()) == groups + 1, op, ": ", offsets.size(), " offsets for ", groups, " groups");
  R1_CHECK(offsets.front() >= 0 && offsets.back() <= rows, op, ": offsets span [", offsets.front(), ", ",
           offsets.back(), ") but the tensors have ", rows, " rows");
  for (int64_t g = 0; g < groups; ++g)
    R1_CHECK(offsets[size_t(g) + 1] >= offsets[size_t(g)], op, ": offsets decrease at group ", g);
}

// One cublasGemmGroupedBatchedEx call: problem i is column-major C_i[m_i, n_i] = alpha op(A_i) op(B_i) + beta C_i.
struct GroupedProblems {
  std::vector<cublasOperation_t> trans_a, trans_b;
  std::vector<int> m, n, k, lda, ldb, ldc, group_size;
  std::vector<float> alpha, beta;
  std::vector<const void*> a, b;
  std::vector<void*> c;

  void add(cublasOperation_t ta, cublasOperation_t tb, int mi, int ni, int ki, const void* ai, int ldai, const void* bi,
           int ldbi, float beta_i, void* ci, int ldci) {
    trans_a.push_back(ta);
    trans_b.push_back(tb);
    m.push_back(mi);
    n.push_back(ni);
    k.push_back(ki);
    a.push_back(ai);
    lda.push_back(ldai);
    b.push_back(bi);
    ldb.push_back(ldbi);
    c.push_back(ci);
    ldc.push_back(ldci);
    alpha.push_back(1.0f);
    beta.push_back(beta_i);
    group_size.push_back(1);
  }

  void run(DType ab_dtype, DType c_dtype) const {
    const int count = int(m.size());
    if (count == 0) return;
    if (ab_dtype != c_dtype) {
      // cublasGemmGroupedBatchedEx has no mixed-type form (bf16 operands into f32 returns
      // CUBLAS_STATUS_NOT_SUPPORTED): one cublasGemmEx per problem, same arithmetic.
      for (int i = 0; i < count; ++i)
        CUBLAS_CHECK(cublasGemmEx(cublas(), trans_a[size_t(i)], trans_b[size_t(i)], m[size_t(i)], n[size_t(i)],
                                  k[size_t(i)], &alpha[size_t(i)], a[size_t(i)], cuda_data_type(ab_dtype), lda[size_t(i)],
                                  b[size_t(i)], cuda_data_type(ab_dtype), ldb[size_t(i)], &beta[size_t(i)], c[size_t(i)],
                                  cuda_data_type(c_dtype), ldc[size_t(i)], CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
      return;
    }
    DeviceBuffer a_dev = upload(a), b_dev = upload(b), c_dev = upload(c);  // pointer arrays on the device
    CUBLAS_CHECK(cublasGemmGroupedBatchedEx(
        cublas(), trans_a.data(), trans_b.data(), m.data(), n.data(), k.data(), alpha.data(),
        a_dev.as<const void* const>(), cuda_data_type(ab_dtype), lda.data(), b_dev.as<const void* const>(),
        cuda_data_type(ab_dtype), ldb.data(), beta.data(), c_dev.as<void* const>(), cuda_data_type(c_dtype),
        ldc.data(), count, group_size.data(), CUBLAS_COMPUTE_32F));
  }
};

}  // namespace

void gemm_row_major(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const void* a,
                    int64_t lda, const void* b, int64_t ldb, DType ab_dtype, double beta, void* c, int64_t ldc,
                    DType c_dtype, const char* op) {
  check_gemm_types(ab_dtype, c_dtype, op);
  if (m == 0 || n == 0) return;
  if (k == 0) {
    dispatch_float(Tensor::wrap(c, {1}, c_dtype, Device::cuda), op, "output", [&](auto tag) {
      using T = typename decltype(tag)::type;
      scale_rows_kernel<<<grid_blocks(m * n), kThreads, 0, stream()>>>(static_cast<T*>(c), m, n, ldc, float(beta));
      CUDA_CHECK_LAUNCH();
    });
    return;
  }
  const float alpha_f = float(alpha), beta_f = float(beta);
  const cudaDataType_t ab_type = cuda_data_type(ab_dtype);
  // Row-major C[m, n] is column-major C^T[n, m] = op(B)^T op(A)^T: B's stored layout is already the
  // column-major form of B^T (transposed when trans_b), likewise A.
  CUBLAS_CHECK(cublasGemmEx(cublas(), cublas_op(trans_b), cublas_op(trans_a), checked_int(n, op, "n"),
                            checked_int(m, op, "m"), checked_int(k, op, "k"), &alpha_f, b, ab_type,
                            checked_int(ldb, op, "ldb"), a, ab_type, checked_int(lda, op, "lda"), &beta_f, c,
                            cuda_data_type(c_dtype), checked_int(ldc, op, "ldc"), CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT));
}

void gemm(const Tensor& a, Trans ta, const Tensor& b, Trans tb, Tensor& c, double alpha, double beta) {
  const char* op = "gemm";
  check_device_tensor(op, a, "a");
  check_device_tensor(op, b, "b");
  check_device_tensor(op, c, "c");
  R1_CHECK(a.dtype() == b.dtype(), op, ": operands differ in dtype: ", a.describe(), " and ", b.describe());
  const bool at = ta == Trans::yes, bt = tb == Trans::yes;
  const int64_t m = at ? a.cols() : a.rows(), k = at ? a.rows() : a.cols();
  const int64_t kb = bt ? b.cols() : b.rows(), n = bt ? b.rows() : b.cols();
  R1_CHECK(k == kb, op, ": inner dimensions differ: ", a.describe(), (at ? "^T" : ""), " x ", b.describe(),
           (bt ? "^T" : ""));
  R1_CHECK(c.rows() == m && c.cols() == n, op, ": output ", c.describe(), " should be [", m, ", ", n, "]");
  gemm_row_major(at, bt, m, n, k, alpha, a.raw(), a.cols(), b.raw(), b.cols(), a.dtype(), beta, c.raw(), c.cols(),
                 c.dtype(), op);
}

void grouped_gemm(const Tensor& x, const Tensor& w, Trans tw, const std::vector<int64_t>& offsets, Tensor& y) {
  const char* op = "grouped_gemm";
  check_device_tensor(op, x, "x");
  check_device_tensor(op, w, "w");
  check_device_tensor(op, y, "y");
  R1_CHECK(x.dtype() == w.dtype(), op, ": x ", x.describe(), " and w ", w.describe(), " differ in dtype");
  check_gemm_types(x.dtype(), y.dtype(), op);
  R1_CHECK(w.ndim() == 3, op, ": weights must be [G, n, k], got ", w.describe());
  const int64_t groups = w.size(0), wn = w.size(1), wk = w.size(2);
  const bool t = tw == Trans::yes;
  const int64_t in = t ? wk : wn, out = t ? wn : wk;
  R1_CHECK(x.cols() == in && y.cols() == out && x.rows() == y.rows(), op, ": shapes ", x.describe(), " ",
           w.describe(), " ", y.describe());
  check_offsets(offsets, groups, x.rows(), op);
  if (x.dtype() == DType::bf16 && y.dtype() == DType::bf16 &&
      grouped_gemm_wgmma(static_cast<const bf16_t*>(x.raw()), static_cast<const bf16_t*>(w.raw()), t,
                         static_cast<bf16_t*>(y.raw()), in, out, offsets))
    return;
  const size_t xs = dtype_size(x.dtype()), ys = dtype_size(y.dtype());
  const char* px = static_cast<const char*>(x.raw());
  const char* pw = static_cast<const char*>(w.raw());
  char* py = static_cast<char*>(y.raw());
  // Group g, row-major y_g[rows, out] = x_g[rows, in] op(w_g); column-major: y_g^T = op(w_g)^T x_g^T
  // with w_g stored as the column-major [wk, wn] matrix (transposed again when tw = yes).
  GroupedProblems problems;
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t r0 = offsets[size_t(g)], rows = offsets[size_t(g) + 1] - r0;
    if (rows == 0) continue;
    problems.add(t ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N, checked_int(out, op, "output width"),
                 checked_int(rows, op, "group rows"), checked_int(in, op, "input width"),
                 pw + size_t(g * wn * wk) * xs, checked_int(wk, op, "w row stride"), px + size_t(r0 * in) * xs,
                 int(in), 0.0f, py + size_t(r0 * out) * ys, int(out));
  }
  if (in == 0) {  // empty inner dimension: the products are zero
    for (size_t i = 0; i < problems.m.size(); ++i)
      gemm_row_major(false, false, problems.n[i], out, 0, 1.0, nullptr, 0, nullptr, 0, x.dtype(), 0.0,
                     problems.c[i], out, y.dtype(), op);
    return;
  }
  problems.run(x.dtype(), y.dtype());
}

void grouped_gemm_weight_grad(const Tensor& dy, const Tensor& x, const std::vector<int64_t>& offsets, Tensor& dw) {
  const char* op = "grouped_gemm_weight_grad";
  check_device_tensor(op, dy, "dy");
  check_device_tensor(op, x, "x");
  check_device_tensor(op, dw, "dw");
  R1_CHECK(dy.dtype() == x.dtype(), op, ": dy ", dy.describe(), " and x ", x.describe(), " differ in dtype");
  check_gemm_types(x.dtype(), dw.dtype(), op);
  R1_CHECK(dw.ndim() == 3, op, ": dw must be [G, n, k], got ", dw.describe());
  const int64_t groups = dw.size(0), n = dw.size(1), k = dw.size(2);
  R1_CHECK(dy.cols() == n && x.cols() == k && dy.rows() == x.rows(), op, ": shapes ", dy.describe(), " ",
           x.describe(), " ", dw.describe());
  check_offsets(offsets, groups, x.rows(), op);
  if (n == 0 || k == 0) return;
  const size_t xs = dtype_size(x.dtype()), ws = dtype_size(dw.dtype());
  const char* pdy = static_cast<const char*>(dy.raw());
  const char* px = static_cast<const char*>(x.raw());
  char* pdw = static_cast<char*>(dw.raw());
  if (x.dtype() == DType::bf16 && dw.dtype() == DType::f32) {  // one launch: wgmma on Hopper, else mma.sync
    const auto* dy16 = static_cast<const bf16_t*>(dy.raw());
    const auto* x16 = static_cast<const bf16_t*>(x.raw());
    auto* dw32 = static_cast<float*>(dw.raw());
    if (grouped_weight_grad_wgmma(dy16, x16, dw32, n, k, offsets) ||
        grouped_weight_grad_mma(dy16, x16, dw32, n, k, offsets))
      return;
  }
  // dw_g[n, k] += dy_g^T x_g; column-major: dw_g^T[k, n] += x_g^T[k, rows] dy_g[rows, n].
  GroupedProblems problems;
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t r0 = offsets[size_t(g)], rows = offsets[size_t(g) + 1] - r0;
    if (rows == 0) continue;  // adds nothing
    problems.add(CUBLAS_OP_N, CUBLAS_OP_T, checked_int(k, op, "k"), checked_int(n, op, "n"),
                 checked_int(rows, op, "group rows"), px + size_t(r0 * k) * xs, int(k), pdy + size_t(r0 * n) * xs,
                 int(n), 1.0f, pdw + size_t(g * n * k) * ws, int(k));
  }
  problems.run(x.dtype(), dw.dtype());
}

}  // namespace r1::ops::cuda
