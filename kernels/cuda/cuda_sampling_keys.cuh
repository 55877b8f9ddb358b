// Device pieces shared by the two CUDA samplers (cuda_sampling.cu sorts whole rows for top-k;
// cuda_sampling_nucleus.cu sorts only the tokens near the nucleus and draw thresholds): sort keys
// that order a row's tokens by descending logit, ties by ascending id (~orderable(logit) << id_bits
// | id), a token's fixed-point mass read back from its key (sampling_mass.hpp), and a block-wide
// search for the first element whose running sum reaches a target.
#pragma once
#include <cub/cub.cuh>

#include <climits>
#include <cstdint>

#include "kernels/sampling_mass.hpp"

namespace r1::ops::cuda {

constexpr int kChunkThreads = 256;  // threads of the blocks that run block_find

// Ascending unsigned order equals ascending float order; -0 is folded onto +0 (the host treats them
// as equal, so their ids decide).
__device__ __forceinline__ uint32_t orderable_bits(float x) {
  if (x == 0.0f) x = 0.0f;
  const uint32_t u = __float_as_uint(x);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
__device__ __forceinline__ float from_orderable_bits(uint32_t bits) {
  return __uint_as_float((bits & 0x80000000u) ? (bits & 0x7fffffffu) : ~bits);
}

// Key of token `id` with logit x: ascending keys are descending logits, ties by ascending id.
__device__ __forceinline__ uint64_t token_key(float x, uint64_t id, int id_bits) {
  return (uint64_t(~orderable_bits(x)) << id_bits) | id;
}
__device__ __forceinline__ int32_t key_id(uint64_t key, int id_bits) {
  return int32_t(key & ((uint64_t(1) << id_bits) - 1));
}
__device__ __forceinline__ float key_logit(uint64_t key, int id_bits) {
  return from_orderable_bits(~uint32_t(key >> id_bits));
}

// A token's mass exp(logit / T - max / T) in fixed point, from its key.
__device__ __forceinline__ uint64_t key_mass(uint64_t key, int id_bits, double temperature, double max_scaled) {
  return sample_mass(double(key_logit(key, id_bits)) / temperature - max_scaled);
}

// The first index in [0, n) of values[] whose running sum (from `carry`, inclusive) reaches
// `target`, with that sum; index -1 and the total when none does. `value(i)` gives element i. Called
// by all kChunkThreads threads of a block.
struct Found {
  int64_t index;
  uint64_t cum;
};

template <class Value>
__device__ Found block_find(int64_t n, uint64_t carry, uint64_t target, Value value) {
  using Scan = cub::BlockScan<uint64_t, kChunkThreads>;
  __shared__ typename Scan::TempStorage storage;
  __shared__ unsigned long long found;
  __shared__ uint64_t found_cum;
  __syncthreads();  // a previous call's readers of `found` are done
  if (threadIdx.x == 0) found = ULLONG_MAX;
  for (int64_t t0 = 0; t0 < n; t0 += kChunkThreads) {
    const int64_t i = t0 + threadIdx.x;
    const uint64_t v = i < n ? value(i) : 0;
    uint64_t inclusive = 0, aggregate = 0;
    __syncthreads();  // storage and `found` are free for this tile
    Scan(storage).InclusiveSum(v, inclusive, aggregate);
    const uint64_t cum = carry + inclusive;
    if (i < n && cum >= target) atomicMin(&found, (unsigned long long)i);
    __syncthreads();
    const unsigned long long first = found;
    if (first != ULLONG_MAX) {
      if (int64_t(first) == i) found_cum = cum;
      __syncthreads();
      const uint64_t cum_at = found_cum;
      __syncthreads();  // every thread has read found_cum
      return Found{int64_t(first), cum_at};
    }
    carry += aggregate;
  }
  return Found{-1, carry};
}

inline int bits_for(int64_t n) {  // bits to hold 0 .. n-1
  int b = 0;
  while ((int64_t(1) << b) < n) ++b;
  return b;
}

}  // namespace r1::ops::cuda
