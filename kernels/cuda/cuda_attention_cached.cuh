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

// Output row `local` of the pass, query head `head`, from its chunks' partial results: out =
// sum_c exp(m_c - M) o_c / sum_c exp(m_c - M) l_c over the chunks below len in order, the value
// columns spread over the calling block's threads. The one combine both partial kernels' results go
// through (a separate kernel, or the tensor-core kernel's own block): the same bits either way.
template <class T>
__device__ __forceinline__ void combine_chunks(const CachedArgs& a, int64_t local, int64_t head, int64_t len) {
  const int64_t used = (len + a.chunk - 1) / a.chunk, row = a.row0 + local;
  const int64_t part = (local * a.q_heads + head) * a.chunks;
  const float* ml = a.part_ml + part * 2;
  float m = -INFINITY;
  for (int64_t c = 0; c < used; ++c) m = fmaxf(m, ml[2 * c]);
  float l = 0.0f;
  for (int64_t c = 0; c < used; ++c) l += expf(ml[2 * c] - m) * ml[2 * c + 1];
  const float inv = 1.0f / l;
  T* out = static_cast<T*>(a.out) + (row * a.q_heads + head) * a.value_dim;
  for (int64_t d = threadIdx.x; d < a.value_dim; d += blockDim.x) {
    float acc = 0.0f;
    for (int64_t c = 0; c < used; ++c) acc += expf(ml[2 * c] - m) * a.part_out[(part + c) * a.value_dim + d];
    out[d] = from_f32<T>(acc * inv);
  }
}

// The chunks' partial results by tensor cores, when the cache is bf16 with separate values of the
// keys' width 64 or 128, at most 16 query heads per KV head and chunks of multiples of 64 keys (grid
// as the scalar kernel's over this pass' rows): `partials` (the combine kernel follows), or, when the
// rows alone give a block per multiprocessor, `complete`: one block per (row, KV head) takes the
// row's chunks one after another and combines them itself (same bits). `none`: nothing launched.
enum class CachedMma { none, partials, complete };
CachedMma cached_partial_mma(const CachedArgs& a, int64_t rows, int64_t head_tiles, DType dtype, bool shared_values,
                             bool vec);

}  // namespace r1::ops::cuda
