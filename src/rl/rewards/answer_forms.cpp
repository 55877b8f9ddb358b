// Recognisers for special answer shapes (see answer_forms.hpp).
#include "rl/rewards/answer_forms.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "rl/rewards/latex_scan.hpp"
#include "rl/rewards/math_expression.hpp"

namespace r1::rewards {

namespace {

// A single variable ("x", "x_1", "\theta") or a function name applied to one ("f(x)").
bool is_answer_name(std::string_view text) {
  text = trim(text);
  if (text.size() >= 4 && is_ascii_letter(text[0]) && text[1] == '(' && text.back() == ')')
    text = text.substr(2, text.size() - 3);
  std::optional<MathExpression> expression = parse_math_expression(text);
  return expression && expression->nodes.size() == 1 && expression->nodes[0].kind == MathNodeKind::variable;
}

bool is_number_expression(std::string_view text) {
  std::optional<MathExpression> expression = parse_math_expression(text);
  return expression && expression->variable_names.empty();
}

// Position just after a digit run at `pos`, or pos when none.
size_t skip_digits(std::string_view text, size_t pos) {
  while (pos < text.size() && is_ascii_digit(text[pos])) ++pos;
  return pos;
}

// A \frac argument made of digits: "{12}" or one digit. Returns the digits and advances `pos`.
std::optional<std::string_view> digit_argument(std::string_view text, size_t& pos) {
  if (pos < text.size() && text[pos] == '{') {
    size_t end = skip_digits(text, pos + 1);
    if (end == pos + 1 || end >= text.size() || text[end] != '}') return std::nullopt;
    std::string_view digits = text.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    return digits;
  }
  if (pos < text.size() && is_ascii_digit(text[pos])) return text.substr(pos++, 1);
  return std::nullopt;
}

}  // namespace

std::vector<std::string> expand_plus_minus(std::string_view text) {
  std::vector<std::string> variants = {std::string(text)};
  for (int round = 0; round <= kMaxPlusMinusExpansions; ++round) {
    std::vector<std::string> next;
    bool expanded = false;
    for (const std::string& variant : variants) {
      size_t pos = std::string::npos;
      bool minus_first = false;
      for (size_t i = variant.find('\\'); i != std::string::npos; i = variant.find('\\', i + 1)) {
        if (command_at(variant, i, "pm") || command_at(variant, i, "mp")) {
          pos = i;
          minus_first = command_at(variant, i, "mp");
          break;
        }
      }
      if (pos == std::string::npos) {
        next.push_back(variant);
        continue;
      }
      if (round == kMaxPlusMinusExpansions) return {std::string(text)};
      expanded = true;
      std::string head = variant.substr(0, pos), tail = variant.substr(pos + 3);
      next.push_back(head + (minus_first ? "-" : "+") + tail);
      next.push_back(head + (minus_first ? "+" : "-") + tail);
    }
    variants = std::move(next);
    if (!expanded) break;
  }
  return variants;
}

std::optional<std::string_view> answer_after_prefix(std::string_view text) {
  text = trim(text);
  if (text.starts_with("\\approx")) return trim(text.substr(7));
  std::vector<std::string_view> sides = split_top_level(text, "=");
  if (sides.size() >= 2) {
    std::string_view first = trim(sides.front()), last = trim(sides.back());
    if (!last.empty() && (is_answer_name(first) || is_number_expression(first))) return last;
    return std::nullopt;
  }
  for (std::string_view relation : {"\\in", "\\approx"}) {
    std::vector<std::string_view> parts = split_top_level(text, relation);
    if (parts.size() == 2 && !trim(parts[1]).empty() && is_answer_name(parts[0])) return trim(parts[1]);
  }
  return std::nullopt;
}

std::optional<MatrixEntries> parse_matrix(std::string_view text) {
  text = trim(text);
  if (!text.starts_with("\\begin{")) return std::nullopt;
  size_t name_end = text.find('}');
  std::string_view environment = text.substr(7, name_end - 7);
  static const std::array<std::string_view, 6> kEnvironments = {"pmatrix", "bmatrix", "Bmatrix",
                                                                "matrix",  "smallmatrix", "array"};
  bool known = false;
  for (std::string_view e : kEnvironments) known = known || environment == e;
  if (!known) return std::nullopt;
  std::string closing = "\\end{" + std::string(environment) + "}";
  if (!text.ends_with(closing)) return std::nullopt;
  size_t body_start = name_end + 1;
  if (environment == "array" && body_start < text.size() && text[body_start] == '{') {
    size_t spec_end = matching_brace(text, body_start);
    if (spec_end == std::string_view::npos) return std::nullopt;
    body_start = spec_end + 1;
  }
  if (body_start > text.size() - closing.size()) return std::nullopt;
  std::string_view body = text.substr(body_start, text.size() - closing.size() - body_start);
  MatrixEntries matrix;
  for (std::string_view row : split_top_level(body, "\\\\")) {
    if (trim(row).empty()) continue;
    std::vector<std::string_view> entries;
    for (std::string_view entry : split_top_level(row, "&")) entries.push_back(trim(entry));
    matrix.rows.push_back(std::move(entries));
  }
  if (matrix.rows.empty()) return std::nullopt;
  return matrix;
}

std::optional<std::string> mixed_number_as_sum(std::string_view text) {
  text = trim(text);
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) negative = text[pos++] == '-';
  size_t whole_end = skip_digits(text, pos);
  if (whole_end == pos) return std::nullopt;
  std::string_view whole = text.substr(pos, whole_end - pos);
  pos = whole_end;
  if (text.substr(pos, 5) != "\\frac") return std::nullopt;
  pos += 5;
  auto numerator = digit_argument(text, pos);
  if (!numerator) return std::nullopt;
  auto denominator = digit_argument(text, pos);
  if (!denominator || pos != text.size()) return std::nullopt;
  double p = std::strtod(std::string(*numerator).c_str(), nullptr);
  double q = std::strtod(std::string(*denominator).c_str(), nullptr);
  if (q <= 0 || p >= q) return std::nullopt;
  return std::string(negative ? "-" : "") + "(" + std::string(whole) + "+\\frac{" + std::string(*numerator) + "}{" +
         std::string(*denominator) + "})";
}

