// Data-parallel gradient and load reduction over MPI.
#include "rl/grad_sync.hpp"

#include <cmath>

#include "kernels/ops.hpp"
#include "rl/step_timers.hpp"

namespace r1 {

double synchronize_gradients(RunContext& ctx, Model& model) {
  ScopedStepTimer timer(&step_timers(), StepPart::all_reduce);
  Tensor& grads = model.params().flat_grads();
  if (ctx.dp.size() > 1) {
    if (grads.is_host()) {
      ctx.dp.allreduce(grads);
    } else {
      Tensor host = grads.to(Device::host);
      ctx.dp.allreduce(host);
      grads.copy_from(host);
    }
  }
  return std::sqrt(ops::sum_squares(grads));
}

void reduce_expert_load(RunContext& ctx, std::vector<std::vector<int64_t>>& load, int64_t layers, int64_t experts) {
  if (load.empty()) load.assign(size_t(layers), std::vector<int64_t>(size_t(experts), 0));
  std::vector<int64_t> flat;
  for (auto& l : load) flat.insert(flat.end(), l.begin(), l.end());
  ctx.dp.allreduce(flat);
  for (size_t i = 0; i < load.size(); ++i)
    for (size_t e = 0; e < load[i].size(); ++e) load[i][e] = flat[i * size_t(experts) + e];
}

}  // namespace r1
