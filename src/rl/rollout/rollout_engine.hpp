// RolloutEngine: batched generation with a KV cache and continuous batching — finished sequences
// free their cache slot and the next prompt is prefilled in the same forward as the others' decode
// steps. The random number for token t of (prompt id, sample id) at `step` is element t of the
// counter-based stream (seed, "sample", step, prompt id, sample id), so a completion does not depend
// on which other prompts share its batch, the batch size, or the rank layout.
#pragma once
#include <cstdint>
#include <vector>

#include "io/tokenizer.hpp"
#include "model/model.hpp"
#include "rl/rollout/sampling_config.hpp"

namespace r1 {

struct RolloutRequest {
  int64_t prompt_id = 0, sample_id = 0;
  const std::vector<int32_t>* prompt = nullptr;
};

enum class StopReason { end_of_sequence, stop_string, max_tokens };

struct Rollout {
  std::vector<int32_t> tokens;  // generated tokens (the end-of-sequence token included when produced)
  StopReason stop = StopReason::max_tokens;
  bool truncated() const { return stop == StopReason::max_tokens; }
};

struct RolloutStats {
  int64_t forwards = 0, prefill_tokens = 0, generated_tokens = 0;
  double seconds = 0;
};

class RolloutEngine {
 public:
  RolloutEngine(const Model& model, const Tokenizer& tokenizer);
  std::vector<Rollout> generate(const std::vector<RolloutRequest>& requests, const SamplingConfig& sampling,
                                uint64_t seed, int64_t step, RolloutStats* stats = nullptr) const;

 private:
  const Model& model_;
  const Tokenizer& tokenizer_;
};

}  // namespace r1
