// CUDA LM head with softmax cross-entropy, in row chunks (only one [chunk_rows, V] logits buffer,
// f32, exists at a time). Per chunk: a cuBLAS GEMM (bf16 or f32 operands, f32 logits), then one
// block per row for max, log-sum-exp, log p(target) and entropy (double sums, fixed block reductions).
// The backward recomputes each chunk's logits, turns them into dlogits (in place for f32 operands,
// into a bf16 copy for bf16 operands, which the two GEMMs need), then dh = dlogits W (overwritten)
// and dw += dlogits^T h (f32 gradient). h/w share a dtype; targets i32; logp, lse, entropy, dlogp f32.
// The saving forward also writes softmax - onehot (h's dtype) for every row from the same stats
// block; the backward from those rows is two GEMMs over all rows at once (dw read and written once)
// with the per-row factor -logit_scale * dlogp applied to h before and to dh after.
#include <algorithm>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kRowThreads = 1024;

struct LmHeadShape {
  int64_t rows = 0, vocab = 0, dim = 0;
};

LmHeadShape check_lm_head(const char* op, const Tensor& h, const Tensor& w, const Tensor& targets, int64_t chunk_rows) {
  check_device_tensor(op, h, "h");
  check_device_tensor(op, w, "w");
  R1_CHECK(h.dtype() == w.dtype(), op, ": h ", h.describe(), " and w ", w.describe(), " differ in dtype");
  LmHeadShape s{h.rows(), w.rows(), h.cols()};
  R1_CHECK(w.cols() == s.dim, op, ": hidden ", h.describe(), " and head weight ", w.describe(), " differ in width");
  R1_CHECK(chunk_rows >= 1, op, ": chunk_rows = ", chunk_rows, " (must be >= 1)");
  R1_CHECK(targets.defined() && targets.numel() == s.rows, op, ": targets ", targets.describe(), " should have ",
           s.rows, " elements");
  return s;
}

// Targets on the device for the kernels, checked on the host (< V; negative means "no target").
const int32_t* checked_targets(const char* op, const Tensor& targets, int64_t vocab, DeviceBuffer& holder) {
  const std::vector<int32_t> t = host_indices(targets, op, "targets");
  for (size_t n = 0; n < t.size(); ++n)
    R1_CHECK(t[n] < vocab, op, ": target ", t[n], " at row ", n, " is not below the vocabulary size ", vocab);
  holder = upload(t);
  return holder.as<int32_t>();
}

// Four consecutive values of a row, converted (8-byte bf16 or 16-byte f32 stores).
__device__ __forceinline__ void store4(bf16_t* p, float a, float b, float c, float d) {
  const __nv_bfloat162 lo = __floats2bfloat162_rn(a, b), hi = __floats2bfloat162_rn(c, d);
  uint2 packed;
  packed.x = *reinterpret_cast<const uint32_t*>(&lo);
  packed.y = *reinterpret_cast<const uint32_t*>(&hi);
  *reinterpret_cast<uint2*>(p) = packed;
}
__device__ __forceinline__ void store4(float* p, float a, float b, float c, float d) {
  *reinterpret_cast<float4*>(p) = make_float4(a, b, c, d);
}

