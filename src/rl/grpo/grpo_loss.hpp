// The GRPO objective per token and its aggregation (DeepSeekMath/R1 GRPO, with DAPO's decoupled
// clip range and the Dr. GRPO aggregation as options):
//   ratio = exp(logp - logp_old)
//   pg    = -min(ratio * A, clip(ratio, 1 - eps_low, 1 + eps_high) * A)
//   kl    = exp(logp_ref - logp) - (logp_ref - logp) - 1          (the k3 estimator, >= 0)
//   token loss = pg + beta * kl
// aggregated over a (mini-)batch of sequences i with |o_i| completion tokens:
//   grpo:       sum_i (1 / |o_i|) sum_t loss_it / N_seq         (per-sequence token mean, then mean)
//   token_mean: sum_i sum_t loss_it / sum_i |o_i|
//   dr_grpo:    sum_i sum_t loss_it / (N_seq * max_new_tokens)   (Dr. GRPO: no length normalisation)
#pragma once
#include <cstdint>
#include <string>

#include "rl/config_choices.hpp"  // LossAggregation

namespace r1 {

struct GrpoLossParams {
  double eps_low = 0.2, eps_high = 0.2;
  double beta = 0.0;
};

struct GrpoTokenTerms {
  double loss = 0;      // pg + beta * kl
  double dlogp = 0;     // d loss / d logp
  double kl = 0;
  bool clipped_low = false;   // A < 0 and ratio < 1 - eps_low: no gradient from the surrogate
  bool clipped_high = false;  // A > 0 and ratio > 1 + eps_high: no gradient from the surrogate
  double ratio = 1;
};

GrpoTokenTerms grpo_token(double logp, double logp_old, double logp_ref, double advantage, const GrpoLossParams& p);

// Weight of each completion token of a sequence with `tokens` completion tokens, for a (global)
// mini-batch of `sequences` sequences holding `total_tokens` completion tokens.
double grpo_token_weight(LossAggregation agg, int64_t tokens, int64_t sequences, int64_t total_tokens,
                         int64_t max_new_tokens);

}  // namespace r1
