// One row of the bf16 RMSNorm forward, eight elements per 16-byte load, for the calling block (one
// block per row), with its pack/unpack helpers and the test for when rows can take that path.
// Shared by rmsnorm_forward (cuda_rmsnorm.cu) and add_rmsnorm_forward (cuda_add_rmsnorm.cu) so the
// fused op has the same bits as the plain one. Each thread reads only the 16-byte pieces
// j = threadIdx.x, threadIdx.x + blockDim.x, ... of the row (the fused op writes those same pieces
// of x just before).
#pragma once
#include <initializer_list>

#include "kernels/cuda/cuda_common.cuh"

namespace r1::ops::cuda {

constexpr int kRowThreads = 256;  // threads per row block of the RMSNorm kernels

__device__ __forceinline__ void unpack8(const uint4& raw, float (&v)[8]) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __bfloat1622float2(h[i]);
    v[2 * i] = f.x;
    v[2 * i + 1] = f.y;
  }
}

__device__ __forceinline__ uint4 pack8(const float (&v)[8]) {
  uint4 raw;
  __nv_bfloat162* h = reinterpret_cast<__nv_bfloat162*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; ++i) h[i] = __floats2bfloat162_rn(v[2 * i], v[2 * i + 1]);
  return raw;
}

// Whether rows of d elements of these tensors can take the 16-byte path: all bf16, d % 8 == 0,
// every base address 16-byte aligned.
inline bool bf16x8_rows(int64_t d, std::initializer_list<const Tensor*> tensors) {
  if (d % 8 != 0) return false;
  for (const Tensor* t : tensors)
    if (t->dtype() != DType::bf16 || (reinterpret_cast<uintptr_t>(t->raw()) & 15) != 0) return false;
  return true;
}

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
