// Tokens of the small LaTeX/plain-math subset that math_parser understands. A run of plain letters
// is one command token when it names a function or constant ("sin", "sqrt", "pi"), single-letter
// variables when it is at most two letters long ("xy"), and a lexing failure otherwise: a longer
// word ("Evelyn") is text, not a product of variables.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::rewards {

enum class TokenKind { number, letter, command, symbol };

struct MathToken {
  TokenKind kind;
  std::string text;  // number: "12.5"; letter: "x"; command: "frac" or "{" (no backslash); symbol: "+"
};

inline constexpr size_t kMaxMathTokens = 600;

// nullopt for text outside the subset or longer than kMaxMathTokens tokens. "**" becomes "^".
std::optional<std::vector<MathToken>> lex_math(std::string_view text);

}  // namespace r1::rewards
