// The grpo stage: group-relative policy optimisation with rule-based rewards (R1-Zero, R1's
// reasoning RL, and its all-scenario RL). grpo_step reads top to bottom: share the prompts over the
// data-parallel ranks, sample G completions per prompt, score them, normalise rewards within each
// group, compute the old policy's and the reference model's log-probs, then mu passes of clipped
// policy-gradient updates over mini-batches, and report.
#pragma once
#include <vector>

#include "rl/data/example.hpp"
#include "engine/optimizer.hpp"
#include "rl/run_context.hpp"

namespace r1 {

void run_grpo_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts);

}  // namespace r1
