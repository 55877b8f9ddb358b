// A whole GRPO step (rl/stages/grpo_stage.hpp) on a tiny DeepSeek-V3-style MoE model on the host: the
// rollout's own log-prob of every sampled token agrees with the training forward's for the same token
// and weights (grpo/logp_mismatch_*, at temperature 0.7 so the logits' scale is not 1), on the
// on-policy path (μ = 1: the first update's forward) and the old-policy pass (μ = 2); the step's
// record says where its time went and how many tokens it generated and trained, and by default
// every completion of the step is in flight at once; GSPO, CISPO and both rollout corrections run a
// whole step and log their metrics (with rollout and training log-probs this close, the correction
// weights are 1 and nothing is masked). Runs on 1 and 2 ranks (dp).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/config_yaml.hpp"
#include "core/rng.hpp"
#include "engine/update_step.hpp"
#include "mpi/mpi_test_support.hpp"
#include "rl/model_factory.hpp"
#include "rl/stages/grpo_stage.hpp"

using namespace r1;
using namespace r1::test;

namespace {

constexpr int64_t kPrompts = 4, kGroup = 4, kNewTokens = 6, kPromptTokens = 5;

// One GRPO step of a fresh policy; returns the step's record.
nlohmann::json one_step(const Comm& comm, int64_t mu, const std::function<void(GrpoConfig&)>& adjust = {},
                        int64_t* drawn = nullptr) {
  RunConfig rc;
  read_config(ConfigSource{"<model>", tiny_moe_model_yaml(), {}}, rc.model);
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
  if (adjust) adjust(stage.grpo);
  rc.stages.push_back(stage);
  Tokenizer tok = Tokenizer::train_bpe({"a b c"}, 260, {"<|endoftext|>"});  // end-of-sequence id >= 64: never sampled
  std::unique_ptr<RunContext> owned = host_run_context(rc, comm, tok, 7);
  RunContext& ctx = *owned;
  std::vector<Example> prompts(static_cast<size_t>(4 * kPrompts));  // the step's and three more batches
  for (int64_t i = 0; i < 4 * kPrompts; ++i) {
    CounterRng rng({21, uint64_t(i)});
    prompts[size_t(i)].id = i;
    for (int64_t t = 0; t < kPromptTokens; ++t) prompts[size_t(i)].prompt.push_back(int32_t(rng.below(60)));
  }
  GrpoStage grpo(ctx, rc.stages[0]);
  NonFiniteGuard guard("grpo", 5);
  nlohmann::json record = {{"stage", "grpo"}, {"kind", "grpo"}, {"step", 1}};
  TrainingStep s;
  for (int64_t i = 0; i < kPrompts; ++i) s.batch.push_back(&prompts[size_t(i)]);
  int64_t next = kPrompts;
  s.draw_more = [&](int64_t count) {
    std::vector<const Example*> more;
    for (int64_t i = 0; i < count; ++i) more.push_back(&prompts[size_t(next++)]);
    return more;
  };
  s.step = 1;
  s.nonfinite = &guard;
  s.record = &record;
  const double generated = grpo.step(s);
  if (drawn) *drawn = next;
  if (!stage.grpo.dynamic_sampling && stage.grpo.sampling.stop.empty())
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

BOOST_AUTO_TEST_CASE(gspo_cispo_and_the_rollout_corrections_run_and_report) {
  Comm comm = world_comm();
  for (PolicyLoss kind : {PolicyLoss::gspo, PolicyLoss::cispo}) {
    // Two mini-batches: the second one's ratios move away from 1, so clipping can happen.
    const nlohmann::json rec = one_step(comm, 1, [&](GrpoConfig& g) {
      g.policy_loss = kind;
      g.mini_batches = 2;
      g.eps_low = kind == PolicyLoss::gspo ? 3e-4 : 0.2;
      g.eps_high = kind == PolicyLoss::gspo ? 4e-4 : 0.28;
    });
    BOOST_TEST_INFO(rec.dump());
    BOOST_TEST(std::isfinite(rec["loss"].get<double>()));
    for (const char* key : {"clip_frac/low", "clip_frac/high"}) {
      const double v = rec[key];
      BOOST_TEST((v >= 0 && v <= 1), key);
    }
    BOOST_TEST(rec["updates"].get<int64_t>() == 2);
  }
  for (RolloutCorrection c : {RolloutCorrection::token_tis, RolloutCorrection::sequence_mask}) {
    const nlohmann::json rec = one_step(comm, 1, [&](GrpoConfig& g) {
      g.rollout_correction = c;
      g.rollout_correction_cap = 2.0;
    });
    BOOST_TEST_INFO(rec.dump());
    BOOST_TEST_REQUIRE(rec.contains("rollout_correction/weight_mean"));
    BOOST_TEST(std::fabs(rec["rollout_correction/weight_mean"].get<double>() - 1.0) < 1e-4);
    BOOST_TEST(rec["rollout_correction/truncated_share"].get<double>() == 0.0);
    BOOST_TEST(rec["rollout_correction/masked_share"].get<double>() == 0.0);
  }
}

// Completions that stop early at one of `stops` (digits), scored by DAPO's length penalty over the
// whole range (reward -length / 6, -1 when truncated): with many stop digits most groups' rewards
// differ, with one most groups run to the end alike.
void varied_rewards(GrpoConfig& g, const std::vector<std::string>& stops) {
  g.sampling.stop = stops;
  g.rewards = {rewards::RewardSpec{"length", 1.0, kNewTokens}};
}

BOOST_AUTO_TEST_CASE(dynamic_sampling_fills_the_batch_with_informative_groups) {
  Comm comm = world_comm();
  for (const std::vector<std::string>& stops : {std::vector<std::string>{"1", "2", "3", "4", "5"}, {"1", "2", "3"}, {"1", "2"}, {"1"}}) {
    // Reference: one round, equal-reward groups dropped.
    const nlohmann::json plain = one_step(comm, 1, [&](GrpoConfig& g) {
      varied_rewards(g, stops);
      g.skip_equal_reward_groups = true;
    });
    int64_t drawn = 0;
    const nlohmann::json dyn = one_step(comm, 1, [&](GrpoConfig& g) {
      varied_rewards(g, stops);
      g.dynamic_sampling = true;
      g.max_sampling_rounds = 3;
    }, &drawn);
    BOOST_TEST_INFO(plain.dump() << "\n" << dyn.dump());
    const int64_t rounds = dyn["dynamic_sampling/rounds"], kept = dyn["dynamic_sampling/groups_kept"];
    const double zero_std_plain = plain["zero_std_group_share"];
    BOOST_TEST_MESSAGE(stops.size() << " stop digits: " << rounds << " rounds, " << kept
                                    << " groups kept; the plain step's equal-reward share " << zero_std_plain);
    BOOST_TEST((rounds >= 1 && rounds <= 3));
    BOOST_TEST(dyn["dynamic_sampling/prompts_drawn"].get<int64_t>() == rounds * kPrompts);
    BOOST_TEST(drawn == rounds * kPrompts);  // the sampler gave exactly the rounds' prompts
    BOOST_TEST(kept <= kPrompts);
    if (rounds < 3) BOOST_TEST(kept == kPrompts);  // stopped early only once the batch was full
    if (rounds == 1) {  // the first round is the plain step's rollout: all informative, the same update
      BOOST_TEST(zero_std_plain == 0.0);
      BOOST_TEST(dyn["loss"].get<double>() == plain["loss"].get<double>());
    } else {
      BOOST_TEST(zero_std_plain > 0.0);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
