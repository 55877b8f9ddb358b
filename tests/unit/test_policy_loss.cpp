// The GRPO family's per-completion objective (rl/grpo/policy_loss.hpp) against hand-computed values:
// GSPO's sequence-level ratio and clipping (and its gradient against central differences of the
// sequence loss), CISPO's clipped, detached importance weights, the truncated per-token and masked
// per-sequence corrections against the rollout's log-probs, and grpo without a correction giving the
// per-token grpo_token terms bit for bit.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "rl/grpo/grpo_loss.hpp"
#include "rl/grpo/policy_loss.hpp"

using namespace r1;

namespace {

SequenceTerms run(PolicyLoss kind, const std::vector<double>& logp, const std::vector<double>& old, double advantage,
                  double eps_low = 0.2, double eps_high = 0.2) {
  PolicyLossParams p;
  p.kind = kind;
  p.eps_low = eps_low;
  p.eps_high = eps_high;
  SequenceInput in;
  in.logp = logp;
  in.logp_old = old;
  in.advantage = advantage;
  return sequence_policy_loss(in, p);
}

bool close(double a, double b, double tol = 1e-12) { return std::fabs(a - b) <= tol; }

}  // namespace

BOOST_AUTO_TEST_SUITE(test_policy_loss)

BOOST_AUTO_TEST_CASE(gspo_uses_the_length_normalised_sequence_ratio) {
  // log ratios 0.2 and -0.1: s = exp(0.05) = 1.0512710963760241, inside [0.8, 1.2].
  const std::vector<double> logp = {-1.0, -2.0}, old = {-1.2, -1.9};
  const double s = 1.0512710963760241;
  SequenceTerms t = run(PolicyLoss::gspo, logp, old, 1.0);
  for (size_t i = 0; i < 2; ++i) {
    BOOST_TEST(close(t.loss[i], -s));
    BOOST_TEST(close(t.dlogp[i], -s));  // -A s; the aggregation weight 1/|o| makes it -A s / |o|
  }
  BOOST_TEST(t.clipped_high == 0);
  // Against central differences of the sequence loss -s(logp) A: d/dlogp_t = -A s / |o|.
  const double h = 1e-6;
  for (size_t i = 0; i < 2; ++i) {
    std::vector<double> up = logp, down = logp;
    up[i] += h;
    down[i] -= h;
    const double fd = (run(PolicyLoss::gspo, up, old, 1.0).loss[0] - run(PolicyLoss::gspo, down, old, 1.0).loss[0]) / (2 * h);
    BOOST_TEST(close(fd, t.dlogp[i] / 2.0, 1e-8), "token " << i << ": fd " << fd);
  }
  // GSPO's tiny clip range: s > 1 + 0.04 with A > 0 clips the whole sequence.
  SequenceTerms c = run(PolicyLoss::gspo, logp, old, 1.0, 0.03, 0.04);
  BOOST_TEST(c.clipped_high == 2);
  BOOST_TEST(close(c.loss[0], -1.04));
  BOOST_TEST((c.dlogp[0] == 0.0 && c.dlogp[1] == 0.0));
  // A < 0 with s above the range: min picks the unclipped (larger) loss, the gradient stays.
  SequenceTerms n = run(PolicyLoss::gspo, logp, old, -1.0, 0.03, 0.04);
  BOOST_TEST(n.clipped_low == 0);
  BOOST_TEST(close(n.loss[0], s));
  BOOST_TEST(close(n.dlogp[1], s));
  // A < 0 and s below 1 - eps_low: clipped low.
  SequenceTerms l = run(PolicyLoss::gspo, {-2.0, -2.0}, {-1.9, -1.9}, -1.0, 0.03, 0.04);  // s = e^-0.1 = 0.905
  BOOST_TEST(l.clipped_low == 2);
  BOOST_TEST(close(l.loss[0], 0.97));
}

BOOST_AUTO_TEST_CASE(cispo_clips_and_detaches_the_importance_weight) {
  // r = e^0.5 = 1.6487 -> 1.2 and r = e^-0.5 = 0.6065 -> 0.8; A = 2. Both tokens keep a gradient.
  SequenceTerms t = run(PolicyLoss::cispo, {-0.5, -3.0}, {-1.0, -2.5}, 2.0);
  BOOST_TEST(close(t.dlogp[0], -2.4));
  BOOST_TEST(close(t.dlogp[1], -1.6));
  BOOST_TEST(close(t.loss[0], -1.2 * 2.0 * -0.5));
  BOOST_TEST(close(t.loss[1], -0.8 * 2.0 * -3.0));
  BOOST_TEST(t.clipped_high == 1);
  BOOST_TEST(t.clipped_low == 1);
  // Inside the range the weight is the ratio itself: e^0.1 A.
  SequenceTerms in = run(PolicyLoss::cispo, {-1.0}, {-1.1}, -1.0);
  BOOST_TEST(close(in.dlogp[0], std::exp(0.1)));
}

