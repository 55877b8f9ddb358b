// Gradient and router-load synchronisation across data-parallel replicas: gradients are summed in
// buckets of `parallel.bucket_mb` (the loss weights are already normalised over the global batch)
// and the global norm returned; expert loads are summed so every replica applies the same
// balancing-bias step.
#pragma once
#include <vector>

#include "rl/run_context.hpp"

namespace r1 {

// Sums the flat gradient buffer over ctx.dp and returns the global L2 norm.
double synchronize_gradients(RunContext& ctx, Model& model);
// Sums per-layer expert loads over ctx.dp (layers without tokens this step count as zero).
void reduce_expert_load(RunContext& ctx, std::vector<std::vector<int64_t>>& load, int64_t layers, int64_t experts);

}  // namespace r1