std::optional<std::string> repeating_decimal_value(std::string_view text) {
  text = trim(text);
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) negative = text[pos++] == '-';
  size_t whole_end = skip_digits(text, pos);
  std::string_view whole = text.substr(pos, whole_end - pos);
  if (whole_end >= text.size() || text[whole_end] != '.') return std::nullopt;
  size_t fixed_end = skip_digits(text, whole_end + 1);
  std::string_view fixed = text.substr(whole_end + 1, fixed_end - whole_end - 1);
  size_t pos_repeat = fixed_end;
  if (text.substr(pos_repeat, 10) != "\\overline{") return std::nullopt;
  size_t repeat_end = skip_digits(text, pos_repeat + 10);
  std::string_view repeat = text.substr(pos_repeat + 10, repeat_end - pos_repeat - 10);
  if (repeat.empty() || repeat.size() > 15 || fixed.size() > 15 || repeat_end + 1 != text.size() ||
      text[repeat_end] != '}')
    return std::nullopt;
  auto as_number = [](std::string_view digits) {
    return digits.empty() ? 0.0 : std::strtod(std::string(digits).c_str(), nullptr);
  };
  // 0.F(R) = (F + R / (10^|R| - 1)) / 10^|F|
  double value = as_number(whole) + (as_number(fixed) + as_number(repeat) / (std::pow(10.0, double(repeat.size())) - 1.0)) /
                                        std::pow(10.0, double(fixed.size()));
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", negative ? -value : value);
  return std::string(buffer);
}

bool is_integer_literal(std::string_view text) {
  size_t pos = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
  return pos < text.size() && skip_digits(text, pos) == text.size();
}

std::string canonical_integer(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  size_t pos = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
  while (pos + 1 < text.size() && text[pos] == '0') ++pos;
  std::string digits(text.substr(pos));
  return (negative && digits != "0" ? "-" : "") + digits;
}

std::optional<char> multiple_choice_letter(std::string_view text) {
  if (text.size() == 3 && text[0] == '(' && is_ascii_letter(text[1]) && text[2] == ')')
    return char(std::toupper(static_cast<unsigned char>(text[1])));
  return std::nullopt;
}

std::optional<char> lone_letter(std::string_view text) {
  if (text.size() == 1 && is_ascii_letter(text[0])) return char(std::toupper(static_cast<unsigned char>(text[0])));
  return std::nullopt;
}

bool is_plain_text(std::string_view text) {
  bool any_letter = false;
  for (char c : text) {
    if (is_ascii_letter(c))
      any_letter = true;
    else if (!(c == ' ' || c == '(' || c == ')' || c == '-' || c == '\'' || c == '.'))
      return false;
  }
  return any_letter;
}

}  // namespace r1::rewards
