// CUDA RMSNorm: y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps), one block per row with a fixed
// block reduction (f32; all-bf16 rows of a multiple of 8 read and written 16 bytes at a time).
// x/y/dy/dx are f32 or bf16, w f32 or bf16, rstd f32, dw f32 (a parameter gradient; accumulated
// through the deterministic column sums). The backward forms dw before dx, so dx may alias dy.
// All-bf16 rows of a multiple of 8 up to 2048 wide take one fused backward pass instead: a warp per
// row reads dy and x once (16 bytes per access) for both dx and its share of dw, which each warp
// sums over its rows in registers; the block adds its warps' sums in warp order and a second kernel
// adds the blocks' in block order (deterministic; each lane writes only the dx pieces it read, so dx
// may still alias dy).
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

constexpr int kBackwardWarps = 8, kRowsPerWarp = 8;  // a block: 64 rows -> one row of dw partial sums

// Rows [64 b, 64 b + 64) of the backward (LanePacks: 8-element pieces per lane, packs <= 32 LanePacks).
template <int LanePacks>
__global__ void __launch_bounds__(kBackwardWarps * 32)
    rmsnorm_backward_bf16x8_kernel(const uint4* dy, const uint4* x, const uint4* w, const float* rstd, uint4* dx,
                                   float* partial, int64_t rows, int packs) {
  __shared__ float warp_sums[kBackwardWarps][32 * 8];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  uint4 wp[LanePacks];
  float dw[LanePacks][8];
#pragma unroll
  for (int p = 0; p < LanePacks; ++p) {
    const int q = p * 32 + lane;
    if (q < packs) wp[p] = w[q];
#pragma unroll
    for (int e = 0; e < 8; ++e) dw[p][e] = 0.0f;
  }
  const int64_t first = (int64_t(blockIdx.x) * kBackwardWarps + warp) * kRowsPerWarp;
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int64_t row = first + i;
    if (row >= rows) break;
    const float r = rstd[row];
    uint4 gy[LanePacks], gx[LanePacks];
    float dot = 0.0f;
#pragma unroll
    for (int p = 0; p < LanePacks; ++p) {
      const int q = p * 32 + lane;
      if (q >= packs) continue;
      gy[p] = dy[row * packs + q];
      gx[p] = x[row * packs + q];
      float g[8], v[8], ww[8];
      unpack8(gy[p], g);
      unpack8(gx[p], v);
      unpack8(wp[p], ww);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        dot += g[e] * ww[e] * v[e];
        dw[p][e] += g[e] * v[e] * r;
      }
    }
    dot = warp_sum(dot);
    const float coef = r * r * dot / float(packs * 8);
#pragma unroll
    for (int p = 0; p < LanePacks; ++p) {
      const int q = p * 32 + lane;
      if (q >= packs) continue;
      float g[8], v[8], ww[8], out[8];
      unpack8(gy[p], g);
      unpack8(gx[p], v);
      unpack8(wp[p], ww);
#pragma unroll
      for (int e = 0; e < 8; ++e) out[e] = r * (ww[e] * g[e] - v[e] * coef);
      dx[row * packs + q] = pack8(out);
    }
  }
  // The block's dw partial sums, warps added in order, one 256-column slice at a time.
  float* out = partial + int64_t(blockIdx.x) * packs * 8;
#pragma unroll
  for (int p = 0; p < LanePacks; ++p) {
#pragma unroll
    for (int e = 0; e < 8; ++e) warp_sums[warp][lane * 8 + e] = dw[p][e];
    __syncthreads();
    const int column = p * 256 + int(threadIdx.x);
    if (column < packs * 8) {
      float total = 0.0f;
      for (int v = 0; v < kBackwardWarps; ++v) total += warp_sums[v][threadIdx.x];
      out[column] = total;
    }
    __syncthreads();
  }
}

// The fused bf16 backward: false (nothing launched) when the rows are wider than 2048.
bool rmsnorm_backward_bf16x8(const Tensor& dy, const Tensor& x, const Tensor& w, const float* rstd, Tensor& dx,
                             float* dw, int64_t rows, int64_t d) {
  const int packs = int(d / 8), lane_packs = (packs + 31) / 32;
  if (lane_packs > 8) return false;
  const int64_t blocks = (rows + kBackwardWarps * kRowsPerWarp - 1) / (kBackwardWarps * kRowsPerWarp);
  R1_CHECK(blocks < (int64_t(1) << 31), "rmsnorm_backward: ", rows, " rows exceed the grid");
  DeviceBuffer partial(size_t(blocks) * size_t(d) * sizeof(float));  // [blocks, d]
  auto launch = [&](auto kernel) {
    kernel<<<unsigned(blocks), kBackwardWarps * 32, 0, stream()>>>(
        static_cast<const uint4*>(dy.raw()), static_cast<const uint4*>(x.raw()), static_cast<const uint4*>(w.raw()),
        rstd, static_cast<uint4*>(dx.raw()), partial.as<float>(), rows, packs);
    CUDA_CHECK_LAUNCH();
  };
  if (lane_packs <= 1)
    launch(rmsnorm_backward_bf16x8_kernel<1>);
  else if (lane_packs <= 2)
    launch(rmsnorm_backward_bf16x8_kernel<2>);
  else if (lane_packs <= 4)
    launch(rmsnorm_backward_bf16x8_kernel<4>);
  else
    launch(rmsnorm_backward_bf16x8_kernel<8>);
  column_finish_kernel<<<unsigned((d + kThreads - 1) / kThreads), kThreads, 0, stream()>>>(partial.as<float>(), blocks,
                                                                                           d, dw);
  CUDA_CHECK_LAUNCH();
  return true;
}

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
  if (bf16x8_rows(d, {&dy, &x, &w, &dx}) &&
      rmsnorm_backward_bf16x8(dy, x, w, pr, dx, static_cast<float*>(dw.raw()), rows, d))
    return;
  dispatch_float(x, op, "x", [&](auto tx) {
    dispatch_float(dy, op, "dy", [&](auto tg) {
      using X = typename decltype(tx)::type;
      using G = typename decltype(tg)::type;
      accumulate_column_sums(
          WeightGradValue<G, X>{static_cast<const G*>(dy.raw()), static_cast<const X*>(x.raw()), pr, d}, rows, d,
          static_cast<float*>(dw.raw()));
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
