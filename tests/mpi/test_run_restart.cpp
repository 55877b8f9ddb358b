// Restart behaviour of whole recipes (in-process):
//  - rerunning a finished run resumes at its end and changes nothing;
//  - a config whose model does not match the checkpoint fails before any work, names the differing
//    tensors, and leaves every file of the run directory as it was;
//  - a bit-flipped newest checkpoint is skipped, the previous one is used, and the run still ends
//    with the same weights;
//  - resharding: a checkpoint written by 2 data-parallel ranks loads on 1 rank bit for bit.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/test_support.hpp"
#include "core/log.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "io/checkpoint/checkpoint_folder.hpp"
#include "mpi/mpi_test_support.hpp"

namespace fs = std::filesystem;
using namespace r1;
using namespace r1::test;

namespace {
const char* kRecipe = R"(
seed: 9
tokenizer: {source: train, vocab_size: 300, train_examples: 200}
synth: {min_terms: 2, max_terms: 2, min_digits: 1, max_digits: 1}
checkpoint: {every: 2, keep: 10}
model: {architecture: deepseek_v3, vocab_size: 0, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
        num_attention_heads: 2, q_lora_rank: 16, kv_lora_rank: 16, qk_nope_head_dim: 8, qk_rope_head_dim: 4,
        v_head_dim: 8, n_routed_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 16, n_group: 2,
        topk_group: 1, first_k_dense_replace: 1, max_position_embeddings: 64}
stages:
  - {kind: pretrain, steps: 5, batch_size: 8, micro_batch_size: 4, seq_len: 48, data: {examples: 100}}
  - {kind: sft, steps: 3, batch_size: 8, micro_batch_size: 8, seq_len: 48, data: {examples: 40}}
)";

std::vector<float> weights(const RecipeResult& r) { return to_f32_vector(r.model->params().flat_values()); }

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Path -> (size, content hash) of every file under dir.
std::map<std::string, std::pair<uintmax_t, uint64_t>> snapshot(const std::string& dir) {
  std::map<std::string, std::pair<uintmax_t, uint64_t>> out;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
    out[e.path().string()] = {e.file_size(), h};
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_run_restart)

BOOST_AUTO_TEST_CASE(finished_run_reruns_as_a_no_op) {
  set_log_quiet(true);
  Comm world = world_comm();
  std::string dir = scratch_dir(world, "rerun") + "/run";
  auto first = weights(run_inline_recipe(kRecipe, {"run_dir=" + dir}, world));
  world.barrier();
  auto before = snapshot(dir);
  world.barrier();
  auto second = weights(run_inline_recipe(kRecipe, {"run_dir=" + dir}, world));
  world.barrier();
  BOOST_TEST(same_bits(first, second));
  if (world.rank() == 0) BOOST_TEST((snapshot(dir) == before), "a rerun of a finished run changed files");
}

BOOST_AUTO_TEST_CASE(model_mismatch_fails_before_any_work) {
  set_log_quiet(true);
  Comm world = world_comm();
  std::string dir = scratch_dir(world, "mismatch") + "/run";
  run_inline_recipe(kRecipe, {"run_dir=" + dir, "stages.1.steps=1"}, world);
  world.barrier();
  auto before = snapshot(dir);
  world.barrier();
  std::string message;
  try {
    run_inline_recipe(kRecipe, {"run_dir=" + dir, "model.hidden_size=48"}, world);
  } catch (const InputError& e) {
    message = e.what();
  }
  BOOST_TEST_MESSAGE("mismatch message: " << message.substr(0, 300));
  BOOST_TEST(message.find("tensors differ") != std::string::npos);
  BOOST_TEST(message.find("model.embed_tokens.weight") != std::string::npos);
  BOOST_TEST(message.find("[300, 48]") == std::string::npos);  // shapes are reported as checkpoint vs model
  world.barrier();
  if (world.rank() == 0) BOOST_TEST((snapshot(dir) == before), "a failed start changed files in the run directory");
}

BOOST_AUTO_TEST_CASE(corrupt_newest_checkpoint_falls_back_and_ends_identical) {
  set_log_quiet(true);
  Comm world = world_comm();
  std::string dir = scratch_dir(world, "corrupt") + "/run";
  auto reference = weights(run_inline_recipe(kRecipe, {"run_dir=" + dir}, world));
  world.barrier();
  std::string ckdir = dir + "/checkpoints";
  if (world.rank() == 0) {
    // Flip one bit inside /model/model.embed_tokens.weight of the newest checkpoint.
    std::string newest = ckdir + "/" + *read_latest(ckdir);
    int64_t offset;
    {
      CheckpointReader r(newest);
      offset = *r.data_offset("/model/model.embed_tokens.weight");
    }
    std::fstream f(newest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(offset + 123);
    char c;
    f.get(c);
    f.seekp(offset + 123);
    f.put(char(c ^ 0x10));
  }
  world.barrier();
  auto again = weights(run_inline_recipe(kRecipe, {"run_dir=" + dir}, world));
  BOOST_TEST(same_bits(reference, again), "the rerun from the previous checkpoint ended with other weights");
}

BOOST_AUTO_TEST_CASE(two_rank_checkpoint_loads_on_one_rank) {
  set_log_quiet(true);
  Comm world = world_comm();
  if (world.size() != 2) return;  // the resharding case needs 2 ranks writing
  std::string dir = scratch_dir(world, "reshard") + "/run";
  auto written = weights(run_inline_recipe(kRecipe, {"run_dir=" + dir}, world));
  world.barrier();
  Comm solo = world.split(world.rank(), 0);
  if (world.rank() == 0) {
    auto loaded = weights(run_inline_recipe(kRecipe, {"run_dir=" + dir}, solo));  // resumes at the end: a pure load
    BOOST_TEST(same_bits(written, loaded));
  }
  world.barrier();
}

BOOST_AUTO_TEST_SUITE_END()