// Row i of the chunk: z = logits[i, :]; lse, logp and entropy of softmax(z). One read of the row for
// the log-sum-exp: each thread keeps a running max and its sum of exp(z - max) (in double, rescaled
// when the max grows), then the block combines them in a fixed order. Entropy takes a second read, the
// saved softmax - onehot row (when `saved` is not null) another. Rows of a multiple of 4 values (16-byte
// aligned) are read four at a time.
template <class D>
__global__ void lm_head_stats_kernel(const float* logits, int64_t vocab, const int32_t* targets, float* logp,
                                     float* lse, float* entropy, D* saved) {
  __shared__ float scratch_f[32];
  __shared__ double scratch_d[32];
  const int64_t i = blockIdx.x;
  const float* z = logits + i * vocab;
  D* u = saved ? saved + i * vocab : nullptr;
  const bool by_four = vocab % 4 == 0 && reinterpret_cast<uintptr_t>(z) % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(u) % (4 * sizeof(D)) == 0;
  const int quads = by_four ? int(vocab / 4) : 0;
  const float4* z4 = reinterpret_cast<const float4*>(z);
  float thread_max = -INFINITY;
  double thread_sum = 0;
  auto raise_max = [&](float x) {  // rescale the running sum to a larger maximum x
    thread_sum = thread_max == -INFINITY ? 0.0 : thread_sum * exp(double(thread_max) - double(x));
    thread_max = x;
  };
  if (by_four) {
    for (int q = threadIdx.x; q < quads; q += blockDim.x) {
      const float4 x = z4[q];
      const float top = fmaxf(fmaxf(x.x, x.y), fmaxf(x.z, x.w));
      if (top > thread_max) raise_max(top);
      thread_sum +=
          double((expf(x.x - thread_max) + expf(x.y - thread_max)) + (expf(x.z - thread_max) + expf(x.w - thread_max)));
    }
  } else {
    for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) {
      const float x = z[v];
      if (x > thread_max) raise_max(x);
      thread_sum += double(expf(x - thread_max));
    }
  }
  const float max_z = block_max(thread_max, scratch_f);
  const double scaled = thread_max == -INFINITY ? 0.0 : thread_sum * exp(double(thread_max) - double(max_z));
  const double denom = block_sum(scaled, scratch_d);
  const double row_lse = double(max_z) + log(denom);
  if (entropy) {  // H = sum p (lse - z)
    double h = 0;
    for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) {
      const double zv = double(z[v]);
      h += exp(zv - row_lse) * (row_lse - zv);
    }
    h = block_sum(h, scratch_d);
    if (threadIdx.x == 0) entropy[i] = float(h);
  }
  const int32_t target = targets[i];
  if (u) {  // softmax - onehot(target); zeros without a target
    const float row_lse_f = float(row_lse);
    auto unit = [&](float x, int64_t v) {
      if (target < 0) return 0.0f;
      return expf(x - row_lse_f) - (v == target ? 1.0f : 0.0f);
    };
    if (by_four) {
      for (int q = threadIdx.x; q < quads; q += blockDim.x) {
        const float4 x = z4[q];
        const int64_t v = 4 * int64_t(q);
        store4(u + v, unit(x.x, v), unit(x.y, v + 1), unit(x.z, v + 2), unit(x.w, v + 3));
      }
    } else {
      for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) u[v] = from_f32<D>(unit(z[v], v));
    }
  }
  if (threadIdx.x == 0) {
    lse[i] = float(row_lse);
    logp[i] = target < 0 ? 0.0f : float(double(z[target]) - row_lse);
  }
}

// dlogits[i, v] = g * (onehot(target) - exp(z - lse)), g = logit_scale * dlogp; zero rows without
// target. Blocks take rows, threads columns (no per-element 64-bit division).
template <class D>
__global__ void lm_head_dlogits_kernel(const float* logits, int64_t rows, int64_t vocab, const int32_t* targets,
                                       const float* lse, const float* dlogp, float logit_scale, D* dlogits) {
  for (int64_t i = blockIdx.x; i < rows; i += gridDim.x) {
    const int32_t target = targets[i];
    const float g = target >= 0 ? logit_scale * dlogp[i] : 0.0f, row_lse = lse[i];
    const float* z = logits + i * vocab;
    D* out = dlogits + i * vocab;
    for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) {
      float value = target >= 0 ? -g * expf(z[v] - row_lse) : 0.0f;
      if (v == target) value += g;
      out[v] = from_f32<D>(value);
    }
  }
}

// dst[n, :] = factor * dlogp[n] * src[n, :]; blocks take rows.
template <class S, class D>
__global__ void scale_rows_kernel(const S* src, int64_t rows, int64_t cols, const float* dlogp, float factor, D* dst) {
  for (int64_t i = blockIdx.x; i < rows; i += gridDim.x) {
    const float g = factor * dlogp[i];
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x)
      dst[i * cols + j] = from_f32<D>(g * to_f32(src[i * cols + j]));
  }
}

template <class S, class D>
void scale_rows(const S* src, int64_t rows, int64_t cols, const float* dlogp, float factor, D* dst) {
  const unsigned blocks = unsigned(std::min<int64_t>(rows, int64_t(multiprocessor_count()) * 16));
  scale_rows_kernel<<<blocks, 256, 0, stream()>>>(src, rows, cols, dlogp, factor, dst);
  CUDA_CHECK_LAUNCH();
}

// dst = float(double(src) * scale), as the host's token_logprobs rounds the scaled row.
__global__ void scaled_copy_kernel(const float* src, double scale, float* dst, int64_t n) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) dst[i] = float(double(src[i]) * scale);
}

