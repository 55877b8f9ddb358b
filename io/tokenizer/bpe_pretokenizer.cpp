// Pre-tokenizer pipeline: Split and Metaspace steps, then ByteLevel (prefix space + GPT-2 pattern).
// Split follows Hugging Face's NormalizedString::split: the text is cut into match / gap segments
// (invert swaps the two), the behaviour merges or drops segments, empty pieces are dropped.
#include "io/tokenizer/bpe_pretokenizer.hpp"

#include <algorithm>
#include <string>

namespace r1::bpe {
namespace {

using PieceFn = std::function<void(std::string_view)>;
// A piece and its byte offset in the text it was cut from.
using OffsetPieceFn = std::function<void(std::string_view, size_t)>;

struct Segment {
  size_t begin, end;
  bool match;
};

void split_by_pattern(std::string_view text, const Regex& pattern, SplitBehavior behavior, bool invert,
                      const OffsetPieceFn& piece) {
  if (behavior == SplitBehavior::isolated || behavior == SplitBehavior::removed) {
    // With invert the matches are the content and the gaps the delimiters; Isolated keeps both.
    const bool keep_matches = behavior == SplitBehavior::isolated || invert;
    const bool keep_gaps = behavior == SplitBehavior::isolated || !invert;
    size_t previous_end = 0;
    pattern.for_each_match(text, [&](size_t begin, size_t end) {
      if (keep_gaps && begin > previous_end) piece(text.substr(previous_end, begin - previous_end), previous_end);
      if (keep_matches) piece(text.substr(begin, end - begin), begin);
      previous_end = end;
    });
    if (keep_gaps && previous_end < text.size()) piece(text.substr(previous_end), previous_end);
    return;
  }
  std::vector<Segment> segments;
  size_t previous_end = 0;
  pattern.for_each_match(text, [&](size_t begin, size_t end) {
    if (begin > previous_end) segments.push_back({previous_end, begin, invert});
    segments.push_back({begin, end, !invert});
    previous_end = end;
  });
  if (previous_end < text.size()) segments.push_back({previous_end, text.size(), invert});
  std::vector<Segment> merged;
  bool previous_match = false;
  if (behavior == SplitBehavior::merged_with_next) {
    for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
      if (it->match && !previous_match && !merged.empty())
        merged.back().begin = it->begin;
      else
        merged.push_back(*it);
      previous_match = it->match;
    }
    std::reverse(merged.begin(), merged.end());
  } else {
    for (const Segment& s : segments) {
      const bool join = behavior == SplitBehavior::merged_with_previous ? s.match && !previous_match
                                                                        : s.match == previous_match;
      if (join && !merged.empty())
        merged.back().end = s.end;
      else
        merged.push_back(s);
      previous_match = s.match;
    }
  }
  for (const Segment& s : merged)
    if (s.end > s.begin) piece(text.substr(s.begin, s.end - s.begin), s.begin);
}

// Metaspace on one piece; `at_input_start` says whether the piece begins the encoded input.
void metaspace(std::string_view text, const MetaspaceStep& step, bool at_input_start, const OffsetPieceFn& piece) {
  std::string out;
  out.reserve(text.size() + step.replacement.size() * 2);
  for (char c : text) {
    if (c == ' ')
      out += step.replacement;
    else
      out += c;
  }
  const bool prepend = step.prepend_scheme == PrependScheme::always ||
                       (step.prepend_scheme == PrependScheme::first && at_input_start);
  if (prepend && !std::string_view(out).starts_with(step.replacement)) out.insert(0, step.replacement);
  if (!step.split) {
    if (!out.empty()) piece(out, 0);
    return;
  }
  // MergedWithNext on the replacement: every occurrence starts a new piece.
  size_t begin = 0;
  size_t pos = out.find(step.replacement, step.replacement.size() > 0 ? 1 : 0);
  while (pos != std::string::npos && pos > begin) {
    piece(std::string_view(out).substr(begin, pos - begin), begin);
    begin = pos;
    pos = out.find(step.replacement, pos + 1);
  }
  if (begin < out.size()) piece(std::string_view(out).substr(begin), begin);
}

}  // namespace

const Regex& PreTokenizer::gpt2_regex() {
  static const Regex instance(kGpt2Pattern, PatternSyntax::regex, "built-in GPT-2 pre-tokenizer pattern");
  return instance;
}

void PreTokenizer::split(std::string_view text, bool at_input_start, const PieceFn& piece) const {
  const PieceFn byte_level_step = [&](std::string_view part) {
    if (!byte_level) {
      piece(part);
      return;
    }
    std::string prefixed;
    if (add_prefix_space && part.front() != ' ') {
      prefixed.reserve(part.size() + 1);
      prefixed.append(" ").append(part);
      part = prefixed;
    }
    if (use_regex)
      split_by_pattern(part, gpt2_regex(), SplitBehavior::isolated, false,
                       [&](std::string_view sub, size_t) { piece(sub); });
    else
      piece(part);
  };
  // Chain the steps: step k feeds each of its pieces to step k + 1, the last one to ByteLevel.
  std::function<void(std::string_view, size_t, bool)> run_step = [&](std::string_view part, size_t index,
                                                                     bool at_start) {
    if (index == steps.size()) {
      byte_level_step(part);
      return;
    }
    const auto next = [&](std::string_view sub, size_t offset) { run_step(sub, index + 1, at_start && offset == 0); };
    if (const auto* s = std::get_if<SplitStep>(&steps[index]))
      split_by_pattern(part, s->pattern, s->behavior, s->invert, next);
    else
      metaspace(part, std::get<MetaspaceStep>(steps[index]), at_start, next);
  };
  if (!text.empty()) run_step(text, 0, at_input_start);
}

}  // namespace r1::bpe
