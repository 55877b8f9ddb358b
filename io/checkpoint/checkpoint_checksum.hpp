// The per-dataset checksum stored as the attribute `r1_checksum`. It does not depend on how the
// dataset was split over ranks or read in blocks: it is a wrapping (mod 2^64) sum over elements of
//   splitmix64((global_element_index * kChecksumIndexMultiplier) XOR raw_bits(element))
// where global_element_index is the row-major index in the whole dataset and raw_bits is the
// element's stored bytes read as a little-endian unsigned integer (f32 -> 32 bits, bf16 -> 16 bits,
// f64/i64 -> 64 bits, u8 -> 8 bits, text -> one u8 per stored byte). Each rank sums its slice with
// global indices and the partials are added (all-reduce with wrapping addition).
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/tensor.hpp"

namespace r1 {

inline constexpr uint64_t kChecksumIndexMultiplier = 0xD1B54A32D192ED03ull;

// SplitMix64's output function applied to x (Steele, Lea, Flood 2014): splitmix64(0) is the first
// output of the generator seeded with 0, 0xE220A8397B1DCDAF.
inline uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Partial checksum of `count` elements of `element_size` bytes (1, 2, 4 or 8) starting at `data`,
// whose first element has index `first_global_index` in the whole dataset.
uint64_t checksum_partial(const void* data, size_t element_size, int64_t count, int64_t first_global_index);

// Partial checksum of a host tensor's elements (its raw bytes) placed at `first_global_index`.
uint64_t checksum_partial(const Tensor& values, int64_t first_global_index);

}  // namespace r1
