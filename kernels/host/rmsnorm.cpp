// Host RMSNorm kernels: y = x * rstd * w with rstd = 1 / sqrt(mean(x^2) + eps) per row (also after
// a residual add: add_rmsnorm_forward, the two ops in sequence here). Row sums are taken in double. The forward saves rstd per row (same dtype as x) for the backward; the
// backward overwrites dx (parallel over rows) and accumulates dw (parallel over column blocks,
// rows in order, so the sum is deterministic).
#include <algorithm>
#include <cmath>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

namespace {
constexpr int64_t kColumnBlock = 32;  // dw columns one backward task owns

void check_rmsnorm_shapes(const char* op, const Tensor& x, const Tensor& w, const Tensor& rstd, const Tensor& out) {
  check_same_dtype(op, x, w);
  check_same_dtype(op, x, rstd);
  check_same_dtype(op, x, out);
  int64_t d = x.cols();
  check_numel(op, w, d, "weight");
  check_numel(op, rstd, x.rows(), "rstd");
  check_numel(op, out, x.numel(), "output");
}
}  // namespace

void rmsnorm_forward(const Tensor& x, const Tensor& w, double eps, Tensor& y, Tensor& rstd) {
  check_rmsnorm_shapes("rmsnorm_forward", x, w, rstd, y);
  int64_t rows = x.rows(), d = x.cols();
  dispatch_float(y, "rmsnorm_forward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>(), *pw = w.data<T>();
    T *py = y.data<T>(), *pr = rstd.data<T>();
    parallel_for("rmsnorm_forward", rows, [=](int64_t r) {
      const T* xr = px + r * d;
      const double ss = sum4(0, d, [&](int64_t j) { return double(xr[j]) * double(xr[j]); });
      double inv = 1.0 / std::sqrt(ss / double(std::max<int64_t>(d, 1)) + eps);
      pr[r] = T(inv);
      T* yr = py + r * d;
      for (int64_t j = 0; j < d; ++j) yr[j] = T(double(xr[j]) * inv * double(pw[j]));
    });
  });
}

void add_rmsnorm_forward(const Tensor& x, const Tensor& y, const Tensor& w, double eps, Tensor& sum, Tensor& normed,
                         Tensor& rstd) {
  add(x, y, sum);
  rmsnorm_forward(sum, w, eps, normed, rstd);
}

// With r = rstd and y_j = w_j x_j r:  dx_k = r * (w_k dy_k - x_k r^2 / d * sum_j dy_j w_j x_j),
// dw_j += sum over rows of dy_j x_j r.
void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& rstd, Tensor& dx, Tensor& dw) {
  check_rmsnorm_shapes("rmsnorm_backward", x, w, rstd, dx);
  check_same_dtype("rmsnorm_backward", x, dy);
  check_same_dtype("rmsnorm_backward", x, dw);
  check_numel("rmsnorm_backward", dy, x.numel(), "dy");
  check_numel("rmsnorm_backward", dw, x.cols(), "dw");
  int64_t rows = x.rows(), d = x.cols();
  dispatch_float(dx, "rmsnorm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *pdy = dy.data<T>(), *px = x.data<T>(), *pw = w.data<T>(), *pr = rstd.data<T>();
    T *pdx = dx.data<T>(), *pdw = dw.data<T>();
    parallel_for("rmsnorm_backward_dx", rows, [=](int64_t r) {
      const T *xr = px + r * d, *dyr = pdy + r * d;
      double inv = double(pr[r]);
      const double dot = sum4(0, d, [&](int64_t j) { return double(dyr[j]) * double(pw[j]) * double(xr[j]); });  // sum_j dy_j w_j x_j
      double coef = inv * inv * dot / double(d);
      T* dxr = pdx + r * d;
      for (int64_t j = 0; j < d; ++j) dxr[j] = T(inv * (double(pw[j]) * double(dyr[j]) - double(xr[j]) * coef));
    });
    int64_t blocks = (d + kColumnBlock - 1) / kColumnBlock;
    parallel_for("rmsnorm_backward_dw", blocks, [=](int64_t b) {
      int64_t c0 = b * kColumnBlock, c1 = std::min(d, c0 + kColumnBlock);
      double acc[kColumnBlock] = {};
      for (int64_t r = 0; r < rows; ++r) {
        const T *xr = px + r * d, *dyr = pdy + r * d;
        double inv = double(pr[r]);
        for (int64_t j = c0; j < c1; ++j) acc[j - c0] += double(dyr[j]) * double(xr[j]) * inv;
      }
      for (int64_t j = c0; j < c1; ++j) pdw[j] = T(double(pdw[j]) + acc[j - c0]);
    });
  });
}

}  // namespace r1::ops::host
