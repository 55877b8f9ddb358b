// Linear-time scanning helpers for LaTeX answer strings: trimming, brace matching (with `\{` and
// `\}` treated as literal characters), and splitting at a separator only where it is not nested
// inside brackets, braces or a \begin...\end environment. The answer extractor, the normaliser
// and the equivalence checker share them so that all three agree on what "nested" means.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace r1::rewards {

std::string_view trim(std::string_view text);
bool is_ascii_letter(char c);
bool is_ascii_digit(char c);

// Position of the `}` closing the `{` at `open` (which must hold '{'), or npos when unbalanced.
size_t matching_brace(std::string_view text, size_t open);

// Position just past the `\name` command that starts at `pos` (text[pos] == '\\'): a run of letters,
// or one non-letter character (`\{`, `\,`, `\\`).
size_t command_end(std::string_view text, size_t pos);

// True when `text` has the command `\name` at `pos`, not followed by another letter (so `\in` does
// not match `\infty`).
bool command_at(std::string_view text, size_t pos, std::string_view name);

// Splits at every occurrence of `separator` (a plain string such as "," or "\\\\" or "&", or a
// command such as "\\cup") at nesting depth 0. Openers: ( [ { \{ \begin{..}; closers: ) ] } \}
// \end{..}. Mismatched bracket kinds still nest (intervals like [1,2) count as one level).
std::vector<std::string_view> split_top_level(std::string_view text, std::string_view separator);

// True when `separator` occurs at depth 0 (same rules as split_top_level).
bool has_top_level(std::string_view text, std::string_view separator);

// When `text` is one bracketed group from its first to its last character, e.g. "(1,2]" or
// "\{a,b\}", returns the opening and closing delimiters and the inside. "(a)(b)" is not one group.
struct BracketGroup {
  std::string_view open, close, inside;
};
bool outer_brackets(std::string_view text, BracketGroup& group);

}  // namespace r1::rewards
