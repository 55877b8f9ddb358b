// Jinja lexer (io/jinja): splits template source into text and tag tokens with jinja2's whitespace rules as
// transformers configures them (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False): `{%-`/`-%}`
// strip all whitespace on that side, `{%+` keeps it, a block or comment tag alone on its line loses the line's
// leading spaces and the newline after it. {% raw %} bodies come out as text; comments are dropped.
#pragma once
#include <string>
#include <vector>

namespace r1::jinja {

struct Token {
  enum class Type { text, variable_begin, variable_end, block_begin, block_end, name, string, integer, floating,
                    op, end };
  Type type;
  std::string value;  // text, name, operator, decoded string literal, or number spelling
  int line = 1;
};

// Throws Failure (with the line) on a malformed tag: unterminated tag / comment / string, unexpected character.
std::vector<Token> tokenize(const std::string& source);

std::string describe(const Token& t);  // "'endfor'", "end of print statement", ... for error messages

}  // namespace r1::jinja
