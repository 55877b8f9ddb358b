// Tensor-core building blocks shared by the hand-written bf16 kernels (flash attention, the grouped
// expert weight gradient): the m16n8k16 bf16 MMA with f32 accumulators (mma.sync, sm_80+), cp.async
// copies into shared memory, and ldmatrix loads of A and B fragments from shared-memory tiles.
// Fragment layouts (PTX ISA, "mma.m16n8k16"), with g = lane / 4 and t = lane % 4:
//   A [16 x 16]: a0 = (g, 2t..2t+1), a1 = (g+8, 2t..), a2 = (g, 2t+8..), a3 = (g+8, 2t+8..)
//   B [16 x 8]:  b0 = (k 2t..2t+1, n g), b1 = (k 2t+8.., n g)
//   C [16 x 8]:  c0,c1 = (g, 2t..2t+1), c2,c3 = (g+8, 2t..2t+1)
#pragma once
#include <cstdint>

#include "kernels/cuda/cuda_common.cuh"

namespace r1::ops::cuda {

__device__ __forceinline__ void mma_bf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t smem_address(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes from global to shared memory without passing through registers (cp.async, sm_80+);
// zeros when !valid (global is then not read). Groups of copies are committed, then waited for.
__device__ __forceinline__ void cp_async_16(void* shared, const void* global, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_address(shared)), "l"(global),
               "r"(valid ? 16 : 0));
}
// The same with the shared-memory address already in the shared window (e.g. a swizzled offset).
__device__ __forceinline__ void cp_async_16_at(uint32_t shared, const void* global, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(shared), "l"(global), "r"(valid ? 16 : 0));
}
// 4 bytes the same way (through L1: cp.async.ca), for the strided f32 row statistics.
__device__ __forceinline__ void cp_async_4(void* shared, const void* global, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(smem_address(shared)), "l"(global),
               "r"(valid ? 4 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;\n" ::); }
// Waits until at most Pending committed groups are still in flight.
template <int Pending>
__device__ __forceinline__ void cp_async_wait_pending() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
}

// Rows [0, Rows) (of `valid` present ones, valid >= 1) of bf16 rows starting at `first`, row_stride
// elements apart, into a [Rows, Pad] shared tile (row stride ld) by cp.async; missing rows and columns
// >= dim are zero-filled by the copies themselves; the caller commits and waits. The Threads threads
// of the block cover Threads / (Pad / 8) rows per pass at fixed columns, so each copy is a pointer
// step and one instruction. Needs dim % 8 == 0 and 16-byte aligned rows.
template <int Rows, int Pad, int Threads>
__device__ __forceinline__ void copy_rows_async(bf16_t* tile, int ld, const bf16_t* first, int64_t row_stride,
                                                int valid, int dim) {
  constexpr int kPerRow = Pad / 8, kRowsPerPass = Threads / kPerRow;
  constexpr int kPasses = (Rows + kRowsPerPass - 1) / kRowsPerPass;
  static_assert(kRowsPerPass > 0, "a pass must cover at least one row");
  const int r0 = int(threadIdx.x) / kPerRow, c = (int(threadIdx.x) % kPerRow) * 8;
  if (r0 >= kRowsPerPass) return;  // threads past the last whole row of a pass
  const bool column_ok = c < dim;
  const int step = kRowsPerPass * int(row_stride);  // a tile spans < 2^31 elements
  const bf16_t* from = first + r0 * row_stride + c;
  bf16_t* to = tile + r0 * ld + c;
#pragma unroll
  for (int i = 0; i < kPasses; ++i) {
    const int r = r0 + i * kRowsPerPass;
    if (kPasses * kRowsPerPass > Rows && r >= Rows) break;
    const bool ok = column_ok && r < valid;
    cp_async_16(to + i * kRowsPerPass * ld, ok ? from + i * step : first, ok);
  }
}

// Four 8x8 bf16 matrices from shared memory into fragment registers; this lane supplies the row
// address `p` (lanes 0-7 the first matrix's rows, 8-15 the second's, ...); Trans transposes each.
template <bool Trans>
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const bf16_t* p) {
  if constexpr (Trans)
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_address(p)));
  else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_address(p)));
}

// A fragment of rows [r0, r0+16) x columns [c0, c0+16) of a row-major bf16 tile (row stride ld elements).
__device__ __forceinline__ void load_a(uint32_t (&a)[4], const bf16_t* tile, int ld, int r0, int c0) {
  const int lane = threadIdx.x & 31;
  ldmatrix_x4<false>(a, tile + (r0 + (lane & 7) + ((lane >> 3) & 1) * 8) * ld + c0 + (lane >> 4) * 8);
}

// The A fragment of rows [r0, r0+16) x columns [c0, c0+16) of A from a tile holding A^T (stored [k][m],
// row stride ld): rows k0.. of the tile are A's columns, transposed by ldmatrix.
__device__ __forceinline__ void load_a_km(uint32_t (&a)[4], const bf16_t* tile, int ld, int k0, int m0) {
  const int lane = threadIdx.x & 31;
  ldmatrix_x4<true>(a, tile + (k0 + (lane & 7) + (lane >> 4) * 8) * ld + m0 + ((lane >> 3) & 1) * 8);
}

// B fragments of two n-tiles from a tile stored [n][k] (row-major, "B^T"): b[0], b[1] for n-tile
// [n0, n0+8) and b[2], b[3] for [n0+8, n0+16), over k-slice [k0, k0+16).
__device__ __forceinline__ void load_b_nk(uint32_t (&b)[4], const bf16_t* tile, int ld, int n0, int k0) {
  const int lane = threadIdx.x & 31;
  ldmatrix_x4<false>(b, tile + (n0 + (lane & 7) + (lane >> 4) * 8) * ld + k0 + ((lane >> 3) & 1) * 8);
}

// The same two n-tiles from a tile stored [k][n] (row-major B), transposed by ldmatrix.
__device__ __forceinline__ void load_b_kn(uint32_t (&b)[4], const bf16_t* tile, int ld, int k0, int n0) {
  const int lane = threadIdx.x & 31;
  ldmatrix_x4<true>(b, tile + (k0 + (lane & 7) + ((lane >> 3) & 1) * 8) * ld + n0 + (lane >> 4) * 8);
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&h);
}

}  // namespace r1::ops::cuda
