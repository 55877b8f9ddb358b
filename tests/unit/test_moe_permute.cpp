// MoE token permutation: the expert-sorted routing layout (a hand-worked example and invariants on a
// random one with empty experts), gather/scatter against naive loops over (token, slot), and the
// backwards of gather and scatter against central finite differences in float64.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;

namespace {

// Top-k choices with K distinct experts per token, drawn from `allowed` only.
Tensor random_choices(int64_t tokens, int64_t top_k, const std::vector<int32_t>& allowed, uint64_t seed) {
  Tensor pool = random_ints({tokens * top_k * 16}, 0, int64_t(allowed.size()), seed);
  const int32_t* draw = pool.data<int32_t>();
  std::vector<int32_t> idx;
  int64_t next = 0;
  for (int64_t t = 0; t < tokens; ++t) {
    std::vector<int32_t> row;
    while (int64_t(row.size()) < top_k) {
      const int32_t e = allowed[size_t(draw[next++])];
      if (std::find(row.begin(), row.end(), e) == row.end()) row.push_back(e);
    }
    idx.insert(idx.end(), row.begin(), row.end());
  }
  return Tensor::from_vector(idx, {tokens, top_k});
}

ops::MoeRouting build(const Tensor& idx, int64_t experts) {
  ops::MoeRouting routing;
  ops::moe_build_routing(idx, experts, routing);
  return routing;
}

double dot(const Tensor& a, const Tensor& b) {
  auto av = to_f64_vector(a), bv = to_f64_vector(b);
  double s = 0;
  for (size_t i = 0; i < av.size(); ++i) s += av[i] * bv[i];
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_moe_permute)

BOOST_AUTO_TEST_CASE(routing_of_a_hand_worked_example) {
  // Token 0 -> experts {2, 0}, token 1 -> {0, 1}, token 2 -> {2, 1}; expert 3 gets nothing.
  Tensor idx = Tensor::from_vector(std::vector<int32_t>{2, 0, 0, 1, 2, 1}, {3, 2});
  auto routing = build(idx, 4);
  BOOST_TEST((routing.expert_offsets == std::vector<int64_t>{0, 2, 4, 6, 6}));
  BOOST_TEST((int32_values(routing.row_token) == std::vector<int32_t>{0, 1, 1, 2, 0, 2}));
  BOOST_TEST((int32_values(routing.slot_row) == std::vector<int32_t>{4, 0, 1, 2, 5, 3}));
  BOOST_TEST(routing.tokens == 3);
  BOOST_TEST(routing.top_k == 2);
  BOOST_TEST(routing.experts == 4);
}

BOOST_AUTO_TEST_CASE(routing_layout_invariants) {
  const int64_t tokens = 37, top_k = 3, experts = 8;
  Tensor idx = random_choices(tokens, top_k, {0, 1, 2, 3, 4, 6}, 5);  // experts 5 and 7 receive no tokens
  auto routing = build(idx, experts);
  const int32_t* pi = idx.data<int32_t>();
  const int64_t rows = tokens * top_k;
  BOOST_TEST(routing.expert_offsets.size() == size_t(experts + 1));
  BOOST_TEST(routing.expert_offsets.front() == 0);
  BOOST_TEST(routing.expert_offsets.back() == rows);
  for (int64_t e = 0; e < experts; ++e) {
    const int64_t count = std::count(pi, pi + rows, int32_t(e));
    BOOST_TEST(routing.expert_offsets[size_t(e + 1)] - routing.expert_offsets[size_t(e)] == count);
  }
  BOOST_TEST(routing.expert_offsets[5] == routing.expert_offsets[6]);
  BOOST_TEST(routing.expert_offsets[7] == routing.expert_offsets[8]);
  // Each (token, slot) owns exactly one row, inside its expert's range, and the row names its token.
  const std::vector<int32_t> slot_row = int32_values(routing.slot_row), row_token = int32_values(routing.row_token);
  std::vector<int64_t> row_owner(size_t(rows), -1);  // row -> t*K + k
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < top_k; ++k) {
      const int64_t row = slot_row[size_t(t * top_k + k)], e = pi[t * top_k + k];
      BOOST_TEST_REQUIRE((row >= 0 && row < rows));
      BOOST_TEST(row_owner[size_t(row)] == -1);
      row_owner[size_t(row)] = t * top_k + k;
      BOOST_TEST((row >= routing.expert_offsets[size_t(e)] && row < routing.expert_offsets[size_t(e + 1)]));
      BOOST_TEST(row_token[size_t(row)] == t);
    }
  // Within an expert, rows are ordered by (token, slot).
  for (int64_t e = 0; e < experts; ++e)
    for (int64_t r = routing.expert_offsets[size_t(e)] + 1; r < routing.expert_offsets[size_t(e + 1)]; ++r)
      BOOST_TEST(row_owner[size_t(r - 1)] < row_owner[size_t(r)]);
}

BOOST_AUTO_TEST_CASE(routing_rejects_bad_expert_indices) {
  ops::MoeRouting routing;
  Tensor negative = Tensor::from_vector(std::vector<int32_t>{0, -1}, {1, 2});
  Tensor too_large = Tensor::from_vector(std::vector<int32_t>{0, 4}, {1, 2});
  BOOST_CHECK_THROW(ops::moe_build_routing(negative, 4, routing), Error);
  BOOST_CHECK_THROW(ops::moe_build_routing(too_large, 4, routing), Error);
}

