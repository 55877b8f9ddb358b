// One row of the bf16 RMSNorm forward, eight elements per 16-byte load, for the calling block (one
// block per row); the 16-byte pack/unpack helpers are in cuda_bf16x8.cuh.
// Shared by rmsnorm_forward (cuda_rmsnorm.cu) and add_rmsnorm_forward (cuda_add_rmsnorm.cu) so the
// fused op has the same bits as the plain one. Each thread reads only the 16-byte pieces
// j = threadIdx.x, threadIdx.x + blockDim.x, ... of the row (the fused op writes those same pieces
// of x just before).
#pragma once
#include "kernels/cuda/cuda_bf16x8.cuh"
#include "kernels/cuda/cuda_common.cuh"

namespace r1::ops::cuda {

constexpr int kRowThreads = 256;  // threads per row block of the RMSNorm kernels

// Row blockIdx.x of x [rows, d] (d % 8 == 0, 16-byte aligned): y = x * rstd * w, rstd saved.
__device__ __forceinline__ void rmsnorm_row_bf16x8(const bf16_t* x, const bf16_t* w, bf16_t* y, float* rstd, int64_t d,
                                                   float eps) {
  __shared__ float scratch[32];
  const int64_t row = blockIdx.x, packs = d / 8;
  const uint4* xr = reinterpret_cast<const uint4*>(x + row * d);
  const uint4* wp = reinterpret_cast<const uint4*>(w);
  uint4* yr = reinterpret_cast<uint4*>(y + row * d);
  float ss = 0.0f;
  for (int64_t j = threadIdx.x; j < packs; j += blockDim.x) {
    float v[8];
    unpack8(xr[j], v);
#pragma unroll
    for (int i = 0; i < 8; ++i) ss += v[i] * v[i];
  }
  ss = block_sum(ss, scratch);
  const float inv = 1.0f / sqrtf(ss / float(d) + eps);
  if (threadIdx.x == 0) rstd[row] = inv;
  for (int64_t j = threadIdx.x; j < packs; j += blockDim.x) {
    float v[8], g[8];
    unpack8(xr[j], v);
    unpack8(wp[j], g);
#pragma unroll
    for (int i = 0; i < 8; ++i) v[i] = v[i] * inv * g[i];
    yr[j] = pack8(v);
  }
}

}  // namespace r1::ops::cuda
