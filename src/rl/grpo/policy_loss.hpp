// The policy-gradient objective of one completion, per token, for the GRPO family (config
// grpo.policy_loss) and the correction against the rollout's own log-probs (grpo.rollout_correction).
// With r_t = exp(logp_t - logp_old_t), A the completion's advantage, [lo, hi] = [1 - eps_low, 1 + eps_high]:
//   grpo   per token: -min(r_t A, clip(r_t, lo, hi) A)                       (DeepSeekMath/R1, DAPO's clip)
//   gspo   per sequence: s = exp(mean_t(logp_t - logp_old_t)), -min(s A, clip(s, lo, hi) A), every token
//          carrying the sequence's term (GSPO, Zheng et al. 2025: with the grpo aggregation the loss is the
//          mean over sequences; d/dlogp_t = -A s / |o| before aggregation, 0 when clipped)
//   cispo  per token: -sg(clip(r_t, lo, hi)) A logp_t                         (CISPO, MiniMax-M1: the
//          importance weight is clipped and detached, so no token loses its gradient)
// plus beta * k3(logp_ref - logp_t) per token. Terms are "per token before aggregation": the stage
// multiplies each by grpo_token_weight (grpo_loss.hpp).
//
// Rollout correction, when the rollout's log-probs (logp_rollout) differ from the training forward's
// (the behaviour policy that produced the tokens is the rollout's; the policy-gradient part of every
// token is reweighted, the KL is not), with ρ_t = exp(logp_old_t - logp_rollout_t):
//   token_tis      weight min(ρ_t, cap) per token (truncated importance sampling), detached
//   sequence_mask  the whole completion is left out (weight 0) when exp(mean_t log ρ_t) is outside
//                  [1 / cap, cap], else weight 1
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "rl/config_choices.hpp"

namespace r1 {

struct PolicyLossParams {
  PolicyLoss kind = PolicyLoss::grpo;
  double eps_low = 0.2, eps_high = 0.2;
  double beta = 0.0;
  RolloutCorrection correction = RolloutCorrection::none;
  double correction_cap = 2.0;
};

// One completion's tokens. logp: the current policy (the forward being differentiated); logp_old:
// the policy that the ratio is taken against (equal to logp on the first, on-policy pass); logp_ref:
// the frozen reference (ignored when beta = 0); logp_rollout: as the rollout sampled them (needed by
// a correction only).
struct SequenceInput {
  std::span<const double> logp, logp_old, logp_ref, logp_rollout;
  double advantage = 0;
};

struct SequenceTerms {
  std::vector<double> loss, dlogp;  // per token, before the aggregation weight
  std::vector<double> kl;           // per token (k3)
  int64_t clipped_low = 0, clipped_high = 0;  // tokens whose policy term was clipped (gspo: all tokens of a clipped sequence)
  double correction_weight_sum = 0;  // sum over tokens of the rollout-correction weight
  int64_t truncated = 0;             // token_tis: tokens whose weight hit the cap
  bool masked = false;               // sequence_mask: the completion was left out
};

SequenceTerms sequence_policy_loss(const SequenceInput& in, const PolicyLossParams& p);

}  // namespace r1
