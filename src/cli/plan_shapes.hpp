// What `r1 plan` plans from a recipe: which stage's optimizer step (its batch, micro-batch and
// sequence length become the per-rank StepShape) and which stage's generation settings size the KV
// cache, each with a one-line description for the report.
#pragma once
#include <string>

#include "model/rank_plan.hpp"
#include "rl/run_config.hpp"

namespace r1::cli {

struct PlannedStages {
  const StageConfig* training = nullptr;    // pretrain / sft / grpo / distill: the optimizer step planned
  const StageConfig* generation = nullptr;  // grpo / eval / rejection_sample: the sampling that sizes the KV cache
};

// `stage_option` (name or index) plans that stage only; empty: the first pretrain/sft/grpo stage (or
// the first distill stage when there is none) for training and the first generating stage for the
// KV cache. Throws InputError naming `file` when the stage does not exist or plans nothing.
PlannedStages pick_planned_stages(const RunConfig& c, const std::string& stage_option, const std::string& file);

// The model a stage trains (distill: the student) or generates with.
const ModelConfig& planned_model(const RunConfig& c, const PlannedStages& stages);

// Per-rank shape of one optimizer step of `s` on the grid; `prompt_tokens` bounds GRPO prompts.
StepShape training_step_shape(const ModelConfig& m, const StageConfig& s, const GridLayout& g, int64_t prompt_tokens,
                              std::string& description);
// KV-cache slots and positions per rank when `s` generates.
GenerationShape generation_shape(const ModelConfig& m, const StageConfig& s, const GridLayout& g, int64_t prompt_tokens,
                                 std::string& description);

}  // namespace r1::cli
