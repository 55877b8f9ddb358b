// StopRules: when a completion is finished — the end-of-sequence token (unless sampling.ignore_eos),
// a stop string at its end, or max_new_tokens. Every rank of a pipeline applies them to the same
// tokens, so every stage frees the same slots.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/tokenizer/tokenizer.hpp"
#include "rl/rollout/sampling_config.hpp"

namespace r1 {

enum class StopReason { end_of_sequence, stop_string, max_tokens };

class StopRules {
 public:
  StopRules(const Tokenizer& tokenizer, const SamplingConfig& sampling);
  // Why `generated` (its last token just sampled) is finished, or nothing while it goes on.
  std::optional<StopReason> check(const std::vector<int32_t>& generated) const;

 private:
  bool ends_with_stop_string(const std::vector<int32_t>& generated) const;
  const Tokenizer& tokenizer_;
  const SamplingConfig& sampling_;
  size_t longest_stop_ = 0;
};

}  // namespace r1
