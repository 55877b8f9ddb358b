// Determinism and data-parallel equality of a whole (tiny) pretrain + SFT recipe:
//  - two runs with the same config, seed and layout end with bit-identical weights;
//  - on 2 ranks (data parallel), the final weights equal a 1-rank run of the same global batch within
//    float32 rounding (the loss is normalised over the global batch, so only summation order differs).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>

#include "common/test_support.hpp"
#include "core/log.hpp"
#include "mpi/mpi_test_support.hpp"

using namespace r1;
using namespace r1::test;

namespace {
const char* kRecipe = R"(
seed: 77
tokenizer: {source: train, vocab_size: 300, train_examples: 300}
synth: {min_terms: 2, max_terms: 2, min_digits: 1, max_digits: 2}
model:
  architecture: deepseek_v3
  vocab_size: 0
  hidden_size: 32
  intermediate_size: 48
  num_hidden_layers: 2
  num_attention_heads: 2
  q_lora_rank: 16
  kv_lora_rank: 16
  qk_nope_head_dim: 8
  qk_rope_head_dim: 4
  v_head_dim: 8
  n_routed_experts: 4
  n_shared_experts: 1
  num_experts_per_tok: 2
  moe_intermediate_size: 16
  n_group: 2
  topk_group: 1
  first_k_dense_replace: 1
  seq_aux_loss_alpha: 0.001
  num_nextn_predict_layers: 1
  max_position_embeddings: 64
stages:
  - kind: pretrain
    steps: 4
    batch_size: 8
    micro_batch_size: 2
    seq_len: 48
    data: {examples: 200}
  - kind: sft
    steps: 3
    batch_size: 8
    micro_batch_size: 4
    seq_len: 48
    data: {examples: 100}
)";

std::vector<float> final_weights(const Comm& comm, const std::string& dir, std::vector<float>* initial = nullptr) {
  RecipeResult r = run_inline_recipe(kRecipe, {"run_dir=" + dir}, comm);
  if (initial) {
    Model fresh(r.model->config(), DType::f32, Device::host);
    fresh.init_weights(77);
    *initial = to_f32_vector(fresh.params().flat_values());
  }
  return to_f32_vector(r.model->params().flat_values());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_determinism)

BOOST_AUTO_TEST_CASE(same_seed_same_layout_gives_identical_bits) {
  set_log_quiet(true);
  Comm world = world_comm();
  std::string dir = scratch_dir(world, "determinism");
  std::vector<float> initial;
  auto a = final_weights(world, dir + "/a", &initial);
  auto b = final_weights(world, dir + "/b");
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  BOOST_TEST(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  // Training moved the weights (otherwise the comparison above would be vacuous).
  std::vector<double> a64(a.begin(), a.end()), i64(initial.begin(), initial.end());
  BOOST_TEST(rel_error(a64, i64) > 1e-3);
}

BOOST_AUTO_TEST_CASE(data_parallel_matches_single_rank) {
  set_log_quiet(true);
  Comm world = world_comm();
  if (world.size() == 1) return;  // nothing to compare on one rank
  std::string dir = scratch_dir(world, "dp-equality");
  // Reference: rank 0 alone runs the same global batch.
  Comm solo = world.split(world.rank() == 0 ? 0 : 1, world.rank());
  std::vector<float> reference;
  if (world.rank() == 0) reference = final_weights(solo, dir + "/solo");
  world.barrier();
  auto parallel = final_weights(world, dir + "/dp");
  if (world.rank() == 0) {
    std::vector<double> p(parallel.begin(), parallel.end()), r(reference.begin(), reference.end());
    double err = rel_error(p, r);
    BOOST_TEST_MESSAGE("dp=" << world.size() << " vs 1 rank: relative weight difference " << err);
    BOOST_TEST(err < 1e-5);
  }
}

BOOST_AUTO_TEST_SUITE_END()
