// Layout-independent dataset checksum (definition in checkpoint_checksum.hpp).
#include "io/checkpoint/checkpoint_checksum.hpp"

#include <bit>
#include <cstring>

namespace r1 {

static_assert(std::endian::native == std::endian::little, "checkpoint checksums read raw bits little-endian");

namespace {
template <class Bits>
uint64_t sum_terms(const unsigned char* bytes, int64_t count, uint64_t first_index) {
  uint64_t sum = 0;
  for (int64_t i = 0; i < count; ++i) {
    Bits raw;
    std::memcpy(&raw, bytes + size_t(i) * sizeof(Bits), sizeof(Bits));
    uint64_t index = first_index + uint64_t(i);
    sum += splitmix64((index * kChecksumIndexMultiplier) ^ uint64_t(raw));
  }
  return sum;
}
}  // namespace

uint64_t checksum_partial(const void* data, size_t element_size, int64_t count, int64_t first_global_index) {
  R1_CHECK(count >= 0 && first_global_index >= 0, "checksum_partial: count ", count, ", first index ",
           first_global_index);
  if (count == 0) return 0;
  auto bytes = static_cast<const unsigned char*>(data);
  auto first = uint64_t(first_global_index);
  switch (element_size) {
    case 1: return sum_terms<uint8_t>(bytes, count, first);
    case 2: return sum_terms<uint16_t>(bytes, count, first);
    case 4: return sum_terms<uint32_t>(bytes, count, first);
    case 8: return sum_terms<uint64_t>(bytes, count, first);
  }
  R1_CHECK(false, "checksum_partial: element size ", element_size, " is not 1, 2, 4 or 8");
  return 0;
}

uint64_t checksum_partial(const Tensor& values, int64_t first_global_index) {
  if (!values.defined() || values.numel() == 0) return 0;
  R1_CHECK(values.is_host(), "checksum of a non-host tensor ", values.describe());
  return checksum_partial(values.raw(), dtype_size(values.dtype()), values.numel(), first_global_index);
}

}  // namespace r1
