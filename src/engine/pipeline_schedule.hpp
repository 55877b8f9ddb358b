// Running micro-batches through this rank's pipeline stage. Training uses the 1F1B schedule
// (PipeDream-Flush, as in Megatron-LM): stage s first runs pp - s - 1 forwards, then alternates one
// forward and one backward, then drains the remaining backwards. Neighbouring stages exchange
// activations and gradients with combined send/receive steps in a fixed order, so the schedule
// cannot deadlock. Every rank of a pipeline builds the same micro-batches (they hold the same data),
// so message sizes are known without a handshake. With pp == 1 these are plain loops.
#pragma once
#include <functional>
#include <vector>

#include "model/model.hpp"
#include "parallel/parallel_grid.hpp"

namespace r1 {

// What the last stage makes of a micro-batch's outputs: d(loss)/d(logp) (and per MTP depth).
struct MicroBatchGrad {
  Tensor dlogp;
  std::vector<Tensor> mtp_dlogp;
};
using LossFunction = std::function<MicroBatchGrad(size_t micro, const TokenBatch& batch, const ModelOutput& out)>;

struct PipelineOptions {
  WithEntropy entropy = WithEntropy::no;
  double logit_scale = 1.0;
  bool with_mtp = false;
};

struct PipelineStepResult {
  std::vector<std::vector<int64_t>> expert_load;  // this stage's MoE layers, summed over micro-batches
  double aux_loss = 0;                            // this stage's MoE balance losses, summed
};

// Forward + backward of every micro-batch; parameter gradients accumulate. `loss` runs on the last stage.
PipelineStepResult pipeline_forward_backward(const Model& model, const ParallelGrid& grid,
                                             const std::vector<TokenBatch>& micro, const LossFunction& loss,
                                             const PipelineOptions& options);
// Inference forward of every micro-batch: the last stage returns each micro-batch's outputs
// (log-probs, entropy); other stages return empty outputs.
std::vector<ModelOutput> pipeline_forward(const Model& model, const ParallelGrid& grid, const std::vector<TokenBatch>& micro,
                                          const PipelineOptions& options);

}  // namespace r1
