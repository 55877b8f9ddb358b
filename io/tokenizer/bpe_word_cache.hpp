// A bounded, thread-safe cache from pre-token bytes to their BPE ids. Natural text repeats a small
// set of words, so most pre-tokens skip the merge loop. A copy or move starts empty (the cache is
// an optimisation, not state), which keeps the owning Tokenizer copyable.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/tokenizer/bpe_model.hpp"

namespace r1::bpe {

class WordCache {
 public:
  static constexpr size_t kMaxEntries = size_t(1) << 16;
  static constexpr size_t kMaxWordBytes = 256;  // longer pre-tokens are not cached

  WordCache() = default;
  WordCache(const WordCache&) {}
  WordCache& operator=(const WordCache&) {
    clear();
    return *this;
  }

  // Appends the cached ids of `word` to `ids` and returns true, or returns false on a miss.
  bool find(std::string_view word, std::vector<int32_t>& ids) const;
  // Stores ids [first, last) for `word`; when the cache is full it is emptied first.
  void insert(std::string_view word, const int32_t* first, const int32_t* last);
  void clear();

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> entries_;
};

}  // namespace r1::bpe
