// Eight bf16 values per 16-byte access: unpacking to and packing from f32, and the test for when rows
// of a set of tensors can move that way. Used by the row kernels that are bound by memory traffic
// (RMSNorm, the MoE token permutation).
#pragma once
#include <initializer_list>

#include "kernels/cuda/cuda_common.cuh"

namespace r1::ops::cuda {

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

// The elementwise sum of two packs of eight, rounded to bf16 once (the arithmetic of one-element
// from_f32(to_f32(a) + to_f32(b))).
__device__ __forceinline__ uint4 add8(const uint4& a, const uint4& b) {
  float x[8], y[8];
  unpack8(a, x);
  unpack8(b, y);
#pragma unroll
  for (int i = 0; i < 8; ++i) x[i] += y[i];
  return pack8(x);
}

// Whether rows of d elements of these tensors can take the 16-byte path: all bf16, d % 8 == 0,
// every base address 16-byte aligned.
inline bool bf16x8_rows(int64_t d, std::initializer_list<const Tensor*> tensors) {
  if (d % 8 != 0) return false;
  for (const Tensor* t : tensors)
    if (t->dtype() != DType::bf16 || (reinterpret_cast<uintptr_t>(t->raw()) & 15) != 0) return false;
  return true;
}

}  // namespace r1::ops::cuda
