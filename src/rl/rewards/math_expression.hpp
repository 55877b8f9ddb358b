// A parsed math expression: numbers, variables (x, x_1, \theta), the constants \pi, e, i and
// \infty, + − × ÷ ^, \frac, \sqrt (with an index), \binom, factorials, |absolute values|, common
// functions (\sin ... \arctan, \sinh ..., \ln, \log, \log_b, \exp) and implicit multiplication.
// Stored as a flat node array and evaluated in complex double precision, so that answers can be
// compared numerically at fixed points. Parsing is bounded: at most kMaxMathTokens tokens,
// kMaxMathNodes nodes and kMaxMathDepth levels of nesting; anything outside the subset or over a
// limit gives nullopt (the caller then falls back to comparing strings).
#pragma once
#include <complex>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace r1::rewards {

inline constexpr size_t kMaxMathNodes = 512;
inline constexpr int kMaxMathDepth = 200;

enum class MathFunction { sin, cos, tan, cot, sec, csc, asin, acos, atan, sinh, cosh, tanh, ln, exp, abs };

enum class MathNodeKind {
  number,     // value
  variable,   // variable index
  add,        // left + right
  subtract,   // left - right
  multiply,   // left * right
  divide,     // left / right
  power,      // left ^ right
  negate,     // -left
  function,   // function(left)
  root,       // left-th root of right (\sqrt[left]{right})
  log_base,   // log base left of right
  factorial,  // left!
  binomial,   // binom(left, right)
};

struct MathNode {
  MathNodeKind kind = MathNodeKind::number;
  std::complex<double> value{};
  int32_t variable = -1;
  int32_t left = -1, right = -1;
  MathFunction function = MathFunction::sin;
};

class MathExpression {
 public:
  std::vector<MathNode> nodes;
  int32_t root = -1;
  std::vector<std::string> variable_names;  // index = MathNode::variable

  // `variable_values[k]` is the value of variable_names[k].
  std::complex<double> evaluate(std::span<const std::complex<double>> variable_values) const;

 private:
  std::complex<double> evaluate_node(int32_t index, std::span<const std::complex<double>> variable_values) const;
};

std::optional<MathExpression> parse_math_expression(std::string_view text);

}  // namespace r1::rewards
