// Finding the final answer in a model response or a reference solution. Order of preference:
//   1. scope = the content of the last complete <answer>...</answer> pair, else the whole text;
//   2. within the scope, the content of the last well-formed \boxed{...} or \fbox{...} (nested
//      braces handled; an unclosed box, e.g. from a truncated response, is skipped);
//   3. else the rest of the line after the last "#### " (GSM8K style);
//   4. else, only when there is an answer tag, the whole (trimmed) answer content.
// All scans are linear in the text length, so adversarial inputs cannot make this slow.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace r1::rewards {

std::optional<std::string> extract_answer(std::string_view text);

// For reference answers, which are often the bare answer ("\frac{14}{3}"): extract_answer when it
// finds something, else the whole trimmed string.
std::string extract_gold_answer(std::string_view gold);

// Content of the last well-formed \boxed{...} / \fbox{...} in `text`, if any.
std::optional<std::string> last_boxed_content(std::string_view text);

// Content of the last complete <answer>...</answer> pair, if any (not trimmed).
std::optional<std::string_view> last_answer_tag_content(std::string_view text);

}  // namespace r1::rewards
