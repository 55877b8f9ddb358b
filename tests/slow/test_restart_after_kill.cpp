// A run killed with SIGKILL at several moments — including while a checkpoint file is being written —
// and rerun with the same command ends with exactly the same final checkpoint as a run that was
// never interrupted: every dataset (weights, optimizer moments, reference model, state) compared bit
// for bit. The recipe covers every stage kind, with checkpoints every step.
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/rng.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "io/checkpoint/checkpoint_folder.hpp"

namespace fs = std::filesystem;
using namespace r1;

namespace {

const char* kRecipe = R"(seed: 5
tokenizer: {source: train, vocab_size: 300, train_examples: 300}
synth: {min_terms: 2, max_terms: 3, min_digits: 1, max_digits: 1}
checkpoint: {every: 1, keep: 2}
model: {architecture: deepseek_v3, vocab_size: 0, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
        num_attention_heads: 2, q_lora_rank: 16, kv_lora_rank: 16, qk_nope_head_dim: 8, qk_rope_head_dim: 4,
        v_head_dim: 8, n_routed_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 16, n_group: 2,
        topk_group: 1, first_k_dense_replace: 1, num_nextn_predict_layers: 1, max_position_embeddings: 64}
stages:
  - {kind: pretrain, steps: 12, batch_size: 16, micro_batch_size: 8, seq_len: 48, data: {examples: 400}}
  - {kind: sft, name: cold, steps: 6, batch_size: 8, micro_batch_size: 8, seq_len: 48, data: {examples: 50}}
  - kind: grpo
    steps: 5
    micro_batch_size: 16
    optim: {lr: 1.0e-4}
    data: {examples: 100}
    grpo: {group_size: 4, prompts_per_step: 4, mu: 2, mini_batches: 2, beta: 0.05,
           rewards: [{name: accuracy}, {name: format, weight: 0.5}], sampling: {max_new_tokens: 16}}
  - {kind: eval, data: {split: heldout, examples: 8}, eval: {samples: 2, sampling: {max_new_tokens: 16}}}
  - kind: rejection_sample
    data: {examples: 30}
    rejection: {samples_per_prompt: 2, require_correct: false, require_format: false, min_language_share: 0, sampling: {max_new_tokens: 16}}
  - {kind: sft, name: rs_sft, steps: 4, batch_size: 8, micro_batch_size: 8, seq_len: 48, data: {source: previous}}
  - kind: distill
    steps: 5
    batch_size: 8
    micro_batch_size: 8
    seq_len: 48
    data: {examples: 20}
    distill:
      student: {architecture: qwen2, vocab_size: 0, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1,
                num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64}
      traces: {samples_per_prompt: 2, require_correct: false, require_format: false, min_language_share: 0, sampling: {max_new_tokens: 16}}
)";

std::string r1_binary() { return R1_BINARY; }

// Starts `r1 run CONFIG run_dir=DIR` in its own process group; returns the pid.
pid_t start_run(const std::string& config, const std::string& dir) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    std::string log = dir + ".log";
    freopen(log.c_str(), "a", stdout);
    freopen(log.c_str(), "a", stderr);
    std::string bin = r1_binary(), rd = "run_dir=" + dir;
    execl(bin.c_str(), bin.c_str(), "run", config.c_str(), rd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool exited(pid_t pid, int* code) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) != pid) return false;
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

bool tmp_checkpoint_present(const std::string& dir) {
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir + "/checkpoints", ec))
    if (e.path().string().size() > 7 && e.path().string().rfind(".h5.tmp") == e.path().string().size() - 7) return true;
  return false;
}

std::string final_checkpoint(const std::string& dir) {
  auto latest = read_latest(dir + "/checkpoints");
  BOOST_REQUIRE(latest);
  return dir + "/checkpoints/" + *latest;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_restart_after_kill)

BOOST_AUTO_TEST_CASE(killed_run_ends_bit_identical) {
  const std::string base = (fs::current_path() / "scratch" / "restart").string();
  fs::remove_all(base);
  fs::create_directories(base);
  const std::string config = base + "/recipe.yaml";
  std::ofstream(config) << kRecipe;

  // Reference: never interrupted. Both runs use the same run_dir (the reference is moved aside), so
  // even the paths inside the state match.
  const std::string dir = base + "/run";
  auto t0 = std::chrono::steady_clock::now();
  BOOST_REQUIRE_EQUAL(wait_exit(start_run(config, dir)), 0);
  fs::rename(dir, base + "/reference");
  double reference_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("reference run: " << reference_seconds << " s");

  // Interrupted: SIGKILL at pseudo-random moments, and twice as soon as a checkpoint .tmp appears.
  CounterRng rng({2026, 11});
  int kills = 0, kills_in_checkpoint_write = 0, code = -1;
  for (int attempt = 0; attempt < 40; ++attempt) {
    pid_t pid = start_run(config, dir);
    const bool target_write = attempt % 3 == 1 && kills_in_checkpoint_write < 3;
    const double delay = (0.15 + 0.7 * rng.uniform()) * reference_seconds / 2.5;
    auto start = std::chrono::steady_clock::now();
    bool killed = false;
    while (!exited(pid, &code)) {
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      bool in_write = target_write && elapsed > 0.3 && tmp_checkpoint_present(dir);
      if (kills < 7 && (in_write || (!target_write && elapsed > delay))) {
        kill(-pid, SIGKILL);
        wait_exit(pid);
        ++kills;
        kills_in_checkpoint_write += in_write;
        killed = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (!killed) break;  // ran to completion
  }
  BOOST_TEST_MESSAGE("kills: " << kills << " (" << kills_in_checkpoint_write << " during a checkpoint write)");
  BOOST_REQUIRE_EQUAL(code, 0);
  BOOST_TEST(kills >= 5);
  BOOST_TEST(kills_in_checkpoint_write >= 2);

  // Every dataset of the two final checkpoints, bit for bit.
  CheckpointReader a(final_checkpoint(base + "/reference")), b(final_checkpoint(dir));
  BOOST_REQUIRE_EQUAL(a.datasets().size(), b.datasets().size());
  int64_t compared = 0;
  for (const DatasetInfo& d : a.datasets()) {
    auto other = b.find(d.path);
    BOOST_REQUIRE_MESSAGE(other, d.path << " missing after the interrupted run");
    if (d.is_text) {
      BOOST_TEST(a.read_string(d.path) == b.read_string(d.path), d.path);
    } else {
      Tensor x = a.read(d.path), y = b.read(d.path);
      BOOST_TEST((x.nbytes() == y.nbytes() && std::memcmp(x.raw(), y.raw(), x.nbytes()) == 0), d.path << " differs");
      BOOST_TEST((d.checksum == other->checksum), d.path << " checksum differs");
    }
    ++compared;
  }
  BOOST_TEST_MESSAGE(compared << " datasets compared");
  BOOST_TEST(compared >= 10);
}

BOOST_AUTO_TEST_SUITE_END()
