// Rank-local model construction.
#include "rl/model_factory.hpp"

#include "kernels/runtime.hpp"
#include "model/model_shard.hpp"

namespace r1 {

std::shared_ptr<ParallelGrid> make_run_grid(const RunConfig& run, const ModelConfig& config, const Comm& world,
                                            Device device, const std::string& where) {
  GridLayout layout = make_grid_layout(world.size(), run.parallel.pp, run.parallel.ep, config.num_hidden_layers,
                                       config.n_routed_experts, run.parallel.layers, where);
  return std::make_shared<ParallelGrid>(world, layout, device);
}

std::unique_ptr<Model> make_rank_model(const RunContext& ctx, const ModelConfig& config) {
  const GridLayout& g = ctx.run.grid->layout();
  GridLayout layout = g;
  if (config.num_hidden_layers != g.stage_layer_begin.back() || config.n_routed_experts != g.experts) {
    layout = make_grid_layout(g.world, g.pp, config.n_routed_experts > 0 ? g.ep : 1, config.num_hidden_layers,
                              config.n_routed_experts, {}, ctx.run.config_file + " (model of " +
                              std::to_string(config.num_hidden_layers) + " layers)");
  }
  ModelShard shard = shard_for(layout, rank_position(layout, ctx.run.world.rank()));
  TensorComm* ep = layout.ep > 1 ? &ctx.run.grid->ep_tensors() : nullptr;
  return std::make_unique<Model>(config, ctx.run.dtype, ctx.run.device, shard, ep);
}

void setup_random_rank_model(RunContext& ctx, const Comm& world) {
  const RunConfig& c = ctx.run.config;
  ctx.run.device = c.device;
  ctx.run.dtype = ctx.run.device == Device::cuda ? DType::bf16 : DType::f32;  // bf16 compute, f32 master weights on GPUs
  if (ctx.run.device == Device::cuda) ComputeRuntime::enable_cuda(world.node_local_rank());
  ModelConfig mc = c.model;
  if (mc.vocab_size == 0) mc.vocab_size = ctx.policy.tokenizer.vocab_size();
  ctx.run.grid = make_run_grid(c, mc, world, ctx.run.device, ctx.run.config_file);
  ctx.run.dp = ctx.run.grid->dp();
  ctx.policy.model = make_rank_model(ctx, mc);
  ctx.policy.model->init_weights(uint64_t(c.seed));
}

}  // namespace r1