// Both forward entry points; unit_dlogits null: not saved.
void lm_head_forward_impl(const Tensor& h, const Tensor& w, const Tensor& targets, double logit_scale,
                          int64_t chunk_rows, Tensor& logp, Tensor& lse, Tensor& entropy, Tensor* unit_dlogits) {
  const char* op = unit_dlogits ? "lm_head_forward_saving" : "lm_head_forward";
  const LmHeadShape s = check_lm_head(op, h, w, targets, chunk_rows);
  if (unit_dlogits) {
    check_device_tensor(op, *unit_dlogits, "unit_dlogits");
    check_dtype(op, *unit_dlogits, h.dtype(), "unit_dlogits");
    check_device_numel(op, *unit_dlogits, s.rows * s.vocab, "unit_dlogits");
  }
  float* plogp = device_ptr<float>(logp, op, "logp");
  float* plse = device_ptr<float>(lse, op, "lse");
  check_device_numel(op, logp, s.rows, "logp");
  check_device_numel(op, lse, s.rows, "lse");
  float* pent = nullptr;
  if (entropy.defined()) {
    pent = device_ptr<float>(entropy, op, "entropy");
    check_device_numel(op, entropy, s.rows, "entropy");
  }
  if (s.rows == 0) return;
  R1_CHECK(s.vocab > 0, op, ": empty vocabulary in ", w.describe());
  DeviceBuffer target_holder;
  const int32_t* pt = checked_targets(op, targets, s.vocab, target_holder);
  const int64_t chunk = std::min(chunk_rows, s.rows);
  DeviceBuffer logits(size_t(chunk * s.vocab) * sizeof(float));  // [chunk, V]
  const size_t hs = dtype_size(h.dtype());
  for (int64_t r0 = 0; r0 < s.rows; r0 += chunk) {
    const int64_t m = std::min(chunk, s.rows - r0);
    {
      OpProfileScope phase("lm_head.logits_gemm");
      gemm_row_major(false, true, m, s.vocab, s.dim, logit_scale,
                     static_cast<const char*>(h.raw()) + size_t(r0 * s.dim) * hs, s.dim, w.raw(), s.dim, h.dtype(), 0.0,
                     logits.as<void>(), s.vocab, DType::f32, op);
    }
    OpProfileScope phase("lm_head.stats");
    float* ent = pent ? pent + r0 : nullptr;
    if (unit_dlogits && h.dtype() == DType::bf16) {
      lm_head_stats_kernel<<<unsigned(m), kRowThreads, 0, stream()>>>(
          logits.as<float>(), s.vocab, pt + r0, plogp + r0, plse + r0, ent,
          static_cast<bf16_t*>(unit_dlogits->raw()) + r0 * s.vocab);
    } else {
      float* saved = unit_dlogits ? static_cast<float*>(unit_dlogits->raw()) + r0 * s.vocab : nullptr;
      lm_head_stats_kernel<<<unsigned(m), kRowThreads, 0, stream()>>>(logits.as<float>(), s.vocab, pt + r0, plogp + r0,
                                                                      plse + r0, ent, saved);
    }
    CUDA_CHECK_LAUNCH();
  }
}

}  // namespace

void lm_head_forward(const Tensor& h, const Tensor& w, const Tensor& targets, double logit_scale, int64_t chunk_rows,
                     Tensor& logp, Tensor& lse, Tensor& entropy) {
  lm_head_forward_impl(h, w, targets, logit_scale, chunk_rows, logp, lse, entropy, nullptr);
}

void lm_head_forward_saving(const Tensor& h, const Tensor& w, const Tensor& targets, double logit_scale,
                            int64_t chunk_rows, Tensor& logp, Tensor& lse, Tensor& entropy, Tensor& unit_dlogits) {
  lm_head_forward_impl(h, w, targets, logit_scale, chunk_rows, logp, lse, entropy, &unit_dlogits);
}

