// Whether a predicted final answer means the same as the reference answer (the rule-based math
// verifier behind the accuracy reward and `r1 verify`). Both strings are first normalised
// (answer_normalization.hpp), then compared structurally:
//   - answers separated by top-level commas ("1,-2", "3, 5, 7") and ± forms ("1 \pm \sqrt{19}")
//     are sets of answers: order-insensitive, and equal to a set literal of the same items;
//   - unions of intervals (\cup) are order-insensitive sets of intervals;
//   - set literals \{a, b\} are order-insensitive; tuples, points and intervals "(a, b]" are
//     order-sensitive and the bracket kinds must agree ("[1,2)" is not "[1,2]");
//   - matrices \begin{pmatrix}...\end{pmatrix} compare entry-wise (a one-column or one-row matrix
//     also matches a tuple of its entries);
//   - "x = 5", "y=2x+3", "x \in [-2,7]", "\frac{10}{2} = 5" compare by their right-hand side; two
//     equations compare as equations ("y = 2x + 3" vs "2x - y + 3 = 0");
//   - "50%" equals both "50" and "0.5" (MATH drops the percent sign; 50% is also 0.5);
//   - mixed numbers "1\frac{4}{5}" are 1 + 4/5; repeating decimals "0.\overline{3}" are 1/3;
//   - a multiple-choice option "(C)" equals "C" and "c";
//   - words ("Evelyn", "No") compare as normalised text, ignoring case;
//   - integer literals compare exactly; everything else is parsed into an expression
//     (math_expression.hpp) and compared numerically (expression_comparison.hpp); what cannot be
//     parsed is equal only when the normalised strings are.
// Never throws. Bounded time: inputs over kMaxAnswerChars characters are compared as exact
// (trimmed) strings only, nesting is capped and the number of element comparisons is budgeted.
#pragma once
#include <cstddef>
#include <string_view>

namespace r1::rewards {

inline constexpr size_t kMaxAnswerChars = 1000;

bool answers_equivalent(std::string_view predicted, std::string_view gold) noexcept;

}  // namespace r1::rewards
