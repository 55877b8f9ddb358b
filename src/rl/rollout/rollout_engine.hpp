// RolloutEngine: batched generation with a KV cache and continuous batching — finished sequences
// free their cache slot and the next prompt is prefilled in the same forward as the others' decode
// steps. The random number for token t of (prompt id, sample id) at `step` is element t of the
// counter-based stream (seed, "sample", step, prompt id, sample id), so a completion does not depend
// on which other prompts share its batch, the batch size, or the rank layout.
#pragma once
#include <cstdint>
#include <vector>

#include "io/tokenizer/tokenizer.hpp"
#include "model/model.hpp"
#include "parallel/parallel_grid.hpp"
#include "rl/rollout/sampling_config.hpp"
#include "rl/rollout/stop_rules.hpp"

namespace r1 {

struct RolloutRequest {
  int64_t prompt_id = 0, sample_id = 0;
  const std::vector<int32_t>* prompt = nullptr;
};

struct Rollout {
  std::vector<int32_t> tokens;  // generated tokens (the end-of-sequence token included when produced)
  std::vector<double> logp;     // per token: its log-prob under the sampling policy (sampling.logit_scale()),
                                // recorded on the pipeline's last stage (empty elsewhere)
  StopReason stop = StopReason::max_tokens;
  bool truncated() const { return stop == StopReason::max_tokens; }
};

struct RolloutStats {
  int64_t forwards = 0, prefill_tokens = 0, generated_tokens = 0;
  int64_t decode_rounds = 0;  // rounds without a prompt to prefill
  int64_t slots = 0;          // KV-cache slots (sequences in flight at most)
  double seconds = 0;
  double decode_seconds = 0;  // of those rounds (the rest went to rounds that prefilled prompts)
};

// KV-cache slots (sequences in flight) for `requests` sequences of up to `capacity` tokens:
// sampling.batch when set, else every request at once — on a GPU as many as fit in 80% of the memory
// r1 can still allocate, counting each slot's cache rows and its per-round logits and sampler
// buffers. At least 1.
int64_t rollout_slots(const Model& model, const SamplingConfig& sampling, int64_t requests, int64_t capacity);

// With a pipeline (grid with pp > 1) every rank of the pipeline calls generate() with the same
// requests; each runs its stage's layers (KV caches live on the stage owning the layer), the last
// stage samples and broadcasts the tokens. generate() is three parts: the slot scheduling
// (rl/rollout/slot_scheduler.hpp), one decoding round through the pipeline with the expert group's
// agreement (engine/decode_round.hpp) and the stop rules (rl/rollout/stop_rules.hpp).
class RolloutEngine {
 public:
  RolloutEngine(const Model& model, const Tokenizer& tokenizer, const ParallelGrid* grid = nullptr);
  std::vector<Rollout> generate(const std::vector<RolloutRequest>& requests, const SamplingConfig& sampling,
                                uint64_t seed, int64_t step, RolloutStats* stats = nullptr) const;

 private:
  const Model& model_;
  const Tokenizer& tokenizer_;
  const ParallelGrid* grid_;
};

}  // namespace r1
