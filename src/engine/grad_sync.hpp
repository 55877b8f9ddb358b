// Gradient and router-load synchronisation across data-parallel replicas: gradients are summed in
// buckets of `parallel.bucket_mb` (the loss weights are already normalised over the global batch)
// and the global norm returned; expert loads are summed so every replica applies the same
// balancing-bias step.
#pragma once
#include <vector>

#include "model/model.hpp"
#include "parallel/parallel_grid.hpp"

namespace r1 {

// Sums the flat gradient buffer over the grid's data-parallel ranks (experts over their replicas) in
// buckets of `bucket_mb` MiB and returns the global L2 norm (NaN stays NaN).
double synchronize_gradients(const ParallelGrid& grid, Model& model, double bucket_mb);
// Sums per-layer expert loads over the grid's data-parallel ranks (layers without tokens this step count as zero).
void reduce_expert_load(const ParallelGrid& grid, std::vector<std::vector<int64_t>>& load, int64_t layers, int64_t experts);

}  // namespace r1