BOOST_AUTO_TEST_CASE(token_tis_truncates_the_rollout_ratio) {
  // On-policy (old = current); rollout log-probs differ: rho = e^0.5 = 1.6487 (capped at 1.5) and
  // e^-0.1 = 0.904837418. grpo's token term at ratio 1 with A = 1 is -1.
  const std::vector<double> logp = {-1.0, -2.0}, rollout = {-1.5, -1.9};
  PolicyLossParams p;
  p.correction = RolloutCorrection::token_tis;
  p.correction_cap = 1.5;
  SequenceInput in;
  in.logp = logp;
  in.logp_old = logp;
  in.logp_rollout = rollout;
  in.advantage = 1.0;
  SequenceTerms t = sequence_policy_loss(in, p);
  BOOST_TEST(close(t.dlogp[0], -1.5));
  BOOST_TEST(close(t.dlogp[1], -0.9048374180359595));
  BOOST_TEST(t.truncated == 1);
  BOOST_TEST(close(t.correction_weight_sum, 1.5 + 0.9048374180359595));
  // The KL term is not reweighted: beta k3 with logp_ref = logp - 0.3.
  p.beta = 0.1;
  const std::vector<double> ref = {-1.3, -2.3};
  in.logp_ref = ref;
  SequenceTerms k = sequence_policy_loss(in, p);
  BOOST_TEST(close(k.dlogp[0], -1.5 + 0.1 * (1 - std::exp(-0.3))));
  BOOST_TEST(close(k.kl[0], std::exp(-0.3) + 0.3 - 1));
}

BOOST_AUTO_TEST_CASE(sequence_mask_leaves_out_completions_whose_ratio_leaves_the_range) {
  // mean log rho = (0.5 - 0.1) / 2 = 0.2: outside [1/1.2, 1.2] (|0.2| > log 1.2 = 0.182), inside [1/1.5, 1.5].
  const std::vector<double> logp = {-1.0, -2.0}, rollout = {-1.5, -1.9};
  PolicyLossParams p;
  p.correction = RolloutCorrection::sequence_mask;
  p.correction_cap = 1.2;
  SequenceInput in;
  in.logp = logp;
  in.logp_old = logp;
  in.logp_rollout = rollout;
  in.advantage = 1.0;
  SequenceTerms masked = sequence_policy_loss(in, p);
  BOOST_TEST(masked.masked);
  BOOST_TEST((masked.dlogp[0] == 0.0 && masked.dlogp[1] == 0.0 && masked.correction_weight_sum == 0.0));
  p.correction_cap = 1.5;
  SequenceTerms kept = sequence_policy_loss(in, p);
  BOOST_TEST(!kept.masked);
  BOOST_TEST((kept.dlogp[0] == -1.0 && kept.dlogp[1] == -1.0));
  // A correction without the rollout's log-probs is an error, not a silent no-op.
  in.logp_rollout = {};
  BOOST_CHECK_THROW(sequence_policy_loss(in, p), Error);
}

BOOST_AUTO_TEST_CASE(grpo_without_a_correction_is_the_per_token_objective) {
  const std::vector<double> logp = {-0.6, -1.0, -2.2}, old = {-1.0, -1.0, -2.0}, ref = {-0.7, -1.2, -2.0};
  PolicyLossParams p;
  p.eps_high = 0.28;
  p.beta = 0.04;
  SequenceInput in;
  in.logp = logp;
  in.logp_old = old;
  in.logp_ref = ref;
  in.advantage = 1.5;
  SequenceTerms t = sequence_policy_loss(in, p);
  for (size_t i = 0; i < logp.size(); ++i) {
    GrpoTokenTerms g = grpo_token(logp[i], old[i], ref[i], 1.5, {0.2, 0.28, 0.04});
    BOOST_TEST(t.loss[i] == g.loss);
    BOOST_TEST(t.dlogp[i] == g.dlogp);
    BOOST_TEST(t.kl[i] == g.kl);
  }
  BOOST_TEST(t.clipped_high == 1);  // the first token: ratio e^0.4 > 1.28
}

BOOST_AUTO_TEST_SUITE_END()
