// Added tokens (special tokens such as <|endoftext|>, and any other tokens registered outside the
// BPE merges) and their matching in text before pre-tokenization, with Hugging Face's rules: the
// leftmost occurrence wins, and among tokens starting there the longest; a match that may not be
// used (a special token when special tokens are plain text, a single_word token inside a word) is
// skipped and the search goes on after it; lstrip / rstrip take the White_Space around a match
// into the token.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::bpe {

struct AddedToken {
  std::string content;  // the text as it appears in the input (not byte-level mapped)
  int32_t id = -1;
  bool special = true;   // special tokens are skipped when encoding with SpecialTokens::plain
  bool lstrip = false;   // absorbs the White_Space before it
  bool rstrip = false;   // absorbs the White_Space after it
  bool single_word = false;  // matches only with no word character right before or after it
  bool normalized = false;   // matched in normalized text (its content normalized too), not raw text
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // `patterns[i]` is the text that stands for tokens[i] (its content, or its normalized content);
  // without patterns the contents are used. Empty patterns never match.
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens, const std::vector<std::string>& patterns = {});

  bool empty() const { return tokens_.empty(); }

  // Cuts `text` into ordinary text runs and added tokens, in order: calls part(run, -1) for a run
  // of ordinary text and part(matched text, id) for a token. Special tokens are matched only
  // when `match_special` is set; non-special added tokens always are.
  void split(std::string_view text, bool match_special,
             const std::function<void(std::string_view, int32_t)>& part) const;

 private:
  std::vector<AddedToken> tokens_;
  std::vector<std::string> patterns_;  // [tokens_]
  // First byte -> indices into tokens_, longest pattern first.
  std::array<std::vector<int32_t>, 256> by_first_byte_;
};

}  // namespace r1::bpe
