// Jinja parser (io/jinja): tokens -> syntax tree, following jinja2's grammar and operator precedence
// (parser.py). Unknown filters, tests and tags are parse errors, as jinja2 reports them at compile time.
#pragma once
#include <vector>

#include "io/jinja/jinja_ast.hpp"
#include "io/jinja/jinja_lexer.hpp"

namespace r1::jinja {

// Throws Failure with the line of the offending token.
Body parse_template(const std::vector<Token>& tokens);

}  // namespace r1::jinja
