// `r1 bench grpo`: whole GRPO steps of a recipe's grpo stage on random weights (no run directory, no
// checkpoints), timed phase by phase from the step's own record (the same grpo_step the recipe runs):
// prefill, decode, rewards, old and reference log-probs, update; tokens generated and trained per
// second, the device memory high-water mark, the share of the step spent generating, and the
// generation's physical floor — every decoding round reads all weights once plus every active
// sequence's KV cache — at a given memory bandwidth.
#pragma once
#include <string>

#include "parallel/comm.hpp"
#include "rl/recipe_runner.hpp"

namespace r1 {

struct BenchGrpoOptions {
  int64_t steps = 2, warmup = 1;
  std::string stage;        // name or index of the grpo stage (default: the first)
  double bandwidth_gbs = 0; // measured copy bandwidth (r1 bench device) for the floor (0: not reported)
};

struct BenchGrpoResult {
  int ranks = 1;
  int64_t parameters = 0, prompts = 0, group = 0, new_tokens = 0, prompt_tokens = 0, slots = 0, steps = 0;
  // Per step, averaged over the timed steps (max over ranks within a step).
  double step_s = 0, prefill_s = 0, decode_s = 0, rewards_s = 0, old_logp_s = 0, ref_logp_s = 0, update_s = 0;
  double tokens_generated = 0, tokens_trained = 0;  // per step, whole job
  double generated_per_s = 0, trained_per_s = 0, generation_share = 0;
  int64_t peak_device_bytes = 0;
  double weight_bytes = 0, kv_bytes_per_token = 0, floor_s = 0;  // floor_s: the generation's floor per step
  double logp_mismatch_max = -1, logp_mismatch_mean = -1, logp_equal_share = -1;  // last timed step (-1: none)
};

BenchGrpoResult bench_grpo(const RecipeInputs& in, const BenchGrpoOptions& options, const Comm& world);

}  // namespace r1
