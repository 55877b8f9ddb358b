// Every rank layout computes what one rank computes: for dp=2, dp=4, pp=2, pp=2 x dp=2, dp=2 x ep=2 and
// pp=2 x dp=2 x ep=2, one training step (DeepSeek-V3-style model: MLA, MoE with shared experts and
// group-limited routing, MTP; a tied dense Qwen2 too) gives the same loss and the same gradient for
// every parameter as the same global batch on one rank (within 1e-5 relative, host fp32), and a
// rollout samples the same tokens — also when the replicas generate different prompts and need
// different numbers of decode rounds. The pipeline cases use an uneven layer split and more
// micro-batches than stages; the MoE batch is small enough that some experts receive no tokens.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <map>

#include "common/test_support.hpp"
#include "core/config_yaml.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "io/checkpoint/model_tensors.hpp"
#include "mpi/mpi_test_support.hpp"
#include "rl/model_factory.hpp"
#include "rl/rollout/rollout_engine.hpp"
#include "rl/stages/sft_stage.hpp"

namespace fs = std::filesystem;
using namespace r1;
using namespace r1::test;

namespace {

const char* kMoeModel = R"(
architecture: deepseek_v3
vocab_size: 64
hidden_size: 32
intermediate_size: 48
num_hidden_layers: 4
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
routed_scaling_factor: 1.5
first_k_dense_replace: 1
seq_aux_loss_alpha: 0.01
num_nextn_predict_layers: 1
max_position_embeddings: 64
initializer_range: 0.2
)";

const char* kDenseTiedModel = R"(
architecture: qwen2
vocab_size: 64
hidden_size: 32
intermediate_size: 48
num_hidden_layers: 3
num_attention_heads: 4
num_key_value_heads: 2
attention_bias: true
tie_word_embeddings: true
max_position_embeddings: 64
initializer_range: 0.2
)";

struct StepResult {
  double loss = 0;
  std::map<std::string, std::vector<double>> grads;  // on rank 0 of the layout's communicator
  std::vector<std::vector<int32_t>> tokens;          // sampled completions (every rank)
};

std::vector<Example> make_examples(int64_t n, int64_t vocab, uint64_t seed) {
  std::vector<Example> out;
  CounterRng rng({seed, 3});
  for (int64_t i = 0; i < n; ++i) {
    Example e;
    e.id = i;
    int64_t len = 3 + int64_t(rng.below(9));
    for (int64_t t = 0; t < len; ++t) e.response.push_back(int32_t(rng.below(uint64_t(vocab - 1))));
    out.push_back(std::move(e));
  }
  return out;
}

// One pretraining step (loss on every token) of `model_yaml` under layout (pp, ep, layers) on `comm`;
// gradients gathered by name on comm's rank 0 through a checkpoint file (the resharding path).
StepResult run_step(const Comm& comm, const std::string& model_yaml, int64_t pp, int64_t ep,
                    std::vector<int64_t> layers, int64_t micro_batch, const std::string& scratch,
                    double bucket_mb) {
  RunConfig rc;
  read_config(ConfigSource{"<model>", model_yaml, {}}, rc.model);
  rc.parallel.pp = pp;
  rc.parallel.ep = ep;
  rc.parallel.layers = layers;
  rc.parallel.bucket_mb = bucket_mb;
  rc.seed = 5;
  StageConfig stage;
  stage.kind = StageKind::pretrain;
  stage.batch_size = 8;
  stage.micro_batch_size = micro_batch;
  stage.seq_len = 64;
  stage.optim.grad_clip = 0;
  rc.stages.push_back(stage);
  Tokenizer tok = Tokenizer::train_bpe({"a b c"}, 260, {"<|endoftext|>"});
  RunContext ctx{rc, "<test>", comm, comm, tok};
  ctx.run.grid = make_run_grid(rc, rc.model, comm, Device::host, "<test>");
  ctx.run.dp = ctx.run.grid->dp();
  ctx.policy.model = make_rank_model(ctx, rc.model);
  ctx.policy.model->init_weights(11);
  std::vector<Example> examples = make_examples(8, rc.model.vocab_size, 21);
  std::vector<const Example*> batch;
  for (auto& e : examples) batch.push_back(&e);
  Optimizer opt(ctx.policy.model->params(), stage.optim, 1);
  StepResult r;
  // Rollouts first (weights still at their initial values): 6 prompts x 2 samples, every replica
  // generating all of them.
  std::vector<RolloutRequest> requests;
  std::vector<std::vector<int32_t>> prompts;
  for (int64_t i = 0; i < 6; ++i) prompts.push_back(std::vector<int32_t>(examples[size_t(i)].response.begin(), examples[size_t(i)].response.begin() + 3));
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t s = 0; s < 2; ++s) requests.push_back({i, s, &prompts[size_t(i)]});
  SamplingConfig sc;
  sc.max_new_tokens = 8;
  sc.batch = 5;  // fewer slots than requests: continuous batching
  RolloutEngine engine(*ctx.policy.model, tok, ctx.run.grid.get());
  for (auto& rollout : engine.generate(requests, sc, 99, 1)) r.tokens.push_back(rollout.tokens);

  SftStepStats st = sft_step(ctx, opt, stage, batch, LossOn::all_tokens);
  r.loss = st.loss + st.mtp_loss * rc.model.mtp_loss_weight;
  // Gather every gradient by name.
  std::string path = scratch + "/grads-" + std::to_string(comm.size()) + "-" + std::to_string(pp) + "-" + std::to_string(ep) + ".h5";
  {
    CheckpointWriter w(path, comm);
    write_param_tensors(w, ctx.policy.model->params(), ctx.policy.model->params().flat_grads(), "grad", comm);
    w.commit();
  }
  if (comm.rank() == 0) {
    CheckpointReader reader(path);
    for (const DatasetInfo& d : reader.datasets()) r.grads[d.path] = to_f64_vector(reader.read(d.path));
  }
  return r;
}

