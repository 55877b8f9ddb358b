// MPI test helpers.
#include "mpi/mpi_test_support.hpp"

#include <filesystem>

#include "core/config_yaml.hpp"
#include "rl/model_factory.hpp"

namespace r1::test {

Comm world_comm() { return Comm::duplicate(MPI_COMM_WORLD); }

std::string scratch_dir(const Comm& world, const std::string& name) {
  std::string path = (std::filesystem::current_path() / "scratch" / (name + "-np" + std::to_string(world.size()))).string();
  if (world.rank() == 0) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  world.barrier();
  return path;
}

RecipeResult run_inline_recipe(const std::string& yaml, const std::vector<std::string>& overrides, const Comm& world) {
  RecipeInputs in;
  ConfigSource src{"<test config>", yaml, overrides};
  read_config(src, in.config);
  in.config_file = src.file;
  in.resolved_yaml = write_config(in.config);
  return run_recipe(in, world);
}

const char* tiny_moe_model_yaml() {
  return R"(
architecture: deepseek_v3
vocab_size: 64
hidden_size: 32
intermediate_size: 48
num_hidden_layers: 3
num_attention_heads: 2
q_lora_rank: 16
kv_lora_rank: 16
qk_nope_head_dim: 8
qk_rope_head_dim: 4
v_head_dim: 8
n_routed_experts: 8
n_shared_experts: 1
num_experts_per_tok: 2
moe_intermediate_size: 16
n_group: 4
topk_group: 2
first_k_dense_replace: 1
router_bias_update_speed: 0.01
seq_aux_loss_alpha: 0.01
num_nextn_predict_layers: 0
max_position_embeddings: 64
initializer_range: 0.2
)";
}

std::unique_ptr<RunContext> host_run_context(const RunConfig& rc, const Comm& comm, const Tokenizer& tok, uint64_t seed) {
  auto ctx = std::make_unique<RunContext>(rc, "<test>", comm, comm, tok);
  ctx->run.grid = make_run_grid(rc, rc.model, comm, Device::host, "<test>");
  ctx->run.dp = ctx->run.grid->dp();
  ctx->policy.model = make_rank_model(*ctx, rc.model);
  ctx->policy.model->init_weights(seed);
  return ctx;
}

}  // namespace r1::test
