// The distill stage: the current model (teacher) writes verified traces for the stage's prompts
// (the rejection-sampling filters), then a freshly initialised student of another configuration —
// typically a dense Qwen2/Llama shape — is trained on them by SFT. The student becomes the recipe's
// current model, so a following eval stage evaluates it.
#pragma once
#include <vector>

#include "rl/data/example.hpp"
#include "rl/run_context.hpp"

namespace r1 {

void run_distill_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts);

}  // namespace r1
