// The grpo stage: group-relative policy optimisation with rule-based rewards (R1-Zero, R1's
// reasoning RL, and its all-scenario RL). grpo_step reads top to bottom: share the prompts over the
// data-parallel ranks, sample G completions per prompt, score them, normalise rewards within each
// group, compute the old policy's and the reference model's log-probs, then mu passes of clipped
// policy-gradient updates over mini-batches, and report. GrpoStage holds what a stage carries from
// step to step (optimizer, frozen reference, rewards, the sampling streams' seed); the stage's loop
// and `r1 bench grpo` both drive its steps.
//
// Each step's record also says where its time went (time/prefill_s, time/decode_s, time/rewards_s,
// time/old_logp_s, time/ref_logp_s, time/update_s; tokens_generated, tokens_trained, rollout_slots)
// and how the rollout's own log-prob of every sampled token compares with the training forward's for
// the same token and weights (grpo/logp_mismatch_max, grpo/logp_mismatch_mean, grpo/logp_equal_share).
#pragma once
#include <memory>
#include <vector>

#include "engine/optimizer.hpp"
#include "rl/data/example.hpp"
#include "rl/rewards/reward.hpp"
#include "rl/run_context.hpp"
#include "rl/stages/training_loop.hpp"

namespace r1 {

class GrpoStage {
 public:
  // The reference model (beta > 0) is the stage's starting weights, or on a restart the checkpoint's.
  GrpoStage(RunContext& ctx, const StageConfig& stage);
  ~GrpoStage();
  // One GRPO step on step.batch; fills step.record; returns the tokens generated over the job.
  double step(TrainingStep& step);
  // The loop's description of this stage (run_training_loop).
  TrainingLoop loop();
  uint64_t stream_seed() const { return stream_seed_; }

 private:
  RunContext& ctx_;
  const StageConfig& stage_;
  rewards::WeightedRewards weighted_;
  Optimizer opt_;
  std::unique_ptr<Model> reference_;
  uint64_t stream_seed_;
};

void run_grpo_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts);

}  // namespace r1
