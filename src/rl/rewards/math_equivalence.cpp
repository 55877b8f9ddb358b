// The structural answer comparison behind answers_equivalent (see math_equivalence.hpp).
#include "rl/rewards/math_equivalence.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "rl/rewards/answer_forms.hpp"
#include "rl/rewards/answer_normalization.hpp"
#include "rl/rewards/expression_comparison.hpp"
#include "rl/rewards/latex_scan.hpp"
#include "rl/rewards/math_expression.hpp"

namespace r1::rewards {

namespace {

constexpr int kMaxStructureDepth = 8;
constexpr size_t kMaxListItems = 64;
constexpr int64_t kComparisonBudget = 20000;  // element comparisons per answers_equivalent call

struct BudgetExhausted {};

std::vector<std::string> non_empty_pieces(std::string_view text, std::string_view separator) {
  std::vector<std::string> pieces;
  for (std::string_view piece : split_top_level(text, separator))
    if (!trim(piece).empty()) pieces.emplace_back(trim(piece));
  return pieces;
}

// "(1,2]" / "\{a,b\}" with at least two items, or any set literal.
bool bracketed_list(std::string_view text, BracketGroup& group) {
  if (!outer_brackets(text, group)) return false;
  return group.open == "\\{" || split_top_level(group.inside, ",").size() >= 2;
}

// Items with ± forms replaced by their two values; a bracketed item (a set or a tuple) is kept
// whole (a set expands its own items).
std::vector<std::string> with_plus_minus_expanded(const std::vector<std::string>& items) {
  std::vector<std::string> expanded;
  BracketGroup group;
  for (const std::string& item : items) {
    if (bracketed_list(item, group)) {
      expanded.push_back(item);
      continue;
    }
    for (std::string& variant : expand_plus_minus(item)) expanded.push_back(std::move(variant));
  }
  return expanded;
}

std::string lowercase_without_spaces(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c != ' ') out += char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class EquivalenceChecker {
 public:
  // Comma lists and ± forms as sets, unions of intervals as sets, else one element.
  bool answers(std::string_view a, std::string_view b, int depth) {
    if (a == b) return true;
    if (depth > kMaxStructureDepth) return false;
    if (has_top_level(a, "\\cup") || has_top_level(b, "\\cup"))
      return sets_equal(non_empty_pieces(a, "\\cup"), non_empty_pieces(b, "\\cup"), depth);
    std::vector<std::string> items_a = with_plus_minus_expanded(non_empty_pieces(a, ","));
    std::vector<std::string> items_b = with_plus_minus_expanded(non_empty_pieces(b, ","));
    // A set literal against a bare list of answers ("\{-2, 1\}" vs "1,-2"): compare the set's items.
    BracketGroup set_a, set_b;
    bool is_set_a = outer_brackets(a, set_a) && set_a.open == "\\{";
    bool is_set_b = outer_brackets(b, set_b) && set_b.open == "\\{";
    if (is_set_a != is_set_b) {
      if (is_set_a) items_a = with_plus_minus_expanded(non_empty_pieces(set_a.inside, ","));
      if (is_set_b) items_b = with_plus_minus_expanded(non_empty_pieces(set_b.inside, ","));
      if (items_a.empty() || items_b.empty()) return false;
      return sets_equal(items_a, items_b, depth);
    }
    if (items_a.empty() || items_b.empty()) return false;
    if (items_a.size() == 1 && items_b.size() == 1) return elements(items_a[0], items_b[0], depth);
    return sets_equal(items_a, items_b, depth);
  }

 private:
  int64_t budget_ = kComparisonBudget;

  // Every item of one side equals some item of the other (set semantics).
  bool sets_equal(const std::vector<std::string>& a, const std::vector<std::string>& b, int depth) {
    if (a.empty() || b.empty() || a.size() > kMaxListItems || b.size() > kMaxListItems) return false;
    std::vector<char> matched_b(b.size(), 0);
    for (const std::string& x : a) {
      bool found = false;
      for (size_t j = 0; j < b.size(); ++j)
        if (elements(x, b[j], depth + 1)) {
          matched_b[j] = 1;
          found = true;
        }
      if (!found) return false;
    }
    return std::all_of(matched_b.begin(), matched_b.end(), [](char m) { return m != 0; });
  }

  bool sequences_equal(std::string_view a, std::string_view b, int depth) {
    std::vector<std::string> items_a = non_empty_pieces(a, ","), items_b = non_empty_pieces(b, ",");
    if (items_a.size() != items_b.size() || items_a.size() > kMaxListItems) return false;
    for (size_t i = 0; i < items_a.size(); ++i)
      if (!elements(items_a[i], items_b[i], depth + 1)) return false;
    return true;
  }

  bool percent_forms(std::string_view a, std::string_view b, int depth) {
    bool percent_a = a.ends_with('%'), percent_b = b.ends_with('%');
    if (percent_a) a.remove_suffix(1);
    if (percent_b) b.remove_suffix(1);
    if (percent_a == percent_b) return elements(a, b, depth + 1);
    std::string_view with_percent = percent_a ? a : b, other = percent_a ? b : a;
    return elements(with_percent, other, depth + 1) ||
           elements("\\frac{" + std::string(with_percent) + "}{100}", other, depth + 1);
  }

  bool equations(std::string_view a, std::string_view b) {
    auto difference = [](std::string_view equation) -> std::optional<MathExpression> {
      std::vector<std::string_view> sides = split_top_level(equation, "=");
      if (sides.size() != 2) return std::nullopt;
      std::string difference_text = "(";
      difference_text.append(sides[0]).append(")-(").append(sides[1]).append(")");
      return parse_math_expression(difference_text);
    };
    std::optional<MathExpression> da = difference(a), db = difference(b);
    return da && db && equation_differences_proportional(*da, *db);
  }

  bool matrices(std::string_view a, std::string_view b, int depth) {
    std::optional<MatrixEntries> ma = parse_matrix(a), mb = parse_matrix(b);
    if (ma && mb) {
      if (ma->rows.size() != mb->rows.size()) return false;
      for (size_t r = 0; r < ma->rows.size(); ++r) {
        if (ma->rows[r].size() != mb->rows[r].size()) return false;
        for (size_t c = 0; c < ma->rows[r].size(); ++c)
          if (!elements(ma->rows[r][c], mb->rows[r][c], depth + 1)) return false;
      }
      return true;
    }
    // A column or row vector against a tuple of its entries.
    const MatrixEntries& matrix = ma ? *ma : *mb;
    std::string_view other = ma ? b : a;
    BracketGroup group;
    if (!bracketed_list(other, group) || group.open == "\\{") return false;
    std::vector<std::string_view> entries;
    if (matrix.rows.size() == 1)
      entries = matrix.rows[0];
    else
      for (const auto& row : matrix.rows) {
        if (row.size() != 1) return false;
        entries.push_back(row[0]);
      }
    std::vector<std::string> items = non_empty_pieces(group.inside, ",");
    if (items.size() != entries.size()) return false;
    for (size_t i = 0; i < items.size(); ++i)
      if (!elements(entries[i], items[i], depth + 1)) return false;
    return true;
  }

  bool brackets(std::string_view a, std::string_view b, int depth) {
    BracketGroup ga, gb;
    bool list_a = bracketed_list(a, ga), list_b = bracketed_list(b, gb);
    if (!list_a || !list_b) return false;
    bool set_a = ga.open == "\\{", set_b = gb.open == "\\{";
    if (set_a || set_b) {
      if (!(set_a && set_b)) return false;
      return sets_equal(with_plus_minus_expanded(non_empty_pieces(ga.inside, ",")),
                        with_plus_minus_expanded(non_empty_pieces(gb.inside, ",")), depth);
    }
    if (ga.open != gb.open || ga.close != gb.close) return false;
    return sequences_equal(ga.inside, gb.inside, depth);
  }

  bool elements(std::string_view a, std::string_view b, int depth) {
    if (--budget_ < 0) throw BudgetExhausted{};
    a = trim(a);
    b = trim(b);
    if (a == b) return !a.empty();
    if (a.empty() || b.empty() || depth > kMaxStructureDepth) return false;
    if (a.ends_with('%') || b.ends_with('%')) return percent_forms(a, b, depth);
    if (has_top_level(a, "=") && has_top_level(b, "=") && equations(a, b)) return true;
    std::optional<std::string_view> rest_a = answer_after_prefix(a), rest_b = answer_after_prefix(b);
    if (rest_a || rest_b) return answers(rest_a.value_or(a), rest_b.value_or(b), depth + 1);
    if (parse_matrix(a) || parse_matrix(b)) return matrices(a, b, depth);
    BracketGroup group;
    if (bracketed_list(a, group) || bracketed_list(b, group)) return brackets(a, b, depth);
    if (is_integer_literal(a) && is_integer_literal(b)) return canonical_integer(a) == canonical_integer(b);
    std::optional<char> choice_a = multiple_choice_letter(a), choice_b = multiple_choice_letter(b);
    if (choice_a || choice_b) {
      std::optional<char> letter_a = choice_a ? choice_a : lone_letter(a);
      std::optional<char> letter_b = choice_b ? choice_b : lone_letter(b);
      if (letter_a && letter_b) return *letter_a == *letter_b;
    }
    // Words ("Evelyn", "No") compare as text, ignoring case; lone letters are variables.
    if (a.size() >= 2 && b.size() >= 2 && is_plain_text(a) && is_plain_text(b) &&
        lowercase_without_spaces(a) == lowercase_without_spaces(b))
      return true;
    auto as_expression = [](std::string_view text) {
      if (auto sum = mixed_number_as_sum(text)) return *sum;
      return repeating_decimal_value(text).value_or(std::string(text));
    };
    std::string expression_a = as_expression(a), expression_b = as_expression(b);
    std::optional<MathExpression> parsed_a = parse_math_expression(expression_a);
    std::optional<MathExpression> parsed_b = parse_math_expression(expression_b);
    if (parsed_a && parsed_b) return expressions_equivalent(*parsed_a, *parsed_b);
    return false;
  }
};

}  // namespace

bool answers_equivalent(std::string_view predicted, std::string_view gold) noexcept {
  try {
    std::string_view p = trim(predicted), g = trim(gold);
    if (p.empty() || g.empty()) return false;
    if (p == g) return true;
    if (p.size() > kMaxAnswerChars || g.size() > kMaxAnswerChars) return false;
    std::string normalized_p = normalize_answer(p), normalized_g = normalize_answer(g);
    if (normalized_p.empty() || normalized_g.empty()) return false;
    EquivalenceChecker checker;
    return checker.answers(normalized_p, normalized_g, 0);
  } catch (...) {
    return false;
  }
}

}  // namespace r1::rewards
