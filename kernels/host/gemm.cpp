// Host GEMMs through BLAS: plain, grouped by expert (one BLAS call per non-empty group), the grouped
// weight gradient, and bias add/grad.
#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

#ifdef R1_HAVE_OPENBLAS
extern "C" void openblas_set_num_threads(int);
#endif

namespace r1::ops::host {

void set_blas_threads(int threads) {
#ifdef R1_HAVE_OPENBLAS
  openblas_set_num_threads(threads < 1 ? 1 : threads);
#else
  (void)threads;
#endif
}

void gemm(const Tensor& a, Trans ta, const Tensor& b, Trans tb, Tensor& c, double alpha, double beta) {
  check_same_dtype("gemm", a, b);
  check_same_dtype("gemm", a, c);
  bool at = ta == Trans::yes, bt = tb == Trans::yes;
  int64_t m = at ? a.cols() : a.rows(), k = at ? a.rows() : a.cols();
  int64_t kb = bt ? b.cols() : b.rows(), n = bt ? b.rows() : b.cols();
  R1_CHECK(k == kb, "gemm: inner dimensions differ: ", a.describe(), (at ? "^T" : ""), " x ", b.describe(), (bt ? "^T" : ""));
  R1_CHECK(c.rows() == m && c.cols() == n, "gemm: output ", c.describe(), " should be [", m, ", ", n, "]");
  dispatch_float(c, "gemm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (k == 0) {
      if (beta == 0) c.zero_();
      else scale(c, beta);
      return;
    }
    blas_gemm(at, bt, m, n, k, alpha, a.data<T>(), a.cols(), b.data<T>(), b.cols(), beta, c.data<T>(), c.cols());
  });
}

void grouped_gemm(const Tensor& x, const Tensor& w, Trans tw, const std::vector<int64_t>& offsets, Tensor& y) {
  check_same_dtype("grouped_gemm", x, w);
  check_same_dtype("grouped_gemm", x, y);
  R1_CHECK(w.ndim() == 3, "grouped_gemm: weights must be [G, n, k], got ", w.describe());
  int64_t groups = w.size(0), wn = w.size(1), wk = w.size(2);
  R1_CHECK(int64_t(offsets.size()) == groups + 1, "grouped_gemm: ", offsets.size(), " offsets for ", groups, " groups");
  bool t = tw == Trans::yes;
  int64_t in = t ? wk : wn, out = t ? wn : wk;
  R1_CHECK(x.cols() == in && y.cols() == out && x.rows() == y.rows() && offsets.back() <= x.rows(),
           "grouped_gemm: shapes ", x.describe(), " ", w.describe(), " ", y.describe());
  dispatch_float(y, "grouped_gemm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t g = 0; g < groups; ++g) {
      int64_t r0 = offsets[size_t(g)], rows = offsets[size_t(g) + 1] - r0;
      if (rows <= 0) continue;
      blas_gemm(false, t, rows, out, in, 1.0, x.data<T>() + r0 * in, in, w.data<T>() + g * wn * wk, wk, 0.0,
                y.data<T>() + r0 * out, out);
    }
  });
}

void grouped_gemm_weight_grad(const Tensor& dy, const Tensor& x, const std::vector<int64_t>& offsets, Tensor& dw) {
  check_same_dtype("grouped_gemm_weight_grad", dy, x);
  check_same_dtype("grouped_gemm_weight_grad", dy, dw);
  R1_CHECK(dw.ndim() == 3, "grouped_gemm_weight_grad: dw must be [G, n, k], got ", dw.describe());
  int64_t groups = dw.size(0), n = dw.size(1), k = dw.size(2);
  R1_CHECK(dy.cols() == n && x.cols() == k && int64_t(offsets.size()) == groups + 1,
           "grouped_gemm_weight_grad: shapes ", dy.describe(), " ", x.describe(), " ", dw.describe());
  dispatch_float(dw, "grouped_gemm_weight_grad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t g = 0; g < groups; ++g) {
      int64_t r0 = offsets[size_t(g)], rows = offsets[size_t(g) + 1] - r0;
      if (rows <= 0) continue;
      blas_gemm(true, false, n, k, rows, 1.0, dy.data<T>() + r0 * n, n, x.data<T>() + r0 * k, k, 1.0,
                dw.data<T>() + g * n * k, k);
    }
  });
}

void bias_add(Tensor& y, const Tensor& b) {
  check_same_dtype("bias_add", y, b);
  int64_t n = y.cols();
  check_numel("bias_add", b, n, "bias");
  dispatch_float(y, "bias_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* py = y.data<T>();
    const T* pb = b.data<T>();
    parallel_for("bias_add", y.rows(), [=](int64_t r) {
      for (int64_t j = 0; j < n; ++j) py[r * n + j] += pb[j];
    });
  });
}

void bias_grad(const Tensor& dy, Tensor& db) {
  check_same_dtype("bias_grad", dy, db);
  int64_t n = dy.cols(), rows = dy.rows();
  check_numel("bias_grad", db, n, "bias gradient");
  dispatch_float(db, "bias_grad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pd = dy.data<T>();
    T* pb = db.data<T>();
    parallel_for("bias_grad", n, [=](int64_t j) {
      T s = 0;
      for (int64_t r = 0; r < rows; ++r) s += pd[r * n + j];
      pb[j] += s;
    });
  });
}

}  // namespace r1::ops::host
