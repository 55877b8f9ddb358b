// Hopper (sm_90a) warpgroup MMA pieces for the hand-written bf16 GEMMs: shared-memory matrix
// descriptors for tiles stored with the 128-byte swizzle, the m64n128k16 wgmma with f32 accumulators
// in registers, and the fences/commit/wait that order it. A tile here is a stack of 128-byte "lines"
// (64 bf16): line i's 16-byte chunk c sits at chunk position c ^ (i % 8), so eight consecutive lines
// form one 1024-byte swizzle atom (PTX ISA, "Shared Memory Matrix Layout", 128B swizzle).
//   K-major operand (imm-trans 0): line = one M (or N) index, holding 64 consecutive k.
//   MN-major operand (imm-trans 1): line = one k, holding 64 consecutive M (or N) indices.
// Accumulator layout of m64nNk16 (f32), thread = 32 w + lane of the warpgroup, g = lane / 4,
// t = lane % 4: d[4 j + 2 h + e] is row 16 w + g + 8 h, column 8 j + 2 t + e.
// Everything here needs sm_90a; callers guard their kernel bodies with R1_WGMMA_AVAILABLE.
#pragma once
#include <cstdint>

#include "kernels/cuda/cuda_mma.cuh"

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define R1_WGMMA_AVAILABLE 1
#endif

namespace r1::ops::cuda {

// Descriptor of a 128B-swizzled shared-memory matrix (bits: start address >> 4 in [0, 14), leading
// byte offset >> 4 in [16, 30), stride byte offset >> 4 in [32, 46), swizzle mode 1 = 128B in [62, 64)).
// K-major: stride = bytes between groups of 8 lines (M/N direction), leading unused.
// MN-major: stride = bytes between groups of 8 k-lines, leading = bytes between 64-wide M/N chunks.
__device__ __forceinline__ uint64_t wgmma_descriptor(uint32_t shared_address, uint32_t leading_bytes,
                                                     uint32_t stride_bytes) {
  return uint64_t((shared_address >> 4) & 0x3FFF) | uint64_t((leading_bytes >> 4) & 0x3FFF) << 16 |
         uint64_t((stride_bytes >> 4) & 0x3FFF) << 32 | uint64_t(1) << 62;
}

#if defined(R1_WGMMA_AVAILABLE)
// The accumulators must not be moved by the compiler while a wgmma that writes them is in flight.
template <int N>
__device__ __forceinline__ void wgmma_pin(float (&d)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i])::"memory");
}
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int Pending>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(Pending) : "memory");
}
// Shared-memory writes of this thread (cp.async, st.shared) become visible to the async proxy that
// wgmma reads shared memory through; then a barrier publishes them to the warpgroups.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// d[64 x 128] += A[64 x 16] B[16 x 128], both from shared memory; TransA / TransB select MN-major.
template <int TransA, int TransB>
__device__ __forceinline__ void wgmma_m64n128k16(float (&d)[64], uint64_t a, uint64_t b) {
  asm volatile(
      "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %68, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, accumulate, 1, 1, %66, %67;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "l"(a), "l"(b), "n"(TransA), "n"(TransB), "r"(1));
}
#endif

}  // namespace r1::ops::cuda
