// DecodeGraphs: the pure decoding rounds of generation (one new row per active slot, no prompt being
// prefilled) as recorded device graphs. Per row count it keeps device buffers for the rows (token,
// position, slot, cache row) and the uniforms, and a DeviceGraph of the cached forward, the logits
// and the sampling (and the sampled tokens' log-probs); a round uploads its rows, launches the graph
// and reads back the sampled tokens and their log-probs —
// one launch instead of ~250 kernel launches per token on a 28-layer model. On the host (or with
// R1_CUDA_GRAPHS=0) the same ops run directly, so results are the same bits either way.
#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <vector>

#include "kernels/ops_types.hpp"
#include "model/model.hpp"

namespace r1 {

class DecodeGraphs {
 public:
  // `logit_scale`: the log-probs are of softmax(logit_scale * logits), the training forward's.
  DecodeGraphs(const Model& model, KvCache& cache, const ops::SamplingParams& params, double logit_scale);
  ~DecodeGraphs();
  // Whether the engine may use this for `model` on one pipeline stage: always on the host, on the
  // GPU when the cached forward is recordable.
  static bool usable(const Model& model);
  // rows: one row per slot (its last token at its next position); uniforms: one per row. Sets the
  // sampled token of each row and its log-prob.
  void step(const CachedRows& rows, const std::vector<double>& uniforms, std::vector<int32_t>& tokens,
            std::vector<double>& logp);

 private:
  struct Step;
  Step& step_for(int64_t rows);
  const Model& model_;
  KvCache& cache_;
  ops::SamplingParams params_;
  double logit_scale_;
  std::list<std::unique_ptr<Step>> steps_;  // most recently used first; at most kMaxGraphs
};

}  // namespace r1
