// Counter-based random numbers (Philox4x32-10). A stream is keyed by a hash of its purpose and
// coordinates, e.g. (seed, "sample", step, prompt id, sample id), and its draws are a pure function
// of that key and a counter. So the same sample gets the same random numbers whatever the batch
// composition, the rank layout or the order of evaluation, and weight init is independent of how
// parameters are sharded (each element's value depends only on (seed, tensor name, element index)).
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace r1 {

std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

uint64_t splitmix64(uint64_t x);
uint64_t hash_string(std::string_view s);  // FNV-1a 64
// Mixes a list of words into one 64-bit key (order-sensitive).
uint64_t hash_words(std::initializer_list<uint64_t> words);

class CounterRng {
 public:
  explicit CounterRng(uint64_t key) : key_(key) {}
  CounterRng(std::initializer_list<uint64_t> words) : key_(hash_words(words)) {}

  uint32_t next_u32();
  double uniform();  // in (0, 1), 53 bits
  double normal();   // standard normal (Box-Muller)
  uint64_t below(uint64_t n);  // uniform integer in [0, n)
  uint64_t key() const { return key_; }
  uint64_t position() const { return counter_; }
  void seek(uint64_t position) { counter_ = position; have_ = 0; }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
  std::array<uint32_t, 4> block_{};
  int have_ = 0;
};

// Stateless draws: element `index` of the stream `key` (used for sharding-independent init).
double uniform_at(uint64_t key, uint64_t index);
double normal_at(uint64_t key, uint64_t index);

}  // namespace r1
