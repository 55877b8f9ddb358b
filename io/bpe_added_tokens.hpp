// Added tokens (special tokens such as <|endoftext|>, and any other tokens registered outside the
// BPE merges) and their matching in raw text before pre-tokenization: the leftmost occurrence
// wins, and among tokens starting there the longest.
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
  bool special = true;  // special tokens are skipped when encoding with SpecialTokens::plain
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

  // Cuts `text` into ordinary text runs and added tokens, in order: calls part(run, -1) for a run
  // of ordinary text and part(content, id) for a matched token. Special tokens are matched only
  // when `match_special` is set; non-special added tokens always are.
  void split(std::string_view text, bool match_special,
             const std::function<void(std::string_view, int32_t)>& part) const;

 private:
  std::vector<AddedToken> tokens_;
  // First byte -> indices into tokens_, longest content first.
  std::array<std::vector<int32_t>, 256> by_first_byte_;
};

}  // namespace r1::bpe
