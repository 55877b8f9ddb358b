// MLA key assembly: forward against a float64 loop (per-head no-position part followed by the
// shared rotary part), f32 against f64, and the backward (split, head sum of the rotary part)
// against central finite differences.
#include <boost/test/unit_test.hpp>

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

struct MlaCase {
  int64_t tokens, heads, nope, rope;
};
const MlaCase kCases[] = {{1, 1, 1, 1}, {7, 3, 5, 8}, {33, 2, 16, 4}, {5, 16, 3, 64}};
}  // namespace

BOOST_AUTO_TEST_SUITE(test_mla_keys)

BOOST_AUTO_TEST_CASE(forward_matches_float64_reference) {
  for (auto [tokens, heads, nope, rope] : kCases) {
    Tensor k_nope = random_tensor({tokens, heads, nope}, DType::f64, 10 + tokens);
    Tensor k_rope = random_tensor({tokens, rope}, DType::f64, 11 + rope);
    Tensor k = random_tensor({tokens, heads, nope + rope}, DType::f64, 12);  // overwritten
    ops::mla_assemble_keys(k_nope, k_rope, k);
    auto nv = to_f64_vector(k_nope), rv = to_f64_vector(k_rope);
    std::vector<double> ref;
    for (int64_t n = 0; n < tokens; ++n)
      for (int64_t h = 0; h < heads; ++h) {
        for (int64_t j = 0; j < nope; ++j) ref.push_back(nv[size_t((n * heads + h) * nope + j)]);
        for (int64_t j = 0; j < rope; ++j) ref.push_back(rv[size_t(n * rope + j)]);
      }
    BOOST_TEST(to_f64_vector(k) == ref, boost::test_tools::per_element());

    Tensor k32 = Tensor::zeros({tokens, heads, nope + rope}, DType::f32);
    ops::mla_assemble_keys(cast(k_nope, DType::f32), cast(k_rope, DType::f32), k32);
    BOOST_TEST(rel_error(k32, k) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  for (auto [tokens, heads, nope, rope] : kCases) {
    Tensor k_nope = random_tensor({tokens, heads, nope}, DType::f64, 20 + tokens);
    Tensor k_rope = random_tensor({tokens, rope}, DType::f64, 21 + rope);
    Tensor r = random_tensor({tokens, heads, nope + rope}, DType::f64, 22);
    Tensor k = Tensor::zeros({tokens, heads, nope + rope}, DType::f64);
    auto loss = [&] {
      ops::mla_assemble_keys(k_nope, k_rope, k);
      return weighted_sum(r, k);
    };
    Tensor dk_nope = random_tensor({tokens, heads, nope}, DType::f64, 23);  // overwritten
    Tensor dk_rope = random_tensor({tokens, rope}, DType::f64, 24);         // overwritten
    ops::mla_assemble_keys_backward(r, dk_nope, dk_rope);
    GradCheckResult gn = check_gradient(k_nope, loss, dk_nope, 128);
    GradCheckResult gr = check_gradient(k_rope, loss, dk_rope, 128);
    BOOST_TEST(gn.rel_error < 1e-6, "tokens=" << tokens << " heads=" << heads << " err=" << gn.rel_error);
    BOOST_TEST(gr.rel_error < 1e-6, "tokens=" << tokens << " heads=" << heads << " err=" << gr.rel_error);

    Tensor dn32 = Tensor::zeros({tokens, heads, nope}, DType::f32), dr32 = Tensor::zeros({tokens, rope}, DType::f32);
    Tensor r_rounded = cast(cast(r, DType::f32), DType::f64);
    Tensor dn_rounded = Tensor::zeros({tokens, heads, nope}, DType::f64);
    Tensor dr_rounded = Tensor::zeros({tokens, rope}, DType::f64);
    ops::mla_assemble_keys_backward(cast(r, DType::f32), dn32, dr32);
    ops::mla_assemble_keys_backward(r_rounded, dn_rounded, dr_rounded);
    BOOST_TEST(rel_error(dn32, dn_rounded) == 0.0);
    BOOST_TEST(rel_error(dr32, dr_rounded) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(mismatched_shapes_raise) {
  Tensor k_nope = Tensor::zeros({4, 2, 3}, DType::f64), k_rope = Tensor::zeros({4, 5}, DType::f64);
  Tensor wrong_heads = Tensor::zeros({4, 3, 8}, DType::f64);  // k_nope has 2 heads
  BOOST_CHECK_THROW(ops::mla_assemble_keys(k_nope, k_rope, wrong_heads), Error);
  Tensor too_narrow = Tensor::zeros({4, 2, 4}, DType::f64);  // cannot hold rope 5
  BOOST_CHECK_THROW(ops::mla_assemble_keys(k_nope, k_rope, too_narrow), Error);
}

BOOST_AUTO_TEST_SUITE_END()
