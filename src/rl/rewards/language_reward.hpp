// The language-consistency reward (DeepSeek-R1 §2.3.3): the share of the words in the <think>
// block that are in the target language. Words, read from UTF-8:
//   - a run of Latin-script letters (ASCII, Latin-1, Latin Extended) is one Latin word, except a
//     lone letter, which is neutral (in reasoning it is almost always a math variable);
//   - every CJK ideograph is one Chinese word;
//   - a run of letters of another script (Greek, Cyrillic, Arabic, Hebrew, Devanagari, Thai, kana,
//     Hangul) is one word of no target language;
//   - digits, punctuation, symbols, whitespace and LaTeX commands (\frac, \alpha) are neutral.
// Target "en" counts Latin words, "zh" counts CJK words. The score is 0 when there is no <think>
// block, and 1 when the block has no words at all (symbols only mix no languages). The think content runs from the first "<think>" to the next "</think>" (or the
// end of the response when it is unterminated).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rl/rewards/reward.hpp"

namespace r1::rewards {

struct LanguageWordCounts {
  int64_t target = 0, total = 0;
};

// `language` must be one of reward_languages() (InputError otherwise).
LanguageWordCounts count_language_words(std::string_view text, std::string_view language);
std::optional<std::string_view> think_content(std::string_view response);

class LanguageReward final : public Reward {
 public:
  explicit LanguageReward(std::string default_language);
  double score(const Sample& sample) const override;

 private:
  std::string default_language_;
};

}  // namespace r1::rewards
