// Normalizer steps with Hugging Face semantics: Prepend only touches non-empty text; Replace
// substitutes every non-overlapping match left to right; Strip removes White_Space code points.
#include "io/tokenizer/tokenizer_normalizer.hpp"

namespace r1::bpe {
namespace {

void replace_all(std::string& text, const Regex& pattern, const std::string& content) {
  std::string out;
  size_t previous_end = 0;
  bool any = false;
  pattern.for_each_match(text, [&](size_t begin, size_t end) {
    any = true;
    out.append(text, previous_end, begin - previous_end).append(content);
    previous_end = end;
  });
  if (!any) return;
  out.append(text, previous_end, std::string::npos);
  text = std::move(out);
}

}  // namespace

void Normalizer::apply(std::string& text) const {
  for (const NormalizerStep& step : steps) {
    switch (step.kind) {
      case NormalizerStep::Kind::unicode:
        text = unicode_normalize(text, step.form);
        break;
      case NormalizerStep::Kind::lowercase:
        text = unicode_lowercase(text);
        break;
      case NormalizerStep::Kind::strip: {
        const size_t tail = step.strip_right ? trailing_white_space_bytes(text) : 0;
        text.resize(text.size() - tail);
        if (step.strip_left) text.erase(0, leading_white_space_bytes(text));
        break;
      }
      case NormalizerStep::Kind::replace:
        replace_all(text, *step.pattern, step.content);
        break;
      case NormalizerStep::Kind::prepend:
        if (!text.empty()) text.insert(0, step.content);
        break;
    }
  }
}

}  // namespace r1::bpe
