// Token sampling against a float64 reference of the filtered distribution: with uniforms on a fine
// regular grid, the inverse-CDF draw must hit each token with exactly its filtered probability (up to
// the grid step), for temperature, top-k, top-p and their combination; greedy picks the argmax.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;

namespace {
// Reference: probabilities after temperature, top-k and top-p.
std::vector<double> filtered_probs(const std::vector<double>& logits, const ops::SamplingParams& p) {
  const size_t v = logits.size();
  std::vector<size_t> order(v);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return logits[a] > logits[b]; });
  size_t keep = p.top_k > 0 ? std::min<size_t>(size_t(p.top_k), v) : v;
  std::vector<double> prob(v, 0.0);
  double mx = logits[order[0]] / p.temperature, total = 0;
  for (size_t i = 0; i < keep; ++i) total += std::exp(logits[order[i]] / p.temperature - mx);
  double cum = 0;
  for (size_t i = 0; i < keep; ++i) {
    double q = std::exp(logits[order[i]] / p.temperature - mx) / total;
    prob[order[i]] = q;
    cum += q;
    if (cum >= p.top_p) break;
  }
  double s = std::accumulate(prob.begin(), prob.end(), 0.0);
  for (double& q : prob) q /= s;
  return prob;
}

void check_distribution(const std::vector<double>& logits, const ops::SamplingParams& p) {
  const int64_t grid = 20000, v = int64_t(logits.size());
  Tensor lg = Tensor::empty({grid, v}, DType::f32);
  for (int64_t r = 0; r < grid; ++r)
    for (int64_t j = 0; j < v; ++j) lg.data<float>()[r * v + j] = float(logits[size_t(j)]);
  std::vector<double> u(static_cast<size_t>(grid));
  for (int64_t r = 0; r < grid; ++r) u[size_t(r)] = (double(r) + 0.5) / double(grid);
  Tensor tokens = Tensor::empty({grid}, DType::i32);
  ops::sample_tokens(lg, p, Tensor::from_vector(u), tokens);
  std::vector<double> freq(static_cast<size_t>(v), 0.0);
  for (int64_t r = 0; r < grid; ++r) freq[size_t(tokens.data<int32_t>()[r])] += 1.0 / double(grid);
  auto ref = filtered_probs(logits, p);
  for (int64_t j = 0; j < v; ++j)
    BOOST_TEST(std::fabs(freq[size_t(j)] - ref[size_t(j)]) < 2e-4,
               "token " << j << " T=" << p.temperature << " k=" << p.top_k << " p=" << p.top_p << ": " << freq[size_t(j)]
                        << " vs " << ref[size_t(j)]);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_sampling)

BOOST_AUTO_TEST_CASE(inverse_cdf_matches_filtered_distribution) {
  std::vector<double> logits = {1.0, 2.5, -0.5, 2.0, 0.3, 3.1, -2.0};
  for (double t : {1.0, 0.6, 1.7})
    for (int64_t k : {int64_t(0), int64_t(3)})
      for (double top_p : {1.0, 0.95, 0.5}) {
        ops::SamplingParams p;
        p.temperature = t;
        p.top_k = k;
        p.top_p = top_p;
        check_distribution(logits, p);
      }
}

BOOST_AUTO_TEST_CASE(greedy_and_top1_pick_the_argmax) {
  Tensor lg = random_tensor({9, 50}, DType::f32, 4);
  std::vector<double> u(9, 0.73);
  Tensor greedy = Tensor::empty({9}, DType::i32), top1 = Tensor::empty({9}, DType::i32);
  ops::SamplingParams g;
  g.temperature = 0;
  ops::sample_tokens(lg, g, Tensor::from_vector(u), greedy);
  ops::SamplingParams k1;
  k1.top_k = 1;
  ops::sample_tokens(lg, k1, Tensor::from_vector(u), top1);
  auto v = to_f64_vector(lg);
  for (int r = 0; r < 9; ++r) {
    int best = int(std::max_element(v.begin() + r * 50, v.begin() + (r + 1) * 50) - (v.begin() + r * 50));
    BOOST_TEST(greedy.data<int32_t>()[r] == best);
    BOOST_TEST(top1.data<int32_t>()[r] == best);
  }
}

BOOST_AUTO_TEST_SUITE_END()
