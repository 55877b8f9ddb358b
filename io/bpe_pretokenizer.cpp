// Pre-tokenizer pipeline: Split steps, then ByteLevel (prefix space + GPT-2 pattern).
#include "io/bpe_pretokenizer.hpp"

#include <string>

namespace r1::bpe {
namespace {

using PieceFn = std::function<void(std::string_view)>;

// Splits `text` by `pattern` in the Hugging Face way and emits the non-empty pieces.
void split_by_pattern(std::string_view text, const Regex& pattern, SplitBehavior behavior, bool invert,
                      const PieceFn& piece) {
  // With invert the matches are the content and the gaps the delimiters; Isolated keeps both.
  const bool keep_matches = behavior == SplitBehavior::isolated || invert;
  const bool keep_gaps = behavior == SplitBehavior::isolated || !invert;
  size_t previous_end = 0;
  pattern.for_each_match(text, [&](size_t begin, size_t end) {
    if (keep_gaps && begin > previous_end) piece(text.substr(previous_end, begin - previous_end));
    if (keep_matches) piece(text.substr(begin, end - begin));
    previous_end = end;
  });
  if (keep_gaps && previous_end < text.size()) piece(text.substr(previous_end));
}

}  // namespace

const Regex& PreTokenizer::gpt2_regex() {
  static const Regex instance(kGpt2Pattern, PatternSyntax::regex, "built-in GPT-2 pre-tokenizer pattern");
  return instance;
}

void PreTokenizer::split(std::string_view text, const PieceFn& piece) const {
  const PieceFn byte_level_step = [&](std::string_view part) {
    std::string prefixed;
    if (add_prefix_space && part.front() != ' ') {
      prefixed.reserve(part.size() + 1);
      prefixed.append(" ").append(part);
      part = prefixed;
    }
    if (use_regex)
      split_by_pattern(part, gpt2_regex(), SplitBehavior::isolated, false, piece);
    else
      piece(part);
  };
  // Chain the Split steps: step k feeds each of its pieces to step k + 1, the last one to ByteLevel.
  std::function<void(std::string_view, size_t)> run_step = [&](std::string_view part, size_t step) {
    if (step == splits.size()) {
      byte_level_step(part);
      return;
    }
    const SplitStep& s = splits[step];
    split_by_pattern(part, s.pattern, s.behavior, s.invert, [&](std::string_view sub) { run_step(sub, step + 1); });
  };
  if (!text.empty()) run_step(text, 0);
}

}  // namespace r1::bpe
