// Numerical comparison of parsed expressions at fixed points (see expression_comparison.hpp).
#include "rl/rewards/expression_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace r1::rewards {

namespace {

using Complex = std::complex<double>;

bool is_finite(Complex z) { return std::isfinite(z.real()) && std::isfinite(z.imag()); }

// FNV-1a of the name and the point index, mapped to [0.3, 2.2].
double variable_value(const std::string& name, int point) {
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&](unsigned char byte) {
    hash ^= byte;
    hash *= 1099511628211ull;
  };
  for (char c : name) mix(static_cast<unsigned char>(c));
  mix(static_cast<unsigned char>(0xff));
  mix(static_cast<unsigned char>(point));
  hash ^= hash >> 29;
  hash *= 0xbf58476d1ce4e5b9ull;
  hash ^= hash >> 32;
  double unit = double(hash >> 11) * 0x1.0p-53;
  return 0.3 + 1.9 * unit;
}

std::vector<Complex> point_values(const MathExpression& expression, int point) {
  std::vector<Complex> values;
  for (const std::string& name : expression.variable_names) values.emplace_back(variable_value(name, point));
  return values;
}

bool near_integer(double x) { return std::abs(x - std::round(x)) <= 1e-9 * std::max(1.0, std::abs(x)); }

// Both evaluations at each point; false when no point gave a usable comparison.
template <class Compare>
bool compare_at_points(const MathExpression& a, const MathExpression& b, Compare compare) {
  int points = (a.variable_names.empty() && b.variable_names.empty()) ? 1 : kComparisonPoints;
  int compared = 0;
  for (int point = 0; point < points; ++point) {
    Complex va = a.evaluate(point_values(a, point));
    Complex vb = b.evaluate(point_values(b, point));
    if (std::isnan(va.real()) && std::isnan(vb.real())) continue;  // outside both domains
    if (!compare(va, vb)) return false;
    ++compared;
  }
  return compared > 0;
}

}  // namespace

bool values_match(Complex a, Complex b) {
  bool finite_a = is_finite(a), finite_b = is_finite(b);
  if (!finite_a || !finite_b) {
    if (finite_a || finite_b) return false;
    return std::isinf(a.real()) && std::isinf(b.real()) && a.imag() == 0 && b.imag() == 0 &&
           std::signbit(a.real()) == std::signbit(b.real());
  }
  double diff = std::abs(a - b);
  double scale = std::max(std::abs(a), std::abs(b));
  bool real = std::abs(a.imag()) <= 1e-12 * std::max(1.0, scale) && std::abs(b.imag()) <= 1e-12 * std::max(1.0, scale);
  if (real) {
    double ar = a.real(), br = b.real();
    bool int_a = near_integer(ar), int_b = near_integer(br);
    if (int_a && int_b && std::max(std::abs(ar), std::abs(br)) < 0x1.0p53) return std::round(ar) == std::round(br);
    if ((int_a && std::abs(ar) >= 1) || (int_b && std::abs(br) >= 1)) return diff <= 1e-9 * scale;
  }
  return diff <= 1e-6 * scale || diff <= 1e-12;
}

bool expressions_equivalent(const MathExpression& a, const MathExpression& b) {
  return compare_at_points(a, b, values_match);
}

bool equation_differences_proportional(const MathExpression& a, const MathExpression& b) {
  if (a.variable_names.empty() && b.variable_names.empty()) return false;
  std::vector<Complex> fa, fb;
  for (int point = 0; point < kComparisonPoints; ++point) {
    fa.push_back(a.evaluate(point_values(a, point)));
    fb.push_back(b.evaluate(point_values(b, point)));
    if (!is_finite(fa.back()) || !is_finite(fb.back())) return false;
  }
  std::optional<Complex> ratio;
  for (int k = 0; k < kComparisonPoints; ++k)
    if (std::abs(fa[k]) > 1e-9 && std::abs(fb[k]) > 1e-9) {
      ratio = fa[k] / fb[k];
      break;
    }
  if (!ratio) return false;
  for (int k = 0; k < kComparisonPoints; ++k) {
    Complex scaled = *ratio * fb[k];
    double scale = std::max(std::abs(fa[k]), std::abs(scaled));
    if (std::abs(fa[k] - scaled) > 1e-6 * scale + 1e-12) return false;
  }
  return true;
}

}  // namespace r1::rewards
