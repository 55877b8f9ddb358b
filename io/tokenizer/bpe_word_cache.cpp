// Bounded pre-token -> ids cache (cleared wholesale when full: cheap, and adapts to a new text
// distribution).
#include "io/tokenizer/bpe_word_cache.hpp"

namespace r1::bpe {

bool WordCache::find(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.size() > kMaxWordBytes) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(word);
  if (it == entries_.end()) return false;
  ids.insert(ids.end(), it->second.begin(), it->second.end());
  return true;
}

void WordCache::insert(std::string_view word, const int32_t* first, const int32_t* last) {
  if (word.size() > kMaxWordBytes) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_.emplace(std::string(word), std::vector<int32_t>(first, last));
}

void WordCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
}

}  // namespace r1::bpe
