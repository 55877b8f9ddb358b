// String-level clean-up of a LaTeX or plain-text answer before it is compared: the formatting
// that never changes the value is removed or spelled one way, so that equal answers usually become
// equal strings and the expression parser sees a small LaTeX subset. Removed or rewritten:
//   $ delimiters, \( \) \[ \], \left / \right / \big..., \displaystyle, \! and the spacing
//   commands, \text{} / \mathrm{} / \mbox{} / \boxed{} wrappers (a wrapped unit such as
//   "\text{ cm}^2" is dropped, "\text{ and }" becomes a comma), degree marks (^\circ, \degree, °),
//   dollar signs, trailing unit words ("5.4 cents"), thousands separators of a lone number
//   (1,000 / 1\,000 / 1{,}000 / 10,\!080), \dfrac / \tfrac / \cfrac -> \frac, base subscripts of
//   numerals (52_8 -> 52), braces around one-character sub/superscripts, a few Unicode symbols
//   (−, ×, ÷, π, √, ∞), whitespace (kept only where it separates a command from a letter), and a
//   trailing full stop. `\%` becomes `%`, which the equivalence checker interprets.
#pragma once
#include <string>
#include <string_view>

namespace r1::rewards {

std::string normalize_answer(std::string_view answer);

// Whitespace removed except one space between a `\command` and a following letter ("\cot x").
std::string compact_spaces(std::string_view text);

}  // namespace r1::rewards
