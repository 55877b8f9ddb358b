// Lexer for the math expression subset (see math_lexer.hpp).
#include "rl/rewards/math_lexer.hpp"

#include <array>

#include "rl/rewards/latex_scan.hpp"

namespace r1::rewards {

namespace {

bool is_plain_word_command(std::string_view word) {
  static const std::array<std::string_view, 18> kWords = {"sin",    "cos",    "tan",    "cot",  "sec", "csc",
                                                          "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
                                                          "ln",     "log",    "exp",    "sqrt", "pi",  "abs"};
  for (std::string_view w : kWords)
    if (word == w) return true;
  return false;
}

bool is_symbol(char c) {
  static constexpr std::string_view kSymbols = "+-*/^_()[]{}|!,=<>'&:;";
  return kSymbols.find(c) != std::string_view::npos;
}

}  // namespace

std::optional<std::vector<MathToken>> lex_math(std::string_view text) {
  std::vector<MathToken> tokens;
  size_t i = 0;
  while (i < text.size()) {
    if (tokens.size() > kMaxMathTokens) return std::nullopt;
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (is_ascii_digit(c) || (c == '.' && i + 1 < text.size() && is_ascii_digit(text[i + 1]))) {
      size_t start = i;
      while (i < text.size() && is_ascii_digit(text[i])) ++i;
      if (i + 1 < text.size() && text[i] == '.' && is_ascii_digit(text[i + 1])) {
        ++i;
        while (i < text.size() && is_ascii_digit(text[i])) ++i;
      }
      tokens.push_back({TokenKind::number, std::string(text.substr(start, i - start))});
    } else if (is_ascii_letter(c)) {
      size_t start = i;
      while (i < text.size() && is_ascii_letter(text[i])) ++i;
      std::string_view word = text.substr(start, i - start);
      if (is_plain_word_command(word)) {
        tokens.push_back({TokenKind::command, std::string(word)});
      } else if (word.size() <= 2) {
        for (char letter : word) tokens.push_back({TokenKind::letter, std::string(1, letter)});
      } else {
        return std::nullopt;
      }
    } else if (c == '\\') {
      size_t end = command_end(text, i);
      if (end <= i + 1) return std::nullopt;
      tokens.push_back({TokenKind::command, std::string(text.substr(i + 1, end - i - 1))});
      i = end;
    } else if (c == '*' && i + 1 < text.size() && text[i + 1] == '*') {
      tokens.push_back({TokenKind::symbol, "^"});
      i += 2;
    } else if (is_symbol(c)) {
      tokens.push_back({TokenKind::symbol, std::string(1, c)});
      ++i;
    } else {
      return std::nullopt;
    }
  }
  return tokens;
}

}  // namespace r1::rewards
