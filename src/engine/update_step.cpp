// run_update and the non-finite policy.
#include "engine/update_step.hpp"

#include <cmath>

#include "core/error.hpp"
#include "engine/grad_sync.hpp"

namespace r1 {

UpdateResult run_update(const UpdateTarget& target, Optimizer& opt, std::vector<TokenBatch>& micro, int64_t aux_sequences,
                        const LossFunction& loss, const PipelineOptions& options) {
  Model& model = target.model;
  const ModelConfig& mc = model.config();
  model.params().zero_grads();
  for (TokenBatch& b : micro) b.aux_loss_weight = 1.0 / double(std::max<int64_t>(1, aux_sequences));
  PipelineStepResult pr = pipeline_forward_backward(model, target.grid, micro, loss, options);
  UpdateResult r;
  r.aux_loss = pr.aux_loss;
  r.grad_norm = synchronize_gradients(target.grid, model, target.bucket_mb);
  if (std::isfinite(r.grad_norm)) r.lr = opt.step(r.grad_norm);
  else r.skipped = true;
  if (model.local_moe_layers() > 0 && mc.router_has_bias()) {  // Qwen3-MoE routers have no balancing bias
    reduce_expert_load(target.grid, pr.expert_load, model.local_moe_layers(), mc.n_routed_experts);
    model.update_router_bias(pr.expert_load);
  }
  return r;
}

void NonFiniteGuard::record(bool skipped) {
  in_a_row_ = skipped ? in_a_row_ + 1 : 0;
  total_ += skipped ? 1 : 0;
}

void NonFiniteGuard::check() const {
  R1_CHECK(in_a_row_ < limit_, stage_, ": ", in_a_row_,
           " consecutive updates with a non-finite gradient (optim.max_nonfinite_steps: ", limit_,
           "); stopping before anything non-finite is saved");
}

}  // namespace r1
