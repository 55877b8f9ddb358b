// Numerical comparison of parsed expressions. Two expressions are equivalent when they agree at
// kComparisonPoints fixed pseudo-random points (every variable gets a value in [0.3, 2.2] derived
// from a hash of its name and the point index, so the same name gets the same value on both
// sides). Values agree with relative tolerance 1e-6, except that a value that is (numerically) an
// integer must be matched exactly: 1000000 is not 1000001, although 0.3333333 is 1/3.
#pragma once
#include <complex>

#include "rl/rewards/math_expression.hpp"

namespace r1::rewards {

inline constexpr int kComparisonPoints = 5;

bool values_match(std::complex<double> a, std::complex<double> b);

bool expressions_equivalent(const MathExpression& a, const MathExpression& b);

// Equations given as lhs − rhs: equivalent when one is a non-zero constant multiple of the other
// at every point ("y = 2x + 3" and "2x - y + 3 = 0"). Needs at least one variable.
bool equation_differences_proportional(const MathExpression& a, const MathExpression& b);

}  // namespace r1::rewards
