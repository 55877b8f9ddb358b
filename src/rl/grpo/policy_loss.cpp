// Per-token policy-gradient terms of one completion (grpo, gspo, cispo) with the rollout correction.
#include "rl/grpo/policy_loss.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "rl/grpo/grpo_loss.hpp"

namespace r1 {

namespace {

// Per-token weights of the policy term against the rollout's log-probs (1 without a correction).
std::vector<double> correction_weights(const SequenceInput& in, const PolicyLossParams& p, SequenceTerms& out) {
  const size_t n = in.logp.size();
  std::vector<double> w(n, 1.0);
  if (p.correction == RolloutCorrection::none) return w;
  R1_CHECK(in.logp_rollout.size() == n, "rollout correction: ", in.logp_rollout.size(), " rollout log-probs for ", n,
           " tokens");
  if (p.correction == RolloutCorrection::token_tis) {
    for (size_t t = 0; t < n; ++t) {
      const double rho = std::exp(in.logp_old[t] - in.logp_rollout[t]);
      if (rho > p.correction_cap) ++out.truncated;
      w[t] = std::min(rho, p.correction_cap);
    }
  } else {
    double mean_log = 0;
    for (size_t t = 0; t < n; ++t) mean_log += in.logp_old[t] - in.logp_rollout[t];
    mean_log /= double(std::max<size_t>(1, n));
    const double bound = std::log(p.correction_cap);
    out.masked = mean_log > bound || mean_log < -bound;
    if (out.masked) std::fill(w.begin(), w.end(), 0.0);
  }
  return w;
}

}  // namespace

SequenceTerms sequence_policy_loss(const SequenceInput& in, const PolicyLossParams& p) {
  const size_t n = in.logp.size();
  R1_CHECK(in.logp_old.size() == n && (p.beta == 0 || in.logp_ref.size() == n), "policy loss: ", n, " log-probs, ",
           in.logp_old.size(), " old, ", in.logp_ref.size(), " reference");
  SequenceTerms out;
  out.loss.assign(n, 0.0);
  out.dlogp.assign(n, 0.0);
  out.kl.assign(n, 0.0);
  const std::vector<double> w = correction_weights(in, p, out);
  for (double x : w) out.correction_weight_sum += x;
  const double a = in.advantage, lo = 1 - p.eps_low, hi = 1 + p.eps_high;
  if (p.kind == PolicyLoss::grpo) {
    const GrpoLossParams g{p.eps_low, p.eps_high, 0.0};
    for (size_t t = 0; t < n; ++t) {
      const GrpoTokenTerms term = grpo_token(in.logp[t], in.logp_old[t], in.logp[t], a, g);
      out.loss[t] = w[t] * term.loss;
      out.dlogp[t] = w[t] * term.dlogp;
      out.clipped_low += term.clipped_low;
      out.clipped_high += term.clipped_high;
    }
  } else if (p.kind == PolicyLoss::gspo) {
    double mean_log_ratio = 0;
    for (size_t t = 0; t < n; ++t) mean_log_ratio += in.logp[t] - in.logp_old[t];
    mean_log_ratio /= double(std::max<size_t>(1, n));
    const double s = std::exp(mean_log_ratio);
    const bool clip_high = a > 0 && s > hi, clip_low = a < 0 && s < lo;
    const double seq_loss = -std::min(s * a, std::clamp(s, lo, hi) * a);
    // d seq_loss / d logp_t = -A s / |o|; times |o| so the per-token aggregation weight sums it back.
    const double d = clip_high || clip_low ? 0.0 : -a * s;
    for (size_t t = 0; t < n; ++t) {
      out.loss[t] = w[t] * seq_loss;
      out.dlogp[t] = w[t] * d;
    }
    if (clip_high) out.clipped_high = int64_t(n);
    if (clip_low) out.clipped_low = int64_t(n);
  } else {  // cispo
    for (size_t t = 0; t < n; ++t) {
      const double r = std::exp(in.logp[t] - in.logp_old[t]);
      const double weight = std::clamp(r, lo, hi);  // detached: a constant for the gradient
      out.clipped_high += r > hi;
      out.clipped_low += r < lo;
      out.loss[t] = -w[t] * weight * a * in.logp[t];
      out.dlogp[t] = -w[t] * weight * a;
    }
  }
  if (p.beta != 0)
    for (size_t t = 0; t < n; ++t) {
      const double dref = in.logp_ref[t] - in.logp[t];
      out.kl[t] = std::exp(dref) - dref - 1;
      out.loss[t] += p.beta * out.kl[t];
      out.dlogp[t] += p.beta * (1 - std::exp(dref));
    }
  return out;
}

}  // namespace r1
