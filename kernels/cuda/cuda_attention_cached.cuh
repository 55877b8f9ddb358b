// Pieces of the cached (generation) attention shared by its two partial-result kernels: the scalar
// one of cuda_attention_cached.cu (any shape and type) and the tensor-core one of
// cuda_attention_cached_mma.cu (bf16 GQA caches, head widths 64 or 128): the launch arguments, the
// checked length of a row's cached prefix, and the tensor-core kernel's entry.
#pragma once
#include <cstdint>
#include <cstdio>

#include "kernels/cuda/cuda_common.cuh"

namespace r1::ops::cuda {

struct CachedArgs {
  const void* q;        // [N, Hq, Dk]
  const void* k_cache;  // [slots, capacity, Hkv, Dk]
  const void* v_cache;  // rows of value_stride elements, Hkv per position (or the key cache itself)
  void* out;            // [N, Hq, Dv]
  float* part_out;      // [pass rows, Hq, chunks, Dv]: unnormalised value sums per chunk
  float* part_ml;       // [pass rows, Hq, chunks, 2]: max score and sum of exp(score - max) per chunk
  const int32_t* row_slot;
  const int32_t* row_pos;
  int64_t row0;  // first row of this pass
  int64_t slots, capacity, kv_heads, q_heads, group, head_tiles, key_dim, value_dim, value_stride, chunk, chunks;
  float scale;
};

// The row's number of cached keys (its position + 1), after checking its slot and position.
__device__ __forceinline__ int64_t row_length(const CachedArgs& a, int64_t row, int32_t* slot_out) {
  const int32_t slot = a.row_slot[row], pos = a.row_pos[row];
  if (slot < 0 || slot >= a.slots || pos < 0 || pos >= a.capacity) {
    if (threadIdx.x == 0)
      printf("attention_cached: row %lld reads slot %d position %d outside the cache (%lld slots of %lld)\n",
             (long long)row, slot, pos, (long long)a.slots, (long long)a.capacity);
    __trap();
  }
  *slot_out = slot;
  return int64_t(pos) + 1;
}

// The chunks' partial results by tensor cores, when the cache is bf16 with separate values of the keys'
// width 64 or 128, at most 16 query heads per KV head and chunks of multiples of 64 keys: launches
// and returns true, else false (nothing launched). Grid as the scalar kernel's over this pass' rows.
bool cached_partial_mma(const CachedArgs& a, int64_t rows, int64_t head_tiles, DType dtype, bool shared_values,
                        bool vec);

}  // namespace r1::ops::cuda
