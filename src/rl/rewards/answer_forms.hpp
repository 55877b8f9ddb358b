// Recognisers for the answer shapes that the equivalence checker treats specially: ± forms,
// "x = ..." / "x \in ..." prefixes, matrices, mixed numbers, integer literals and plain words.
// All operate on normalised answers (answer_normalization.hpp) and are linear in their length.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::rewards {

inline constexpr int kMaxPlusMinusExpansions = 3;

// "1\pm\sqrt{5}" -> {"1+\sqrt{5}", "1-\sqrt{5}"} (\mp likewise). More than kMaxPlusMinusExpansions
// signs: the text unchanged, as the only element.
std::vector<std::string> expand_plus_minus(std::string_view text);

// The part after a prefix that only names the answer: "x=5" -> "5", "f(x)=x^2" -> "x^2",
// "x\in[-2,7]" -> "[-2,7]", "\approx3.14" -> "3.14", and for an equality chain whose first side is a
// name or a number, the last side ("\frac{10}{2}=5" -> "5"). nullopt when there is no such prefix.
std::optional<std::string_view> answer_after_prefix(std::string_view text);

// \begin{pmatrix} a & b \\ c & d \end{pmatrix} (also bmatrix, Bmatrix, matrix, smallmatrix, array).
struct MatrixEntries {
  std::vector<std::vector<std::string_view>> rows;
};
std::optional<MatrixEntries> parse_matrix(std::string_view text);

// "1\frac{4}{5}", "-2\frac12" (a proper fraction after an integer) -> "(1+\frac{4}{5})".
std::optional<std::string> mixed_number_as_sum(std::string_view text);

// "0.\overline{3}", "-1.2\overline{34}" (a repeating decimal) -> its value as a decimal string.
std::optional<std::string> repeating_decimal_value(std::string_view text);

// [+-]digits, and its canonical spelling without '+' and leading zeros.
bool is_integer_literal(std::string_view text);
std::string canonical_integer(std::string_view text);

// A multiple-choice option "(C)" and a lone letter "c", as upper-case letters ("(C)" matches "C"
// and "c"; two lone letters are variables and stay case-sensitive).
std::optional<char> multiple_choice_letter(std::string_view text);
std::optional<char> lone_letter(std::string_view text);

// Words, spaces and light punctuation only (no digits, no LaTeX): "Evelyn", "even", "(C)".
bool is_plain_text(std::string_view text);

}  // namespace r1::rewards
