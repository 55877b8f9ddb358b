// A whole GRPO step (rl/stages/grpo_stage.hpp) on a tiny DeepSeek-V3-style MoE model on the host: the
// rollout's own log-prob of every sampled token agrees with the training forward's for the same token
// and weights (grpo/logp_mismatch_*, at temperature 0.7 so the logits' scale is not 1), on the
// on-policy path (μ = 1: the first update's forward) and the old-policy pass (μ = 2); the step's
// record says where its time went and how many tokens it generated and trained, and by default
// every completion of the step is in flight at once. Runs on 1 and 2 ranks (dp).
#include <boost/test/unit_test.hpp>

#include "core/config_yaml.hpp"
#include "core/rng.hpp"
#include "engine/update_step.hpp"
#include "mpi/mpi_test_support.hpp"
#include "rl/model_factory.hpp"
#include "rl/stages/grpo_stage.hpp"

using namespace r1;
using namespace r1::test;

namespace {

const char* kMoeModel = R"(
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
num_nextn_predict_layers: 0
max_position_embeddings: 64
initializer_range: 0.2
)";

constexpr int64_t kPrompts = 4, kGroup = 4, kNewTokens = 6, kPromptTokens = 5;

// One GRPO step of a fresh policy; returns the step's record.
nlohmann::json one_step(const Comm& comm, int64_t mu) {
  RunConfig rc;
  read_config(ConfigSource{"<model>", kMoeModel, {}}, rc.model);
  StageConfig stage;
  stage.kind = StageKind::grpo;
  stage.steps = 1;
  stage.micro_batch_size = 3;
  stage.optim.lr = 1e-3;
  stage.grpo.group_size = kGroup;
  stage.grpo.prompts_per_step = kPrompts;
  stage.grpo.mu = mu;
  stage.grpo.beta = 0.01;
  stage.grpo.rewards = {rewards::RewardSpec{"format", 1.0}};
  stage.grpo.sampling.temperature = 0.7;
  stage.grpo.sampling.max_new_tokens = kNewTokens;
  rc.stages.push_back(stage);
  Tokenizer tok = Tokenizer::train_bpe({"a b c"}, 260, {"<|endoftext|>"});  // end-of-sequence id >= 64: never sampled
  RunContext ctx(rc, "<test>", comm, comm, tok);
  ctx.run.grid = make_run_grid(rc, rc.model, comm, Device::host, "<test>");
  ctx.run.dp = ctx.run.grid->dp();
  ctx.policy.model = make_rank_model(ctx, rc.model);
  ctx.policy.model->init_weights(7);
  std::vector<Example> prompts(static_cast<size_t>(kPrompts));
  for (int64_t i = 0; i < kPrompts; ++i) {
    CounterRng rng({21, uint64_t(i)});
    prompts[size_t(i)].id = i;
    for (int64_t t = 0; t < kPromptTokens; ++t) prompts[size_t(i)].prompt.push_back(int32_t(rng.below(60)));
  }
  GrpoStage grpo(ctx, rc.stages[0]);
  NonFiniteGuard guard("grpo", 5);
  nlohmann::json record = {{"stage", "grpo"}, {"kind", "grpo"}, {"step", 1}};
  TrainingStep s;
  for (const Example& e : prompts) s.batch.push_back(&e);
  s.step = 1;
  s.nonfinite = &guard;
  s.record = &record;
  const double generated = grpo.step(s);
  BOOST_TEST(generated == double(kPrompts * kGroup * kNewTokens));
  return record;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_grpo_step)

BOOST_AUTO_TEST_CASE(rollout_log_probs_agree_with_the_training_forward) {
  Comm comm = world_comm();
  for (int64_t mu : {1, 2}) {
    const nlohmann::json rec = one_step(comm, mu);
    BOOST_TEST_INFO("mu = " << mu << ": " << rec.dump());
    BOOST_TEST_REQUIRE(rec.contains("grpo/logp_mismatch_max"));
    const double max = rec["grpo/logp_mismatch_max"], mean = rec["grpo/logp_mismatch_mean"],
                 equal = rec["grpo/logp_equal_share"];
    // The cached decoding path and the full forward differ only in summation order (f32).
    BOOST_TEST(max < 2e-5);
    BOOST_TEST(mean <= max);
    BOOST_TEST((equal >= 0 && equal <= 1));
    BOOST_TEST_MESSAGE("mu = " << mu << ": max |diff| " << max << ", mean " << mean << ", equal share " << equal);
  }
}

BOOST_AUTO_TEST_CASE(the_record_says_where_the_step_went) {
  Comm comm = world_comm();
  const nlohmann::json rec = one_step(comm, 1);
  BOOST_TEST_INFO(rec.dump());
  for (const char* key : {"time/prefill_s", "time/decode_s", "time/rewards_s", "time/old_logp_s", "time/ref_logp_s",
                          "time/update_s"}) {
    BOOST_TEST_REQUIRE(rec.contains(key), key);
    BOOST_TEST(rec[key].get<double>() >= 0.0, key);
  }
  BOOST_TEST(rec["time/ref_logp_s"].get<double>() > 0.0);  // beta > 0: the reference pass ran
  BOOST_TEST(rec["tokens_generated"].get<double>() == double(kPrompts * kGroup * kNewTokens));
  BOOST_TEST(rec["tokens_trained"].get<double>() == double(kPrompts * kGroup * (kPromptTokens + kNewTokens)));
  // sampling.batch 0: every completion of this rank's share in flight at once.
  BOOST_TEST(rec["rollout_slots"].get<int64_t>() == kPrompts * kGroup / comm.size());
}

BOOST_AUTO_TEST_SUITE_END()
