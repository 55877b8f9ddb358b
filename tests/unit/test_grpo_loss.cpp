// GRPO loss against hand-computed values: the clipped surrogate on both sides of the trust region,
// the k3 KL term, their gradient (also against central differences), the three aggregations, and
// group-normalised advantages.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "core/error.hpp"
#include "rl/grpo/advantages.hpp"
#include "rl/grpo/grpo_loss.hpp"

using namespace r1;

BOOST_AUTO_TEST_SUITE(test_grpo_loss)

BOOST_AUTO_TEST_CASE(inside_the_trust_region) {
  GrpoLossParams p;  // eps 0.2 / 0.2, beta 0
  // ratio = e^0.1 = 1.10517; A = 2: loss = -2 * 1.10517, d/dlogp = -A * ratio
  auto t = grpo_token(-1.0, -1.1, 0.0, 2.0, p);
  BOOST_TEST(std::fabs(t.ratio - std::exp(0.1)) < 1e-15);
  BOOST_TEST(std::fabs(t.loss - (-2.0 * std::exp(0.1))) < 1e-14);
  BOOST_TEST(std::fabs(t.dlogp - (-2.0 * std::exp(0.1))) < 1e-14);
  BOOST_TEST(!t.clipped_high);
  BOOST_TEST(!t.clipped_low);
}

BOOST_AUTO_TEST_CASE(clipped_above_for_positive_advantage) {
  GrpoLossParams p;
  p.eps_high = 0.28;  // DAPO's decoupled upper bound
  // ratio = e^0.4 = 1.4918 > 1.28: loss = -1.28 * A, no gradient
  auto t = grpo_token(-0.6, -1.0, 0.0, 1.5, p);
  BOOST_TEST(t.clipped_high);
  BOOST_TEST(std::fabs(t.loss - (-1.28 * 1.5)) < 1e-14);
  BOOST_TEST(t.dlogp == 0.0);
  // The same ratio with a negative advantage is not clipped: min picks the unclipped, larger loss.
  auto n = grpo_token(-0.6, -1.0, 0.0, -1.5, p);
  BOOST_TEST(!n.clipped_high);
  BOOST_TEST(!n.clipped_low);
  BOOST_TEST(std::fabs(n.loss - 1.5 * std::exp(0.4)) < 1e-14);
  BOOST_TEST(std::fabs(n.dlogp - 1.5 * std::exp(0.4)) < 1e-14);
}

BOOST_AUTO_TEST_CASE(clipped_below_for_negative_advantage) {
  GrpoLossParams p;
  p.eps_low = 0.1;
  // ratio = e^-0.5 = 0.6065 < 0.9, A = -1: loss = -min(-0.6065, -0.9) = 0.9, no gradient
  auto t = grpo_token(-1.5, -1.0, 0.0, -1.0, p);
  BOOST_TEST(t.clipped_low);
  BOOST_TEST(std::fabs(t.loss - 0.9) < 1e-14);
  BOOST_TEST(t.dlogp == 0.0);
  // Positive advantage at the same ratio: unclipped term is the min, gradient flows.
  auto q = grpo_token(-1.5, -1.0, 0.0, 1.0, p);
  BOOST_TEST(!q.clipped_low);
  BOOST_TEST(std::fabs(q.loss + std::exp(-0.5)) < 1e-14);
  BOOST_TEST(std::fabs(q.dlogp + std::exp(-0.5)) < 1e-14);
}

BOOST_AUTO_TEST_CASE(k3_kl_term_and_gradient) {
  GrpoLossParams p;
  p.beta = 0.04;
  // logp = -1, ref = -1.3: d = -0.3, kl = e^-0.3 + 0.3 - 1 = 0.0408182
  auto t = grpo_token(-1.0, -1.0, -1.3, 0.0, p);
  double kl = std::exp(-0.3) + 0.3 - 1;
  BOOST_TEST(std::fabs(t.kl - kl) < 1e-15);
  BOOST_TEST(std::fabs(t.loss - 0.04 * kl) < 1e-15);
  BOOST_TEST(std::fabs(t.dlogp - 0.04 * (1 - std::exp(-0.3))) < 1e-15);
  // Central differences of the whole token loss (away from the clip kinks).
  for (double a : {-1.3, 0.7})
    for (double lp : {-0.9, -1.05, -1.2}) {
      const double h = 1e-6;
      double fd = (grpo_token(lp + h, -1.0, -1.3, a, p).loss - grpo_token(lp - h, -1.0, -1.3, a, p).loss) / (2 * h);
      BOOST_TEST(std::fabs(fd - grpo_token(lp, -1.0, -1.3, a, p).dlogp) < 1e-8);
    }
}

BOOST_AUTO_TEST_CASE(aggregation_weights) {
  // Two sequences with 4 and 1 completion tokens, max_new_tokens 8.
  BOOST_TEST(grpo_token_weight(LossAggregation::grpo, 4, 2, 5, 8) == 1.0 / 8);
  BOOST_TEST(grpo_token_weight(LossAggregation::grpo, 1, 2, 5, 8) == 1.0 / 2);
  BOOST_TEST(grpo_token_weight(LossAggregation::token_mean, 4, 2, 5, 8) == 1.0 / 5);
  BOOST_TEST(grpo_token_weight(LossAggregation::dr_grpo, 1, 2, 5, 8) == 1.0 / 16);
}

BOOST_AUTO_TEST_CASE(group_normalised_advantages) {
  // Group 1: rewards 1, 0, 0, 1 -> mean 0.5, population std 0.5; group 2: all 0.3.
  auto g = group_advantages({1, 0, 0, 1, 0.3, 0.3, 0.3, 0.3}, 4, true, 0.0);
  BOOST_TEST(g.advantage[0] == 1.0);
  BOOST_TEST(g.advantage[1] == -1.0);
  BOOST_TEST(g.advantage[4] == 0.0);
  BOOST_TEST(!g.zero_std_group[0]);
  BOOST_TEST(g.zero_std_group[5]);
  auto u = group_advantages({1, 0, 0, 1}, 4, false);
  BOOST_TEST(u.advantage[0] == 0.5);
  BOOST_TEST(u.advantage[2] == -0.5);
}

BOOST_AUTO_TEST_SUITE_END()
