// Leftmost-longest matching of added tokens (the same rule as the Aho-Corasick matcher with
// MatchKind::LeftmostLongest in Hugging Face tokenizers), via a first-byte index.
#include "io/bpe_added_tokens.hpp"

#include <algorithm>

namespace r1::bpe {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) : tokens_(tokens) {
  for (size_t i = 0; i < tokens_.size(); ++i)
    if (!tokens_[i].content.empty())
      by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(int32_t(i));
  for (auto& candidates : by_first_byte_)
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](int32_t a, int32_t b) { return tokens_[size_t(a)].content.size() > tokens_[size_t(b)].content.size(); });
}

void AddedTokenMatcher::split(std::string_view text, bool match_special,
                              const std::function<void(std::string_view, int32_t)>& part) const {
  size_t run_begin = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const AddedToken* match = nullptr;
    for (int32_t index : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      const AddedToken& candidate = tokens_[size_t(index)];
      if (candidate.special && !match_special) continue;
      if (text.substr(pos).starts_with(candidate.content)) {
        match = &candidate;
        break;
      }
    }
    if (match == nullptr) {
      ++pos;
      continue;
    }
    if (pos > run_begin) part(text.substr(run_begin, pos - run_begin), -1);
    part(text.substr(pos, match->content.size()), match->id);
    pos += match->content.size();
    run_begin = pos;
  }
  if (run_begin < text.size()) part(text.substr(run_begin), -1);
}

}  // namespace r1::bpe
