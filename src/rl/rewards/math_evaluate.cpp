// Numerical evaluation of a MathExpression in complex double precision. Real operands stay on
// real arithmetic (exact integer powers, odd roots of negative numbers, signed infinities), so that
// purely real answers do not pick up rounding noise in the imaginary part.
#include <cmath>
#include <functional>
#include <limits>

#include "rl/rewards/math_expression.hpp"

namespace r1::rewards {

namespace {

using Complex = std::complex<double>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool is_real(Complex z) { return z.imag() == 0.0; }
bool is_integer(double x) { return std::isfinite(x) && x == std::floor(x); }

Complex power(Complex base, Complex exponent) {
  if (is_real(base) && is_real(exponent)) {
    double b = base.real(), e = exponent.real();
    if (b >= 0 || is_integer(e)) return std::pow(b, e);
  }
  return std::pow(base, exponent);
}

Complex nth_root(Complex index, Complex radicand) {
  if (is_real(index) && is_real(radicand) && radicand.real() < 0 && is_integer(index.real()) &&
      std::fmod(std::abs(index.real()), 2.0) == 1.0)
    return -std::pow(-radicand.real(), 1.0 / index.real());  // odd root of a negative number
  if (is_real(index) && index.real() == 2.0) return is_real(radicand) && radicand.real() >= 0
                                                        ? Complex(std::sqrt(radicand.real()))
                                                        : std::sqrt(radicand);
  return power(radicand, 1.0 / index);
}

Complex factorial(Complex n) {
  if (!is_real(n) || !is_integer(n.real()) || n.real() < 0 || n.real() > 170) return kNaN;
  return std::tgamma(n.real() + 1.0);
}

Complex binomial(Complex n, Complex k) {
  if (!is_real(n) || !is_real(k)) return kNaN;
  double nn = n.real(), kk = k.real();
  if (is_integer(nn) && is_integer(kk)) {
    if (kk < 0 || (nn >= 0 && kk > nn)) return 0.0;
    if (kk > 1000) return kNaN;
    double result = 1.0;
    for (double j = 1; j <= kk; ++j) result = result * (nn - kk + j) / j;
    return std::round(result);
  }
  return std::tgamma(nn + 1) / (std::tgamma(kk + 1) * std::tgamma(nn - kk + 1));
}

Complex apply_function(MathFunction function, Complex x) {
  switch (function) {
    case MathFunction::sin: return is_real(x) ? Complex(std::sin(x.real())) : std::sin(x);
    case MathFunction::cos: return is_real(x) ? Complex(std::cos(x.real())) : std::cos(x);
    case MathFunction::tan: return is_real(x) ? Complex(std::tan(x.real())) : std::tan(x);
    case MathFunction::cot: return 1.0 / (is_real(x) ? Complex(std::tan(x.real())) : std::tan(x));
    case MathFunction::sec: return 1.0 / (is_real(x) ? Complex(std::cos(x.real())) : std::cos(x));
    case MathFunction::csc: return 1.0 / (is_real(x) ? Complex(std::sin(x.real())) : std::sin(x));
    case MathFunction::asin: return is_real(x) && std::abs(x.real()) <= 1 ? Complex(std::asin(x.real())) : std::asin(x);
    case MathFunction::acos: return is_real(x) && std::abs(x.real()) <= 1 ? Complex(std::acos(x.real())) : std::acos(x);
    case MathFunction::atan: return is_real(x) ? Complex(std::atan(x.real())) : std::atan(x);
    case MathFunction::sinh: return std::sinh(x);
    case MathFunction::cosh: return std::cosh(x);
    case MathFunction::tanh: return std::tanh(x);
    case MathFunction::ln: return is_real(x) && x.real() > 0 ? Complex(std::log(x.real())) : std::log(x);
    case MathFunction::exp: return is_real(x) ? Complex(std::exp(x.real())) : std::exp(x);
    case MathFunction::abs: return std::abs(x);
  }
  return kNaN;
}

// + - × ÷ on real operands in real arithmetic (keeps infinities signed and imaginary parts zero).
template <class RealOp, class ComplexOp>
Complex arithmetic(Complex a, Complex b, RealOp real_op, ComplexOp complex_op) {
  if (is_real(a) && is_real(b)) return real_op(a.real(), b.real());
  return complex_op(a, b);
}

}  // namespace

std::complex<double> MathExpression::evaluate(std::span<const std::complex<double>> variable_values) const {
  if (root < 0) return kNaN;
  return evaluate_node(root, variable_values);
}

std::complex<double> MathExpression::evaluate_node(int32_t index,
                                                   std::span<const std::complex<double>> variable_values) const {
  const MathNode& node = nodes[size_t(index)];
  auto left = [&] { return evaluate_node(node.left, variable_values); };
  auto right = [&] { return evaluate_node(node.right, variable_values); };
  switch (node.kind) {
    case MathNodeKind::number:
      return node.value;
    case MathNodeKind::variable:
      return size_t(node.variable) < variable_values.size() ? variable_values[size_t(node.variable)] : kNaN;
    case MathNodeKind::add:
      return arithmetic(left(), right(), std::plus<double>(), std::plus<Complex>());
    case MathNodeKind::subtract:
      return arithmetic(left(), right(), std::minus<double>(), std::minus<Complex>());
    case MathNodeKind::multiply:
      return arithmetic(left(), right(), std::multiplies<double>(), std::multiplies<Complex>());
    case MathNodeKind::divide:
      return arithmetic(left(), right(), std::divides<double>(), std::divides<Complex>());
    case MathNodeKind::power:
      return power(left(), right());
    case MathNodeKind::negate: {
      Complex a = left();
      return is_real(a) ? Complex(-a.real()) : -a;
    }
    case MathNodeKind::function:
      return apply_function(node.function, left());
    case MathNodeKind::root:
      return nth_root(left(), right());
    case MathNodeKind::log_base: {
      Complex base = left(), argument = right();
      return apply_function(MathFunction::ln, argument) / apply_function(MathFunction::ln, base);
    }
    case MathNodeKind::factorial:
      return factorial(left());
    case MathNodeKind::binomial:
      return binomial(left(), right());
  }
  return kNaN;
}

}  // namespace r1::rewards

