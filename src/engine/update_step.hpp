// One optimizer update, the same for every training stage (pretrain, sft, grpo, distill's student):
// zero the gradients -> forward/backward of the micro-batches through the pipeline schedule ->
// gradients summed over data-parallel replicas -> clip + AdamW when the gradient norm is finite ->
// the routers' balancing bias from the update's expert loads (reduced over the replicas) -> the
// non-finite policy (NonFiniteGuard: skipped updates are counted, and too many in a row stop the run
// before anything non-finite could be checkpointed: a skipped update leaves the weights as they were).
#pragma once
#include <string>
#include <vector>

#include "engine/optimizer.hpp"
#include "engine/pipeline_schedule.hpp"

namespace r1 {

struct UpdateResult {
  double grad_norm = 0;  // before clipping, over every rank
  double lr = 0;         // 0 when skipped
  double aux_loss = 0;   // this rank's MoE sequence balance losses (sum them over the world)
  bool skipped = false;  // non-finite gradient: no optimizer step
};

// What an update runs on: this rank's model under the grid, and the gradient all-reduce's bucket size.
struct UpdateTarget {
  Model& model;
  const ParallelGrid& grid;
  double bucket_mb = 32;  // parallel.bucket_mb
};

// `aux_sequences`: the sequences of the whole update over every replica (each sequence's balance
// loss weighs 1 / aux_sequences, scaled by the model's seq_aux_loss_alpha).
UpdateResult run_update(const UpdateTarget& target, Optimizer& opt, std::vector<TokenBatch>& micro, int64_t aux_sequences,
                        const LossFunction& loss, const PipelineOptions& options);

// The non-finite policy of a stage: `limit` (optim.max_nonfinite_steps) skipped updates in a row
// stop the run with an error naming the stage. Stages record every update, write their metrics line
// (so the stopping step is on record), then check before checkpointing.
class NonFiniteGuard {
 public:
  NonFiniteGuard(std::string stage, int64_t limit) : stage_(std::move(stage)), limit_(limit) {}
  void record(bool skipped);
  void check() const;                       // throws after `limit` skipped updates in a row
  int64_t total() const { return total_; }  // skipped updates so far in this stage
 private:
  std::string stage_;
  int64_t limit_ = 5, in_a_row_ = 0, total_ = 0;
};

}  // namespace r1
