// Building a model for this rank under the run's grid: the layers of its pipeline stage, its expert
// shard (with the expert-parallel group's transport), in the run's dtype and on its device. A model
// of another depth than the recipe's (a distillation student) gets an even layer split.
#pragma once
#include <memory>

#include "model/model.hpp"
#include "rl/run_context.hpp"

namespace r1 {

// Validates the layout for `config` (InputError naming the broken rule) and builds the grid.
std::shared_ptr<ParallelGrid> make_run_grid(const RunConfig& run, const ModelConfig& config, const Comm& world,
                                            Device device, const std::string& where);
std::unique_ptr<Model> make_rank_model(const RunContext& ctx, const ModelConfig& config);
// For benchmarks: the config's device and dtype (bf16 compute on GPUs), this rank's GPU, the grid,
// and a randomly initialised model of the recipe's shape (vocabulary from the tokenizer when 0).
void setup_random_rank_model(RunContext& ctx, const Comm& world);

}  // namespace r1