void lm_head_backward(const Tensor& h, const Tensor& w, const Tensor& targets, const Tensor& lse, const Tensor& dlogp,
                      double logit_scale, int64_t chunk_rows, Tensor& dh, Tensor& dw) {
  const char* op = "lm_head_backward";
  const LmHeadShape s = check_lm_head(op, h, w, targets, chunk_rows);
  const float* plse = device_ptr<float>(lse, op, "lse");
  const float* pdlogp = device_ptr<float>(dlogp, op, "dlogp");
  check_device_numel(op, lse, s.rows, "lse");
  check_device_numel(op, dlogp, s.rows, "dlogp");
  check_device_numel(op, dh, s.rows * s.dim, "dh");
  check_device_numel(op, dw, s.vocab * s.dim, "dw");
  check_dtype(op, dw, DType::f32, "dw (a parameter gradient)");
  if (s.rows == 0) return;
  R1_CHECK(s.vocab > 0, op, ": empty vocabulary in ", w.describe());
  DeviceBuffer target_holder;
  const int32_t* pt = checked_targets(op, targets, s.vocab, target_holder);
  const int64_t chunk = std::min(chunk_rows, s.rows);
  const bool bf16_operands = h.dtype() == DType::bf16;
  DeviceBuffer logits(size_t(chunk * s.vocab) * sizeof(float));                             // [chunk, V] f32
  DeviceBuffer dlogits_bf16(bf16_operands ? size_t(chunk * s.vocab) * sizeof(bf16_t) : 0);  // [chunk, V]
  void* dlogits = bf16_operands ? dlogits_bf16.as<void>() : logits.as<void>();
  const size_t hs = dtype_size(h.dtype()), dhs = dtype_size(dh.dtype());
  for (int64_t r0 = 0; r0 < s.rows; r0 += chunk) {
    const int64_t m = std::min(chunk, s.rows - r0);
    const void* h_chunk = static_cast<const char*>(h.raw()) + size_t(r0 * s.dim) * hs;
    {
      OpProfileScope phase("lm_head.logits_gemm");
      gemm_row_major(false, true, m, s.vocab, s.dim, logit_scale, h_chunk, s.dim, w.raw(), s.dim, h.dtype(), 0.0,
                     logits.as<void>(), s.vocab, DType::f32, op);
    }
    {
      OpProfileScope phase("lm_head.dlogits");
      if (bf16_operands) {
        lm_head_dlogits_kernel<<<unsigned(m), kRowThreads, 0, stream()>>>(logits.as<float>(), m, s.vocab, pt + r0,
                                                                          plse + r0, pdlogp + r0, float(logit_scale),
                                                                          static_cast<bf16_t*>(dlogits));
      } else {
        lm_head_dlogits_kernel<<<unsigned(m), kRowThreads, 0, stream()>>>(logits.as<float>(), m, s.vocab, pt + r0,
                                                                          plse + r0, pdlogp + r0, float(logit_scale),
                                                                          static_cast<float*>(dlogits));
      }
      CUDA_CHECK_LAUNCH();
    }
    // dh[r0 : r0+m] = dlogits [m, V] W [V, d];  dw [V, d] += dlogits^T h[r0 : r0+m].
    {
      OpProfileScope phase("lm_head.dh_gemm");
      gemm_row_major(false, false, m, s.dim, s.vocab, 1.0, dlogits, s.vocab, w.raw(), s.dim, h.dtype(), 0.0,
                     static_cast<char*>(dh.raw()) + size_t(r0 * s.dim) * dhs, s.dim, dh.dtype(), op);
    }
    OpProfileScope phase("lm_head.dw_gemm");
    gemm_row_major(true, false, s.vocab, s.dim, m, 1.0, dlogits, s.vocab, h_chunk, s.dim, h.dtype(), 1.0, dw.raw(),
                   s.dim, DType::f32, op);
  }
}

