// Leftmost-longest matching of added tokens (the same rule as the Aho-Corasick matcher with
// MatchKind::LeftmostLongest in Hugging Face tokenizers), via a first-byte index, and Hugging
// Face's AddedVocabulary::find_matches filtering (special, single_word) and stripping.
#include "io/tokenizer/bpe_added_tokens.hpp"

#include <algorithm>

#include "io/tokenizer/tokenizer_unicode.hpp"

namespace r1::bpe {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens, const std::vector<std::string>& patterns)
    : tokens_(tokens), patterns_(patterns) {
  if (patterns_.empty())
    for (const auto& t : tokens_) patterns_.push_back(t.content);
  for (size_t i = 0; i < tokens_.size(); ++i)
    if (!patterns_[i].empty()) by_first_byte_[static_cast<unsigned char>(patterns_[i][0])].push_back(int32_t(i));
  for (auto& candidates : by_first_byte_)
    std::stable_sort(candidates.begin(), candidates.end(), [&](int32_t a, int32_t b) {
      return patterns_[size_t(a)].size() > patterns_[size_t(b)].size();
    });
}

void AddedTokenMatcher::split(std::string_view text, bool match_special,
                              const std::function<void(std::string_view, int32_t)>& part) const {
  size_t run_begin = 0;  // end of the last emitted token
  size_t pos = 0;
  while (pos < text.size()) {
    int32_t match = -1;
    for (int32_t index : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      if (text.substr(pos).starts_with(patterns_[size_t(index)])) {
        match = index;
        break;
      }
    }
    if (match < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[size_t(match)];
    size_t start = pos, stop = pos + patterns_[size_t(match)].size();
    pos = stop;  // the search goes on after the match, used or not
    if (token.special && !match_special) continue;
    if (token.single_word && (ends_with_word_character(text.substr(0, start)) ||
                              starts_with_word_character(text.substr(stop))))
      continue;
    if (token.lstrip) start = std::max(start - trailing_white_space_bytes(text.substr(0, start)), run_begin);
    if (token.rstrip) stop += leading_white_space_bytes(text.substr(stop));
    start = std::max(start, run_begin);
    if (start > run_begin) part(text.substr(run_begin, start - run_begin), -1);
    part(text.substr(start, stop - start), token.id);
    run_begin = stop;
  }
  if (run_begin < text.size()) part(text.substr(run_begin), -1);
}

}  // namespace r1::bpe