void compare_layout(const std::string& model_yaml, int needed_world, int64_t pp, int64_t ep,
                    const std::vector<int64_t>& layers, int64_t micro_batch, double bucket_mb = 32) {
  set_log_quiet(true);
  Comm world = world_comm();
  if (world.size() != needed_world) return;
  std::string scratch = scratch_dir(world, "equality-pp" + std::to_string(pp) + "-ep" + std::to_string(ep));
  // Reference: rank 0 alone, whole model, same global batch.
  Comm solo = world.split(world.rank() == 0 ? 0 : 1, world.rank());
  StepResult reference;
  if (world.rank() == 0) reference = run_step(solo, model_yaml, 1, 1, {}, 8, scratch, 32);
  world.barrier();
  StepResult parallel = run_step(world, model_yaml, pp, ep, layers, micro_batch, scratch, bucket_mb);
  // Sampled tokens: every rank compares with rank 0's reference (sent as text).
  std::string ref_tokens;
  if (world.rank() == 0) {
    for (auto& t : reference.tokens) {
      for (int32_t x : t) ref_tokens += std::to_string(x) + ",";
      ref_tokens += ";";
    }
  }
  world.broadcast(ref_tokens, 0);
  std::string mine;
  for (auto& t : parallel.tokens) {
    for (int32_t x : t) mine += std::to_string(x) + ",";
    mine += ";";
  }
  BOOST_TEST(mine == ref_tokens, "rank " << world.rank() << ": sampled tokens differ from one rank's");
  if (world.rank() != 0) return;
  BOOST_TEST(std::fabs(parallel.loss - reference.loss) <= 1e-5 * std::fabs(reference.loss),
             "loss " << parallel.loss << " vs " << reference.loss);
  BOOST_REQUIRE_EQUAL(parallel.grads.size(), reference.grads.size());
  double worst = 0;
  std::string worst_name;
  for (auto& [name, g] : reference.grads) {
    auto it = parallel.grads.find(name);
    BOOST_REQUIRE_MESSAGE(it != parallel.grads.end(), name << " missing");
    double err = rel_error(it->second, g);
    double scale = 0;
    for (double v : g) scale = std::max(scale, std::fabs(v));
    if (scale < 1e-12) err = 0;  // parameters that get no gradient from this batch
    if (err > worst) worst = err, worst_name = name;
    BOOST_TEST(err < 1e-5, name << ": relative gradient difference " << err);
  }
  BOOST_TEST_MESSAGE("pp=" << pp << " dp=" << world.size() / pp << " ep=" << ep << ": loss " << parallel.loss << " vs "
                           << reference.loss << ", " << reference.grads.size() << " gradients, worst " << worst << " ("
                           << worst_name << ")");
}

