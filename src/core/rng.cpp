// Philox4x32-10 (Salmon et al., SC'11) and the streams built on it.
#include "core/rng.hpp"

#include <cmath>

namespace r1 {

std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  constexpr uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t(M0) * c[0];
    uint64_t p1 = uint64_t(M1) * c[2];
    std::array<uint32_t, 4> n = {uint32_t(p1 >> 32) ^ c[1] ^ k[0], uint32_t(p1), uint32_t(p0 >> 32) ^ c[3] ^ k[1],
                                 uint32_t(p0)};
    c = n;
    k[0] += W0;
    k[1] += W1;
  }
  return c;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t hash_string(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t hash_words(std::initializer_list<uint64_t> words) {
  uint64_t h = 0x6A09E667F3BCC908ull;
  for (uint64_t w : words) h = splitmix64(h ^ splitmix64(w));
  return h;
}

static std::array<uint32_t, 4> block_at(uint64_t key, uint64_t block) {
  return philox4x32({uint32_t(block), uint32_t(block >> 32), 0u, 0u}, {uint32_t(key), uint32_t(key >> 32)});
}

uint32_t CounterRng::next_u32() {
  if (have_ == 0) {
    block_ = block_at(key_, counter_ / 4);
    have_ = 4 - int(counter_ % 4);
  }
  uint32_t v = block_[size_t(4 - have_)];
  --have_;
  ++counter_;
  return v;
}

static double to_unit(uint32_t hi, uint32_t lo) {
  uint64_t bits = (uint64_t(hi) << 21) ^ (lo >> 11);  // 53 bits
  return (double(bits & ((1ull << 53) - 1)) + 0.5) / 9007199254740992.0;
}

double CounterRng::uniform() {
  uint32_t a = next_u32();
  uint32_t b = next_u32();
  return to_unit(a, b);
}

double CounterRng::normal() {
  double u1 = uniform(), u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

uint64_t CounterRng::below(uint64_t n) {
  if (n <= 1) return 0;
  uint64_t x = (uint64_t(next_u32()) << 32) | next_u32();
  return x % n;
}

double uniform_at(uint64_t key, uint64_t index) {
  auto b = block_at(key, index);
  return to_unit(b[0], b[1]);
}

double normal_at(uint64_t key, uint64_t index) {
  auto b = block_at(key, index);
  double u1 = to_unit(b[0], b[1]), u2 = to_unit(b[2], b[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace r1
