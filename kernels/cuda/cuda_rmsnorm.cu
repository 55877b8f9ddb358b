// CUDA RMSNorm: y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps), one block per row with a fixed
// block reduction (f32; all-bf16 rows of a multiple of 8 read and written 16 bytes at a time).
// x/y/dy/dx are f32 or bf16, w f32 or bf16, rstd f32, dw f32 (a parameter gradient; accumulated
// through the deterministic column sums). The backward forms dw before dx, so dx may alias dy.
#include "kernels/cuda/cuda_column_sums.cuh"
#include "kernels/cuda/cuda_ops.hpp"
#include "kernels/cuda/cuda_rmsnorm_row.cuh"

namespace r1::ops::cuda {

namespace {


template <class X, class W, class Y>
__global__ void rmsnorm_forward_kernel(const X* x, const W* w, Y* y, float* rstd, int64_t d, float eps) {
  __shared__ float scratch[32];
  const int64_t row = blockIdx.x;
  const X* xr = x + row * d;
  float ss = 0.0f;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    const float v = to_f32(xr[j]);
    ss += v * v;
  }
  ss = block_sum(ss, scratch);
  const float inv = 1.0f / sqrtf(ss / float(d) + eps);
  if (threadIdx.x == 0) rstd[row] = inv;
  Y* yr = y + row * d;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) yr[j] = from_f32<Y>(to_f32(xr[j]) * inv * to_f32(w[j]));
}

// The same for bf16 x, w and y with d % 8 == 0 and 16-byte aligned rows (cuda_rmsnorm_row.cuh).
__global__ void rmsnorm_forward_bf16x8_kernel(const bf16_t* x, const bf16_t* w, bf16_t* y, float* rstd, int64_t d,
                                              float eps) {
  rmsnorm_row_bf16x8(x, w, y, rstd, d, eps);
}

// dx_k = r * (w_k dy_k - x_k r^2 / d * sum_j dy_j w_j x_j).
template <class X, class W, class G, class DX>
__global__ void rmsnorm_backward_dx_kernel(const G* dy, const X* x, const W* w, const float* rstd, DX* dx, int64_t d) {
  __shared__ float scratch[32];
  const int64_t row = blockIdx.x;
  const X* xr = x + row * d;
  const G* dyr = dy + row * d;
  float dot = 0.0f;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) dot += to_f32(dyr[j]) * to_f32(w[j]) * to_f32(xr[j]);
  dot = block_sum(dot, scratch);  // ends synchronised: every dy read above is done before dx is written
  const float inv = rstd[row];
  const float coef = inv * inv * dot / float(d);
  DX* dxr = dx + row * d;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x)
    dxr[j] = from_f32<DX>(inv * (to_f32(w[j]) * to_f32(dyr[j]) - to_f32(xr[j]) * coef));
}

// dw_j contribution of row r: dy_j x_j rstd_r.
template <class G, class X>
struct WeightGradValue {
  const G* dy;
  const X* x;
  const float* rstd;
  int64_t cols;
  __device__ float operator()(int64_t r, int64_t c) const {
    return to_f32(dy[r * cols + c]) * to_f32(x[r * cols + c]) * rstd[r];
  }
};

}  // namespace

void rmsnorm_forward(const Tensor& x, const Tensor& w, double eps, Tensor& y, Tensor& rstd) {
  const char* op = "rmsnorm_forward";
  check_device_tensor(op, x, "x");
  const int64_t rows = x.rows(), d = x.cols();
  check_device_numel(op, w, d, "weight");
  check_device_numel(op, y, x.numel(), "output");
  check_device_numel(op, rstd, rows, "rstd");
  check_dtype(op, rstd, DType::f32, "rstd");
  if (rows == 0 || d == 0) return;
  checked_int(rows, op, "rows");
  if (bf16x8_rows(d, {&x, &w, &y})) {
    rmsnorm_forward_bf16x8_kernel<<<unsigned(rows), kRowThreads, 0, stream()>>>(
        static_cast<const bf16_t*>(x.raw()), static_cast<const bf16_t*>(w.raw()), static_cast<bf16_t*>(y.raw()),
        static_cast<float*>(rstd.raw()), d, float(eps));
    CUDA_CHECK_LAUNCH();
    return;
  }
  dispatch_float(x, op, "x", [&](auto tx) {
    dispatch_float(w, op, "weight", [&](auto tw) {
      dispatch_float(y, op, "output", [&](auto ty) {
        using X = typename decltype(tx)::type;
        using W = typename decltype(tw)::type;
        using Y = typename decltype(ty)::type;
        rmsnorm_forward_kernel<<<unsigned(rows), kRowThreads, 0, stream()>>>(
            static_cast<const X*>(x.raw()), static_cast<const W*>(w.raw()), static_cast<Y*>(y.raw()),
            static_cast<float*>(rstd.raw()), d, float(eps));
        CUDA_CHECK_LAUNCH();
      });
    });
  });
}

void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& rstd, Tensor& dx, Tensor& dw) {
  const char* op = "rmsnorm_backward";
  check_device_tensor(op, x, "x");
  const int64_t rows = x.rows(), d = x.cols();
  check_device_numel(op, dy, x.numel(), "dy");
  check_device_numel(op, w, d, "weight");
  check_device_numel(op, rstd, rows, "rstd");
  check_dtype(op, rstd, DType::f32, "rstd");
  check_device_numel(op, dx, x.numel(), "dx");
  check_device_numel(op, dw, d, "dw");
  check_dtype(op, dw, DType::f32, "dw (a parameter gradient)");
  if (rows == 0 || d == 0) return;
  checked_int(rows, op, "rows");
  const float* pr = static_cast<const float*>(rstd.raw());
  dispatch_float(x, op, "x", [&](auto tx) {
    dispatch_float(dy, op, "dy", [&](auto tg) {
      using X = typename decltype(tx)::type;
      using G = typename decltype(tg)::type;
      accumulate_column_sums(WeightGradValue<G, X>{static_cast<const G*>(dy.raw()), static_cast<const X*>(x.raw()), pr, d},
                             rows, d, static_cast<float*>(dw.raw()));
      dispatch_float(w, op, "weight", [&](auto tw) {
        dispatch_float(dx, op, "dx", [&](auto tdx) {
          using W = typename decltype(tw)::type;
          using DX = typename decltype(tdx)::type;
          rmsnorm_backward_dx_kernel<<<unsigned(rows), kRowThreads, 0, stream()>>>(
              static_cast<const G*>(dy.raw()), static_cast<const X*>(x.raw()), static_cast<const W*>(w.raw()), pr,
              static_cast<DX*>(dx.raw()), d);
          CUDA_CHECK_LAUNCH();
        });
      });
    });
  });
}

}  // namespace r1::ops::cuda