// Rollouts where the data-parallel replicas generate different prompts, as in GRPO and eval: replica
// d takes its own share (dp_rank 0 the first 9 of 12 requests, the others split the rest, so with dp=4
// one replica has none), and replicas need different numbers of decode rounds. With expert
// parallelism their MoE all-to-alls must still pair up; every completion must equal the one-rank run's.
// Completions by request index (on the first pipeline stage; later stages hold the same ones).
std::map<int64_t, std::vector<int32_t>> split_rollouts(const Comm& comm, int64_t pp, int64_t ep) {
  RunConfig rc;
  read_config(ConfigSource{"<model>", kMoeModel, {}}, rc.model);
  rc.parallel.pp = pp;
  rc.parallel.ep = ep;
  rc.seed = 5;
  Tokenizer tok = Tokenizer::train_bpe({"a b c"}, 260, {"<|endoftext|>"});
  RunContext ctx{rc, "<test>", comm, comm, tok};
  ctx.run.grid = make_run_grid(rc, rc.model, comm, Device::host, "<test>");
  ctx.policy.model = make_rank_model(ctx, rc.model);
  ctx.policy.model->init_weights(11);
  std::vector<Example> examples = make_examples(12, rc.model.vocab_size, 23);
  std::vector<std::vector<int32_t>> prompts;
  for (auto& e : examples) prompts.push_back(std::vector<int32_t>(e.response.begin(), e.response.begin() + 3));
  const int64_t dp = comm.size() / pp, d = ctx.run.grid->position().dp_rank;
  std::vector<int64_t> mine;
  for (int64_t i = 0; i < 12; ++i) {
    int64_t owner = dp == 1 || i < 9 ? 0 : 1 + (i - 9) % std::max<int64_t>(1, std::min<int64_t>(dp - 1, 2));
    if (owner == d) mine.push_back(i);
  }
  std::vector<RolloutRequest> requests;
  for (int64_t i : mine) requests.push_back({i, 0, &prompts[size_t(i)]});
  SamplingConfig sc;
  sc.max_new_tokens = 6;
  sc.batch = 4;  // rounds = ceil(requests / 4) x 6: replicas with more requests run more rounds
  RolloutEngine engine(*ctx.policy.model, tok, ctx.run.grid.get());
  std::vector<Rollout> rollouts = engine.generate(requests, sc, 77, 2);
  std::map<int64_t, std::vector<int32_t>> out;
  if (ctx.run.grid->position().stage == 0)
    for (size_t k = 0; k < mine.size(); ++k) out[mine[k]] = rollouts[k].tokens;
  return out;
}

void compare_split_rollouts(int needed_world, int64_t pp, int64_t ep) {
  set_log_quiet(true);
  Comm world = world_comm();
  if (world.size() != needed_world) return;
  Comm solo = world.split(world.rank() == 0 ? 0 : 1, world.rank());
  std::string ref;
  if (world.rank() == 0)
    for (auto& [i, t] : split_rollouts(solo, 1, 1)) {
      ref += std::to_string(i) + ":";
      for (int32_t x : t) ref += std::to_string(x) + ",";
      ref += ";";
    }
  world.broadcast(ref, 0);
  int64_t checked = 0;
  for (auto& [i, t] : split_rollouts(world, pp, ep)) {
    std::string mine = std::to_string(i) + ":";
    for (int32_t x : t) mine += std::to_string(x) + ",";
    mine += ";";
    BOOST_TEST(ref.find(mine) != std::string::npos, "rank " << world.rank() << ": completion of request " << i << " differs from one rank's");
    ++checked;
  }
  BOOST_TEST(world.allreduce(checked) == 12, "every request generated exactly once");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_parallel_equality)

BOOST_AUTO_TEST_CASE(dp2) { compare_layout(kMoeModel, 2, 1, 1, {}, 2); }
BOOST_AUTO_TEST_CASE(pp2_uneven_split_more_micro_batches_than_stages) { compare_layout(kMoeModel, 2, 2, 1, {1, 3}, 1); }
BOOST_AUTO_TEST_CASE(dp2_ep2) { compare_layout(kMoeModel, 2, 1, 2, {}, 1); }
BOOST_AUTO_TEST_CASE(pp2_tied_dense) { compare_layout(kDenseTiedModel, 2, 2, 1, {}, 2); }
BOOST_AUTO_TEST_CASE(dp4) { compare_layout(kMoeModel, 4, 1, 1, {}, 2); }
BOOST_AUTO_TEST_CASE(pp2_dp2) { compare_layout(kMoeModel, 4, 2, 1, {}, 1); }
BOOST_AUTO_TEST_CASE(pp2_dp2_ep2) { compare_layout(kMoeModel, 4, 2, 2, {3, 1}, 1); }
BOOST_AUTO_TEST_CASE(dp4_ep4_experts_without_tokens) { compare_layout(kMoeModel, 4, 1, 4, {}, 1); }
BOOST_AUTO_TEST_CASE(dp4_ep2_replicated_experts) { compare_layout(kMoeModel, 4, 1, 2, {}, 1); }
// Buckets of 512 floats: many all-reduces per step, scattered runs packed across bucket borders.
BOOST_AUTO_TEST_CASE(rollouts_dp2_ep2_uneven_requests) { compare_split_rollouts(2, 1, 2); }
BOOST_AUTO_TEST_CASE(rollouts_pp2_dp2_ep2_uneven_requests) { compare_split_rollouts(4, 2, 2); }
BOOST_AUTO_TEST_CASE(rollouts_dp4_ep4_replica_without_requests) { compare_split_rollouts(4, 1, 4); }
BOOST_AUTO_TEST_CASE(dp4_ep2_small_buckets) { compare_layout(kMoeModel, 4, 1, 2, {}, 1, 512 * 4 / (1024.0 * 1024)); }

BOOST_AUTO_TEST_SUITE_END()
