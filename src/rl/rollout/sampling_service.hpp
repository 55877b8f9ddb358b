// The one sampling service of the recipe: GRPO's rollouts, evaluation and rejection sampling (and
// distillation's teacher traces) all call sample_and_score — this rank's share of the prompts,
// `per_prompt` completions each through the rollout engine, each completion scored (the stage's
// weighted rewards when given; correctness, format and language always).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/tokenizer/tokenizer.hpp"
#include "model/model.hpp"
#include "parallel/comm.hpp"
#include "parallel/parallel_grid.hpp"
#include "rl/data/example.hpp"
#include "rl/rewards/reward.hpp"
#include "rl/rollout/rollout_engine.hpp"
#include "rl/rollout/rollout_scoring.hpp"
#include "rl/rollout/sampling_config.hpp"

namespace r1 {

struct SampleRequest {
  int64_t per_prompt = 1;                            // completions per prompt (GRPO's group size, eval's k)
  const SamplingConfig* sampling = nullptr;
  uint64_t seed = 0;                                 // with `step`: the sampling streams (rollout_engine.hpp)
  int64_t step = 0;
  const rewards::WeightedRewards* rewards = nullptr; // null: no reward, only the verifier's checks
  std::string language = "en";                       // the chain of thought's expected language
};

struct SampleBatch {
  std::vector<const Example*> prompts;  // this rank's share of the prompts, in order
  int64_t per_prompt = 1;
  std::vector<Rollout> rollouts;        // per_prompt per prompt, prompt-major
  std::vector<ScoredRollout> scored;    // one per rollout
  RolloutStats stats;
  double scoring_seconds = 0;           // decoding and rewarding the completions (host work)
  const Example& prompt_of(size_t completion) const { return *prompts[completion / size_t(per_prompt)]; }
};

// `global_prompts` is the job's list (alike on every rank); the share is by `dp` rank. With a
// pipeline (`grid`), every stage of it samples the same completions (rollout_engine.hpp).
SampleBatch sample_and_score(const Model& model, const Tokenizer& tokenizer, const ParallelGrid* grid, const Comm& dp,
                             const std::vector<const Example*>& global_prompts, const SampleRequest& request);

// Pointers to every element of `examples` (a stage's whole prompt list).
std::vector<const Example*> all_of(const std::vector<Example>& examples);

}  // namespace r1