void lm_head_backward_saved(const Tensor& h, const Tensor& w, const Tensor& unit_dlogits, const Tensor& dlogp,
                            double logit_scale, Tensor& dh, Tensor& dw) {
  const char* op = "lm_head_backward_saved";
  check_device_tensor(op, h, "h");
  check_device_tensor(op, w, "w");
  check_device_tensor(op, unit_dlogits, "unit_dlogits");
  R1_CHECK(h.dtype() == w.dtype(), op, ": h ", h.describe(), " and w ", w.describe(), " differ in dtype");
  check_dtype(op, unit_dlogits, h.dtype(), "unit_dlogits");
  check_dtype(op, dh, h.dtype(), "dh");
  check_dtype(op, dw, DType::f32, "dw (a parameter gradient)");
  const int64_t rows = h.rows(), vocab = w.rows(), dim = h.cols();
  R1_CHECK(w.cols() == dim, op, ": hidden ", h.describe(), " and head weight ", w.describe(), " differ in width");
  check_device_numel(op, unit_dlogits, rows * vocab, "unit_dlogits");
  check_device_numel(op, dh, rows * dim, "dh");
  check_device_numel(op, dw, vocab * dim, "dw");
  const float* pdlogp = device_ptr<float>(dlogp, op, "dlogp");
  check_device_numel(op, dlogp, rows, "dlogp");
  if (rows == 0) return;
  const float factor = float(-logit_scale);
  const size_t hs = dtype_size(h.dtype());
  // dw += U^T (g * h): the factor goes onto h's rows (the GEMM's reduction runs over rows).
  DeviceBuffer scaled_h(size_t(rows * dim) * hs);
  {
    OpProfileScope phase("lm_head.scale_rows");
    if (h.dtype() == DType::bf16)
      scale_rows(static_cast<const bf16_t*>(h.raw()), rows, dim, pdlogp, factor, scaled_h.as<bf16_t>());
    else
      scale_rows(static_cast<const float*>(h.raw()), rows, dim, pdlogp, factor, scaled_h.as<float>());
  }
  {
    OpProfileScope phase("lm_head.dw_gemm");
    gemm_row_major(true, false, vocab, dim, rows, 1.0, unit_dlogits.raw(), vocab, scaled_h.as<void>(), dim, h.dtype(),
                   1.0, dw.raw(), dim, DType::f32, op);
  }
  // dh = g * (U W): f32 product, scaled and rounded once.
  DeviceBuffer product(size_t(rows * dim) * sizeof(float));
  {
    OpProfileScope phase("lm_head.dh_gemm");
    gemm_row_major(false, false, rows, dim, vocab, 1.0, unit_dlogits.raw(), vocab, w.raw(), dim, h.dtype(), 0.0,
                   product.as<void>(), dim, DType::f32, op);
  }
  OpProfileScope phase("lm_head.scale_rows");
  if (dh.dtype() == DType::bf16)
    scale_rows(product.as<float>(), rows, dim, pdlogp, factor, static_cast<bf16_t*>(dh.raw()));
  else
    scale_rows(product.as<float>(), rows, dim, pdlogp, factor, static_cast<float*>(dh.raw()));
}

// The rows' statistics from the same block reduction as the LM head's (lm_head_stats_kernel), on
// the scaled copy of the logits when scale != 1. Tokens already on the device (the sampler's output
// inside a recorded decoding step) are taken as they are; host tokens are checked and uploaded.
void token_logprobs(const Tensor& logits, const Tensor& tokens, double scale, Tensor& logp) {
  const char* op = "token_logprobs";
  const float* pz = device_ptr<float>(logits, op, "logits");
  float* plogp = device_ptr<float>(logp, op, "logp");
  const int64_t rows = logits.rows(), vocab = logits.cols();
  check_device_numel(op, logp, rows, "logp");
  R1_CHECK(tokens.defined() && tokens.dtype() == DType::i32 && tokens.numel() == rows, op, ": tokens ",
           tokens.describe(), " should be i32 with ", rows, " elements");
  if (rows == 0) return;
  DeviceBuffer token_holder;
  const int32_t* pt = nullptr;
  if (tokens.device() == Device::cuda) {
    pt = static_cast<const int32_t*>(tokens.raw());
  } else {
    const std::vector<int32_t> t = host_indices(tokens, op, "tokens");
    for (size_t r = 0; r < t.size(); ++r)
      R1_CHECK(t[r] >= 0 && t[r] < vocab, op, ": token ", t[r], " at row ", r, " is outside the vocabulary of ", vocab);
    token_holder = upload(t);
    pt = token_holder.as<int32_t>();
  }
  DeviceBuffer scaled, lse(size_t(rows) * sizeof(float));
  if (scale != 1.0) {
    const int64_t n = rows * vocab;
    scaled = DeviceBuffer(size_t(n) * sizeof(float));
    scaled_copy_kernel<<<unsigned((n + 255) / 256), 256, 0, stream()>>>(pz, scale, scaled.as<float>(), n);
    CUDA_CHECK_LAUNCH();
    pz = scaled.as<float>();
  }
  lm_head_stats_kernel<<<unsigned(rows), kRowThreads, 0, stream()>>>(pz, vocab, pt, plogp, lse.as<float>(), nullptr,
                                                                     static_cast<float*>(nullptr));
  CUDA_CHECK_LAUNCH();
}

}  // namespace r1::ops::cuda
