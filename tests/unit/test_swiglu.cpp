// SwiGLU kernels: forward against a float64 loop, f32 against f64, the backward against central
// finite differences, and finite, correct values for large |gate| (stable sigmoid).
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;

namespace {
double weighted_sum(const Tensor& r, const Tensor& y) {
  auto rv = to_f64_vector(r), yv = to_f64_vector(y);
  double s = 0;
  for (size_t i = 0; i < rv.size(); ++i) s += rv[i] * yv[i];
  return s;
}

const int64_t kRows[] = {1, 7, 33};
const int64_t kWidths[] = {1, 5, 64};

std::vector<double> reference_swiglu(const std::vector<double>& gate_up, int64_t rows, int64_t inter) {
  std::vector<double> out(size_t(rows * inter));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < inter; ++j) {
      double g = gate_up[size_t(r * 2 * inter + j)], u = gate_up[size_t(r * 2 * inter + inter + j)];
      out[size_t(r * inter + j)] = g / (1.0 + std::exp(-g)) * u;
    }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_swiglu)

BOOST_AUTO_TEST_CASE(forward_matches_float64_reference) {
  for (int64_t rows : kRows)
    for (int64_t inter : kWidths) {
      Tensor gate_up = random_tensor({rows, 2 * inter}, DType::f64, 10 + rows * 100 + inter, 3.0);
      Tensor out = Tensor::zeros({rows, inter}, DType::f64);
      ops::swiglu_forward(gate_up, out);
      auto ref = reference_swiglu(to_f64_vector(gate_up), rows, inter);
      BOOST_TEST(rel_error(to_f64_vector(out), ref) < 1e-14, "rows=" << rows << " inter=" << inter);

      Tensor out32 = Tensor::zeros({rows, inter}, DType::f32);
      Tensor gu32 = cast(gate_up, DType::f32);
      ops::swiglu_forward(gu32, out32);
      auto ref_rounded = reference_swiglu(to_f64_vector(gu32), rows, inter);
      BOOST_TEST(rel_error(to_f64_vector(out32), ref_rounded) < 1e-6);
    }
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  for (int64_t rows : kRows)
    for (int64_t inter : kWidths) {
      Tensor gate_up = random_tensor({rows, 2 * inter}, DType::f64, 20 + rows * 100 + inter, 2.0);
      Tensor r = random_tensor({rows, inter}, DType::f64, 21 + inter);
      Tensor out = Tensor::zeros({rows, inter}, DType::f64);
      auto loss = [&] {
        ops::swiglu_forward(gate_up, out);
        return weighted_sum(r, out);
      };
      Tensor dgate_up = random_tensor({rows, 2 * inter}, DType::f64, 22);  // overwritten
      ops::swiglu_backward(gate_up, r, dgate_up);
      GradCheckResult g = check_gradient(gate_up, loss, dgate_up, 128);
      BOOST_TEST(g.rel_error < 1e-6, "rows=" << rows << " inter=" << inter << " err=" << g.rel_error);

      Tensor gu32 = cast(gate_up, DType::f32), r32 = cast(r, DType::f32);
      Tensor dgu32 = Tensor::zeros({rows, 2 * inter}, DType::f32), dgu_rounded = Tensor::zeros({rows, 2 * inter}, DType::f64);
      ops::swiglu_backward(gu32, r32, dgu32);
      ops::swiglu_backward(cast(gu32, DType::f64), cast(r32, DType::f64), dgu_rounded);
      BOOST_TEST(rel_error(dgu32, dgu_rounded) < 1e-6);
    }
}

BOOST_AUTO_TEST_CASE(large_gates_stay_finite) {
  // silu(g) -> g for g >> 0 and -> 0 for g << 0; d silu/dg -> 1 and -> 0.
  std::vector<double> gates = {-1000, -200, -90, -30, 30, 90, 200, 1000};
  const int64_t inter = int64_t(gates.size());
  std::vector<double> gate_up = gates;
  gate_up.insert(gate_up.end(), size_t(inter), 2.0);  // up = 2
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor gu = cast(Tensor::from_vector(gate_up, {1, 2 * inter}), dt);
    Tensor out = Tensor::zeros({1, inter}, dt);
    ops::swiglu_forward(gu, out);
    Tensor dgu = Tensor::zeros({1, 2 * inter}, dt);
    ops::swiglu_backward(gu, cast(Tensor::from_vector(std::vector<double>(size_t(inter), 1.0), {1, inter}), dt), dgu);
    auto o = to_f64_vector(out), d = to_f64_vector(dgu);
    for (int64_t j = 0; j < inter; ++j) {
      double g = gates[size_t(j)];
      double expected_out = g > 0 ? 2 * g : 0.0, expected_dgate = g > 0 ? 2.0 : 0.0, expected_dup = g > 0 ? g : 0.0;
      BOOST_TEST(std::isfinite(o[size_t(j)]));
      BOOST_TEST(std::isfinite(d[size_t(j)]));
      BOOST_TEST(std::isfinite(d[size_t(inter + j)]));
      BOOST_TEST(std::abs(o[size_t(j)] - expected_out) < 1e-6 * std::max(1.0, std::abs(expected_out)), "g=" << g);
      BOOST_TEST(std::abs(d[size_t(j)] - expected_dgate) < 1e-6, "g=" << g);
      BOOST_TEST(std::abs(d[size_t(inter + j)] - expected_dup) < 1e-6 * std::max(1.0, std::abs(expected_dup)), "g=" << g);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