BOOST_AUTO_TEST_CASE(gather_and_scatter_match_naive_loops) {
  const int64_t tokens = 19, top_k = 4, experts = 10, d = 7, rows = tokens * top_k;
  Tensor idx = random_choices(tokens, top_k, {0, 1, 2, 4, 5, 7, 8, 9}, 11);
  auto routing = build(idx, experts);
  const std::vector<int32_t> slot_row = int32_values(routing.slot_row);
  for (DType dt : {DType::f32, DType::f64}) {
    const double tol = dt == DType::f32 ? 1e-6 : 1e-14;
    Tensor x = random_tensor({tokens, d}, dt, 12);
    Tensor xp = Tensor::zeros({rows, d}, dt);
    ops::moe_gather(x, routing, xp);
    auto xv = to_f64_vector(x), xpv = to_f64_vector(xp);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t k = 0; k < top_k; ++k)
        for (int64_t j = 0; j < d; ++j)
          BOOST_TEST(xpv[size_t(slot_row[size_t(t * top_k + k)] * d + j)] == xv[size_t(t * d + j)]);

    Tensor dxp = random_tensor({rows, d}, dt, 13);
    Tensor dx = random_tensor({tokens, d}, dt, 14);  // overwritten
    ops::moe_gather_backward(dxp, routing, dx);
    auto dxpv = to_f64_vector(dxp);
    std::vector<double> dx_ref(size_t(tokens * d), 0.0);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t k = 0; k < top_k; ++k)
        for (int64_t j = 0; j < d; ++j)
          dx_ref[size_t(t * d + j)] += dxpv[size_t(slot_row[size_t(t * top_k + k)] * d + j)];
    BOOST_TEST(rel_error(to_f64_vector(dx), dx_ref) < tol);

    Tensor yp = random_tensor({rows, d}, dt, 15);
    Tensor weight = random_tensor({tokens, top_k}, dt, 16);
    auto ypv = to_f64_vector(yp), wv = to_f64_vector(weight);
    std::vector<double> y_ref(size_t(tokens * d), 0.0);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t k = 0; k < top_k; ++k)
        for (int64_t j = 0; j < d; ++j)
          y_ref[size_t(t * d + j)] +=
              wv[size_t(t * top_k + k)] * ypv[size_t(slot_row[size_t(t * top_k + k)] * d + j)];
    Tensor y = random_tensor({tokens, d}, dt, 17);
    auto y0 = to_f64_vector(y);
    ops::moe_scatter(yp, weight, routing, y, ops::Accumulate::yes);
    std::vector<double> y_acc_ref(y_ref);
    for (size_t i = 0; i < y_acc_ref.size(); ++i) y_acc_ref[i] += y0[i];
    BOOST_TEST(rel_error(to_f64_vector(y), y_acc_ref) < tol);
    ops::moe_scatter(yp, weight, routing, y, ops::Accumulate::no);
    BOOST_TEST(rel_error(to_f64_vector(y), y_ref) < tol);
  }
}

BOOST_AUTO_TEST_CASE(backwards_match_finite_differences) {
  const int64_t tokens = 9, top_k = 3, experts = 6, d = 5, rows = tokens * top_k;
  Tensor idx = random_choices(tokens, top_k, {0, 1, 3, 4, 5}, 21);
  auto routing = build(idx, experts);

  // Gather: L = <r, gather(x)>.
  Tensor x = random_tensor({tokens, d}, DType::f64, 22);
  Tensor r_xp = random_tensor({rows, d}, DType::f64, 23);
  Tensor dx = Tensor::zeros({tokens, d}, DType::f64);
  ops::moe_gather_backward(r_xp, routing, dx);
  auto gather_loss = [&]() {
    Tensor xp = Tensor::zeros({rows, d}, DType::f64);
    ops::moe_gather(x, routing, xp);
    return dot(r_xp, xp);
  };
  auto gx = check_gradient(x, gather_loss, dx, tokens * d);
  BOOST_TEST(gx.rel_error < 1e-8, "gather dx err=" << gx.rel_error);

  // Scatter: L = <r, scatter(yp, weight)>, with respect to yp and weight.
  Tensor yp = random_tensor({rows, d}, DType::f64, 24);
  Tensor weight = random_tensor({tokens, top_k}, DType::f64, 25);
  Tensor r_y = random_tensor({tokens, d}, DType::f64, 26);
  Tensor dyp = random_tensor({rows, d}, DType::f64, 27);         // overwritten
  Tensor dweight = random_tensor({tokens, top_k}, DType::f64, 28);  // overwritten
  ops::moe_scatter_backward(r_y, yp, weight, routing, dyp, dweight);
  auto scatter_loss = [&]() {
    Tensor y = Tensor::zeros({tokens, d}, DType::f64);
    ops::moe_scatter(yp, weight, routing, y, ops::Accumulate::no);
    return dot(r_y, y);
  };
  auto gyp = check_gradient(yp, scatter_loss, dyp, rows * d);
  auto gw = check_gradient(weight, scatter_loss, dweight, rows);
  BOOST_TEST(gyp.rel_error < 1e-8, "scatter dyp err=" << gyp.rel_error);
  BOOST_TEST(gw.rel_error < 1e-8, "scatter dweight err=" << gw.rel_error);

  // The f32 backward agrees with the f64 one.
  Tensor dyp32 = Tensor::zeros({rows, d}, DType::f32), dweight32 = Tensor::zeros({tokens, top_k}, DType::f32);
  ops::moe_scatter_backward(cast(r_y, DType::f32), cast(yp, DType::f32), cast(weight, DType::f32), routing, dyp32,
                            dweight32);
  BOOST_TEST(rel_error(dyp32, dyp) < 1e-6);
  BOOST_TEST(rel_error(dweight32, dweight) < 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()
