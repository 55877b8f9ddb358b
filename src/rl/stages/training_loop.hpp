// The loop every training stage runs, written once: pretrain, sft, distill's student and grpo give
// it their step; it does the rest —
//   resume   a restart inside the stage seeks the data sampler, restores the optimizer state and
//            continues after the last checkpointed step;
//   per step the stage's step fills the metrics record; the loop adds the step, global step,
//            step time, tokens per second and skipped-update total, writes the record, applies the
//            non-finite stop (after the record, so the stopping step is on record), prints the
//            progress line every log_every steps (the stage's figures, tok/s, ETA), and checkpoints
//            when due or on a stop signal (every rank agrees on the signal).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/optimizer.hpp"
#include "engine/update_step.hpp"
#include "rl/data/epoch_sampler.hpp"
#include "rl/data/example.hpp"
#include "rl/run_context.hpp"

namespace r1 {

struct TrainingStep {
  std::vector<const Example*> batch;  // the step's global batch from the stage's sampler
  int64_t step = 0;                   // 1-based within the stage
  NonFiniteGuard* nonfinite = nullptr;  // record every update of the step here
  nlohmann::json* record = nullptr;     // the step's metrics line (stage, kind, step already set)
  // More examples from the stage's sampler within the step (DAPO's dynamic sampling); the cursor
  // saved with the step's checkpoint is after them. Null where nothing more can be drawn.
  std::function<std::vector<const Example*>(int64_t count)> draw_more;
};

struct TrainingLoop {
  std::string kind;                 // the records' "kind"
  int64_t batch = 1;                // examples drawn from the sampler per step
  int64_t updates_per_step = 1;     // optimizer steps per stage step (global_step advances by it)
  Optimizer* optimizer = nullptr;
  const Model* reference = nullptr;  // saved with each checkpoint (grpo with beta > 0)
  // One step; returns the tokens it processed over the whole job (for tokens_per_s).
  std::function<double(TrainingStep&)> step;
  // The stage's figures for the progress line, from the step's record.
  std::function<std::string(const nlohmann::json& record)> progress;
};

// Fills step.batch with the next `count` examples of `sampler` over `data`, and step.draw_more with
// further draws from the same sampler (the stage loop and `r1 bench grpo`).
void draw_step_batch(TrainingStep& step, EpochSampler& sampler, const std::vector<Example>& data, int64_t count);

// Runs stage.steps steps over `data` (the sampler's seed: `sampler_seed`).
void run_training_loop(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& data,
                       uint64_t sampler_seed, const TrainingLoop& loop);

}  // namespace r1
