// GRPO per-token terms and aggregation weights.
#include "rl/grpo/grpo_loss.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace r1 {

GrpoTokenTerms grpo_token(double logp, double logp_old, double logp_ref, double advantage, const GrpoLossParams& p) {
  GrpoTokenTerms t;
  t.ratio = std::exp(logp - logp_old);
  const double lo = 1 - p.eps_low, hi = 1 + p.eps_high;
  const double clipped = std::clamp(t.ratio, lo, hi);
  const double unclipped_obj = t.ratio * advantage, clipped_obj = clipped * advantage;
  // min picks the clipped (constant) term exactly when the ratio left the trust region in the
  // direction the advantage rewards: then the surrogate has no gradient.
  if (advantage > 0 && t.ratio > hi) t.clipped_high = true;
  if (advantage < 0 && t.ratio < lo) t.clipped_low = true;
  const bool clipped_term = t.clipped_high || t.clipped_low;
  t.loss = -std::min(unclipped_obj, clipped_obj);
  t.dlogp = clipped_term ? 0.0 : -advantage * t.ratio;
  if (p.beta != 0) {
    const double d = logp_ref - logp;
    t.kl = std::exp(d) - d - 1;
    t.loss += p.beta * t.kl;
    t.dlogp += p.beta * (1 - std::exp(d));
  }
  return t;
}

double grpo_token_weight(LossAggregation agg, int64_t tokens, int64_t sequences, int64_t total_tokens,
                         int64_t max_new_tokens) {
  switch (agg) {
    case LossAggregation::grpo: return 1.0 / (double(std::max<int64_t>(1, sequences)) * double(std::max<int64_t>(1, tokens)));
    case LossAggregation::token_mean: return 1.0 / double(std::max<int64_t>(1, total_tokens));
    case LossAggregation::dr_grpo:
      return 1.0 / (double(std::max<int64_t>(1, sequences)) * double(std::max<int64_t>(1, max_new_tokens)));
  }
  return 0;
}

}  // namespace r1
