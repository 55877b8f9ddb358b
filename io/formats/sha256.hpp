// SHA-256 (FIPS 180-4), incremental, for the checksums recorded in dataset files (the source file a
// dataset was imported from) and for the tokenizer identity hash. Hex digests are lower case, as
// printed by `sha256sum`.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace r1 {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t bytes);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // Finishes the hash; the object must not be updated afterwards.
  std::array<uint8_t, 32> digest();
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string sha256_hex(std::string_view text);

// Hashes a whole file in blocks; throws InputError naming the file when it cannot be read.
// `bytes` (optional) receives the file size.
std::string sha256_file_hex(const std::string& path, int64_t* bytes = nullptr);

}  // namespace r1
