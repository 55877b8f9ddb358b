// The supervised stages: `pretrain` (next-token loss on every token of plain documents) and `sft`
// (loss on response tokens only, prompts masked). Both run sft_step, which reads top to bottom:
// shard the global batch, loss weights normalised over the whole global batch, one run_update
// (engine/update_step.hpp: forward/backward, gradient sync, clip, AdamW, router balance), report.
#pragma once
#include <vector>

#include "rl/data/example.hpp"
#include "rl/data/token_batch_builder.hpp"
#include "engine/optimizer.hpp"
#include "rl/run_context.hpp"

namespace r1 {

struct SftStepStats {
  double loss = 0;       // mean next-token cross-entropy over the global batch's target tokens
  double mtp_loss = 0;   // mean over MTP depths of their cross-entropy (0 when off)
  double aux_loss = 0;   // MoE sequence balance loss
  double grad_norm = 0;  // before clipping
  double lr = 0;
  int64_t tokens = 0;    // tokens processed by the whole job this step
  int64_t target_tokens = 0;
  bool skipped = false;  // non-finite gradient: no update
};

SftStepStats sft_step(RunContext& ctx, Optimizer& opt, const StageConfig& stage,
                      const std::vector<const Example*>& global_batch, LossOn loss_on);

// Runs a whole pretrain/sft stage on `examples` (the stage's dataset).
void run_sft_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& examples);

}  // namespace r1
