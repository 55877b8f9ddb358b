// SamplingConfig: how completions are drawn (a recipe key in grpo, rejection_sample, distill and
// eval stages).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/config_visitor.hpp"
#include "kernels/ops_types.hpp"

namespace r1 {

struct SamplingConfig {
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  int64_t max_new_tokens = 64;
  std::vector<std::string> stop;  // stop strings (generation also stops at the end-of-sequence token)
  int64_t batch = 0;              // sequences decoded together per rank (KV-cache slots); 0: all at once
                                  // (as many as the device memory holds: rollout_slots)
  bool ignore_eos = false;        // keep generating past the end-of-sequence token (benchmarks)
  void visit(ConfigVisitor& v);
  ops::SamplingParams params() const { return {temperature, top_p, top_k}; }
  // The scale of the logits whose softmax the sampled tokens' log-probs are taken under (rollout and
  // training alike): 1 / temperature, 1 for greedy decoding.
  double logit_scale() const { return temperature > 0 ? 1.0 / temperature : 1.0; }
};

}  // namespace r1
