// grpo_step (DESIGN §7) and the grpo stage.
#include "rl/stages/grpo_stage.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/log.hpp"
#include "core/rng.hpp"
#include "engine/metric_sums.hpp"
#include "engine/model_copy.hpp"
#include "engine/phase_clock.hpp"
#include "kernels/ops.hpp"
#include "kernels/runtime.hpp"
#include "rl/data/token_batch_builder.hpp"
#include "rl/grpo/advantages.hpp"
#include "rl/grpo/grpo_loss.hpp"
#include "rl/grpo/policy_loss.hpp"
#include "rl/rollout/sampling_service.hpp"
#include "rl/run_checkpoint.hpp"
#include "rl/stages/training_loop.hpp"

namespace r1 {

namespace {

// One completion prepared for the update.
struct TrainSample {
  Example seq;                 // prompt + completion tokens (completion in `response`)
  double advantage = 0;
  std::vector<double> old_logp, ref_logp;  // per completion token
  std::vector<double> rollout_logp;        // per completion token, as the rollout sampled it (last stage)
};

// Seconds since `t0`, once the device has finished the work queued so far.
double seconds_since(std::chrono::steady_clock::time_point t0) {
  ComputeRuntime::synchronize_device();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The rollout's log-prob of each sampled token against the training forward's for the same token and
// weights (DESIGN §7: one process, the same kernels): |difference| summed, exactly equal ones counted,
// the largest kept.
struct LogpAgreement {
  MetricSums sums{{"diff", "equal", "tokens"}};
  double max_diff = 0;
  void add(double train, double rollout) {
    const double d = std::abs(train - rollout);
    sums["diff"] += d;
    sums["equal"] += train == rollout;
    sums["tokens"] += 1;
    max_diff = std::max(max_diff, d);
  }
  // Over every rank (the log-probs live on last pipeline stages).
  void write(nlohmann::json& rec, const Comm& world) {
    sums.allreduce(world);
    max_diff = world.allreduce(max_diff, ReduceOp::max);
    if (sums["tokens"] == 0) return;
    rec["grpo/logp_mismatch_max"] = max_diff;
    sums.write_mean(rec, "grpo/logp_mismatch_mean", "diff", "tokens");
    sums.write_mean(rec, "grpo/logp_equal_share", "equal", "tokens");
  }
};

// What a GRPO stage carries from step to step.
struct GrpoRun {
  RunContext& ctx;
  const StageConfig& stage;
  const GrpoConfig& g;
  Optimizer& opt;
  const Model* reference;                   // frozen starting weights (beta > 0), else null
  const rewards::WeightedRewards& weighted;
  uint64_t stream_seed;
  LogpAgreement* agreement;                 // this step's rollout vs training log-probs
  double logit_scale() const { return g.sampling.logit_scale(); }
  bool on_policy_single_update() const { return g.mu == 1 && g.mini_batches == 1; }
};

// Rollout statistics (summed over data-parallel ranks): one "reward/<name>" sum and square per reward.
MetricSums rollout_sums(const rewards::WeightedRewards& weighted) {
  std::vector<std::string> names = {"completions", "correct",  "formatted",    "truncated", "length",
                                    "length_correct", "n_correct", "length_wrong", "n_wrong", "zero_std",
                                    "reward",      "reward_sq"};
  for (const auto& spec : weighted.specs()) {
    names.push_back("reward/" + spec.name);
    names.push_back("reward/" + spec.name + "/sq");
  }
  return MetricSums(names);
}

void count_rollouts(const SampleBatch& batch, const GroupAdvantages& adv, const rewards::WeightedRewards& weighted,
                    MetricSums& sums) {
  for (size_t i = 0; i < batch.scored.size(); ++i) {
    const ScoredRollout& s = batch.scored[i];
    sums["completions"] += 1;
    sums["correct"] += s.correct;
    sums["formatted"] += s.formatted;
    sums["truncated"] += s.truncated;
    sums["length"] += double(s.tokens);
    sums[s.correct ? "length_correct" : "length_wrong"] += double(s.tokens);
    sums[s.correct ? "n_correct" : "n_wrong"] += 1;
    sums["zero_std"] += adv.zero_std_group[i];
    sums["reward"] += s.reward;
    sums["reward_sq"] += s.reward * s.reward;
    for (size_t k = 0; k < s.parts.size(); ++k) {
      sums["reward/" + weighted.specs()[k].name] += s.parts[k];
      sums["reward/" + weighted.specs()[k].name + "/sq"] += s.parts[k] * s.parts[k];
    }
  }
}

// The completions the update trains on (groups with equal rewards left out when asked).
std::vector<TrainSample> train_samples(const SampleBatch& batch, const GroupAdvantages& adv, bool skip_equal_groups) {
  std::vector<TrainSample> samples;
  for (size_t i = 0; i < batch.rollouts.size(); ++i) {
    if (skip_equal_groups && adv.zero_std_group[i]) continue;
    TrainSample t;
    t.seq.prompt = batch.prompt_of(i).prompt;
    t.seq.response = batch.rollouts[i].tokens;
    t.advantage = adv.advantage[i];
    t.rollout_logp = batch.rollouts[i].logp;
    samples.push_back(std::move(t));
  }
  return samples;
}

std::vector<TokenBatch> micro_batches(const std::vector<TrainSample>& samples, size_t begin, size_t end, int64_t micro) {
  std::vector<TokenBatch> out;
  for (size_t i = begin; i < end; i += size_t(micro)) {
    std::vector<const Example*> part;
    for (size_t j = i; j < std::min(end, i + size_t(micro)); ++j) part.push_back(&samples[j].seq);
    out.push_back(build_token_batch(part, LossOn::response_tokens, 1 << 30));
  }
  return out;
}

Tensor host_vector_tensor(const std::vector<double>& v, const Model& m) {
  Tensor t = Tensor::empty({int64_t(v.size())}, m.stat_dtype());
  for (size_t i = 0; i < v.size(); ++i) {
    if (m.stat_dtype() == DType::f64) t.data<double>()[i] = v[i];
    else t.data<float>()[i] = float(v[i]);
  }
  return m.device() == Device::host ? t : t.to(m.device());
}

// Log-probs of each sample's completion tokens under `model` (inference), in micro-batches through
// the pipeline: known on the last stage (where the loss uses them), left empty elsewhere.
// The policy's own pass (not the reference's) is compared with the rollout's log-probs when
// `agreement` is given.
void completion_logp(const Model& model, const ParallelGrid& grid, std::vector<TrainSample>& samples, int64_t micro,
                     double logit_scale, bool reference, LogpAgreement* agreement) {
  std::vector<TokenBatch> batches = micro_batches(samples, 0, samples.size(), micro);
  PipelineOptions opt;
  opt.logit_scale = logit_scale;
  std::vector<ModelOutput> outs = pipeline_forward(model, grid, batches, opt);
  if (!grid.last_stage()) return;
  for (size_t bi = 0; bi < batches.size(); ++bi) {
    const TokenBatch& b = batches[bi];
    auto lp = to_f64_vector(outs[bi].logp);
    for (size_t j = 0; j + 1 < b.seqs.size(); ++j) {
      TrainSample& s = samples[bi * size_t(micro) + j];
      std::vector<double>& dst = reference ? s.ref_logp : s.old_logp;
      dst.clear();
      for (int64_t r = b.seqs[j]; r < b.seqs[j + 1]; ++r)
        if (b.targets[size_t(r)] >= 0) dst.push_back(lp[size_t(r)]);
      if (agreement && s.rollout_logp.size() == dst.size())
        for (size_t t = 0; t < dst.size(); ++t) agreement->add(dst[t], s.rollout_logp[t]);
    }
  }
}

// One optimizer step on samples [b0, b1): the clipped surrogate and k3 KL per token, weighted by the
// loss aggregation over the whole job's mini-batch. The first pass's terms go into `sums`.
UpdateResult update_on(const GrpoRun& run, std::vector<TrainSample>& samples, size_t b0, size_t b1, bool first_pass,
                       MetricSums& sums) {
  const GrpoConfig& g = run.g;
  std::vector<int64_t> counts = {int64_t(b1 - b0), 0};  // global normalisers: sequences, completion tokens
  for (size_t i = b0; i < b1; ++i) counts[1] += int64_t(samples[i].seq.response.size());
  run.ctx.run.dp.allreduce(counts);
  std::vector<TokenBatch> micro = micro_batches(samples, b0, b1, run.stage.micro_batch_size);
  const size_t s_loss = sums.slot("loss"), s_kl = sums.slot("kl"), s_entropy = sums.slot("entropy"),
               s_tokens = sums.slot("tokens");
  const PolicyLossParams params{g.policy_loss, g.eps_low, g.eps_high, g.beta, g.rollout_correction,
                                g.rollout_correction_cap};
  auto loss = [&](size_t mi, const TokenBatch& b, const ModelOutput& out) {
    auto logp = to_f64_vector(out.logp), entropy = to_f64_vector(out.entropy);
    std::vector<double> dlogp(logp.size(), 0.0);
    for (size_t j = 0; j + 1 < b.seqs.size(); ++j) {
      TrainSample& s = samples[b0 + mi * size_t(run.stage.micro_batch_size) + j];
      const double w = grpo_token_weight(g.loss_aggregation, int64_t(s.seq.response.size()), counts[0], counts[1],
                                         g.sampling.max_new_tokens);
      std::vector<int64_t> rows;  // the completion's rows of this micro-batch
      std::vector<double> cur;
      for (int64_t r = b.seqs[j]; r < b.seqs[j + 1]; ++r)
        if (b.targets[size_t(r)] >= 0) {
          rows.push_back(r);
          cur.push_back(logp[size_t(r)]);
        }
      if (first_pass && run.on_policy_single_update() && s.rollout_logp.size() == cur.size())
        for (size_t t = 0; t < cur.size(); ++t) run.agreement->add(cur[t], s.rollout_logp[t]);
      SequenceInput in;
      in.logp = cur;
      in.logp_old = run.on_policy_single_update() ? std::span<const double>(cur) : std::span<const double>(s.old_logp);
      in.logp_ref = run.reference ? std::span<const double>(s.ref_logp) : std::span<const double>(cur);
      in.logp_rollout = s.rollout_logp;
      in.advantage = s.advantage;
      const SequenceTerms terms = sequence_policy_loss(in, params);
      for (size_t t = 0; t < rows.size(); ++t) dlogp[size_t(rows[t])] = w * terms.dlogp[t];
      if (!first_pass) continue;  // report the first pass: the rollout policy's view
      for (size_t t = 0; t < rows.size(); ++t) {
        sums[s_loss] += w * terms.loss[t];
        sums[s_kl] += terms.kl[t];
        sums[s_entropy] += entropy[size_t(rows[t])];
        sums[s_tokens] += 1;
      }
      sums["clipped_low"] += double(terms.clipped_low);
      sums["clipped_high"] += double(terms.clipped_high);
      sums["correction_weight"] += terms.correction_weight_sum;
      sums["correction_truncated"] += double(terms.truncated);
      sums["correction_masked"] += terms.masked;
      sums["sequences"] += 1;
    }
    MicroBatchGrad grad;
    grad.dlogp = host_vector_tensor(dlogp, *run.ctx.policy.model);
    return grad;
  };
  PipelineOptions popt;
  popt.entropy = WithEntropy::yes;
  popt.logit_scale = run.logit_scale();
  return run_update(run.ctx.update_target(), run.opt, micro, counts[0], loss, popt);
}

void write_metrics(nlohmann::json& rec, const MetricSums& r, const MetricSums& u, const rewards::WeightedRewards& weighted,
                   RolloutCorrection correction) {
  r.write_mean(rec, "reward/mean", "reward", "completions");
  r.write_std(rec, "reward/std", "reward", "reward_sq", "completions");
  for (const auto& spec : weighted.specs()) {
    const std::string k = "reward/" + spec.name;
    r.write_mean(rec, k + "/mean", k, "completions");
    r.write_std(rec, k + "/std", k, k + "/sq", "completions");
  }
  r.write_mean(rec, "accuracy", "correct", "completions");
  r.write_mean(rec, "format_rate", "formatted", "completions");
  r.write_mean(rec, "response_length/mean", "length", "completions");
  r.write_mean_or_zero(rec, "response_length/correct", "length_correct", "n_correct");
  r.write_mean_or_zero(rec, "response_length/incorrect", "length_wrong", "n_wrong");
  r.write_mean(rec, "truncated_share", "truncated", "completions");
  r.write_mean(rec, "zero_std_group_share", "zero_std", "completions");
  u.write_mean(rec, "kl", "kl", "tokens");
  u.write_mean(rec, "clip_frac/low", "clipped_low", "tokens");
  u.write_mean(rec, "clip_frac/high", "clipped_high", "tokens");
  u.write_mean(rec, "entropy", "entropy", "tokens");
  rec["loss"] = u["loss"];
  if (correction != RolloutCorrection::none) {
    u.write_mean(rec, "rollout_correction/weight_mean", "correction_weight", "tokens");
    u.write_mean(rec, "rollout_correction/truncated_share", "correction_truncated", "tokens");
    u.write_mean(rec, "rollout_correction/masked_share", "correction_masked", "sequences");
  }
  if (u["aux"] != 0) rec["aux_loss"] = u["aux"] / std::max(1.0, u["updates"]);
}

// A step's rollouts: this rank's completions to train on, the statistics of every completion
// sampled (summed on this rank), and what generation cost (summed over sampling rounds).
struct StepRollouts {
  std::vector<TrainSample> samples;
  MetricSums sums;
  RolloutStats stats;
  double scoring_seconds = 0;
  int64_t rounds = 1, prompts_drawn = 0, groups_kept = 0;  // dynamic sampling (job-wide)
};

SampleBatch sample_round(const GrpoRun& run, const std::vector<const Example*>& prompts, int64_t step, int64_t round) {
  // Later rounds draw from their own streams, so a prompt drawn twice in a step gets new completions.
  const uint64_t seed = round == 0 ? run.stream_seed : hash_words({run.stream_seed, hash_string("dynamic-sampling"), uint64_t(round)});
  SampleRequest request{run.g.group_size, &run.g.sampling, seed, step, &run.weighted, "en"};
  return sample_and_score(*run.ctx.policy.model, run.ctx.policy.tokenizer, run.ctx.run.grid.get(), run.ctx.run.dp,
                          prompts, request);
}

void add_stats(RolloutStats& total, const RolloutStats& r) {
  total.forwards += r.forwards;
  total.prefill_tokens += r.prefill_tokens;
  total.generated_tokens += r.generated_tokens;
  total.decode_rounds += r.decode_rounds;
  total.seconds += r.seconds;
  total.decode_seconds += r.decode_seconds;
  total.slots = std::max(total.slots, r.slots);
}

GroupAdvantages advantages_of(const GrpoRun& run, const SampleBatch& batch) {
  std::vector<double> rewards;
  for (const ScoredRollout& s : batch.scored) rewards.push_back(s.reward);
  return group_advantages(rewards, run.g.group_size, run.g.scale_rewards);
}

// Steps 1-4. Without dynamic sampling: one round over the step's prompts. With it (DAPO): rounds of
// prompts_per_step more prompts from the stage's sampler until the job's rounds hold prompts_per_step
// groups whose rewards differ, at most max_sampling_rounds rounds; the first prompts_per_step such
// groups in job order are trained on (fewer when the rounds run out), the rest are only counted.
StepRollouts sample_step(const GrpoRun& run, TrainingStep& step) {
  const GrpoConfig& g = run.g;
  StepRollouts out{{}, rollout_sums(run.weighted), {}, 0, 1, 0, 0};
  const Comm& dp = run.ctx.run.dp;
  std::vector<const Example*> prompts = step.batch;
  for (int64_t round = 0;; ++round) {
    SampleBatch batch = sample_round(run, prompts, step.step, round);
    const GroupAdvantages adv = advantages_of(run, batch);
    count_rollouts(batch, adv, run.weighted, out.sums);
    add_stats(out.stats, batch.stats);
    out.scoring_seconds += batch.scoring_seconds;
    out.prompts_drawn += int64_t(prompts.size());
    if (!g.dynamic_sampling) {
      out.samples = train_samples(batch, adv, g.skip_equal_reward_groups);
      return out;
    }
    // Which of the round's groups (job order) have rewards that differ: each rank fills its share.
    const size_t n = prompts.size(), begin = n * size_t(dp.rank()) / size_t(dp.size());
    std::vector<int64_t> informative(n, 0);
    for (size_t k = 0; k < batch.prompts.size(); ++k) informative[begin + k] = !adv.zero_std_group[k * size_t(g.group_size)];
    dp.allreduce(informative);
    std::vector<TrainSample> kept_here = train_samples(batch, adv, true);  // this rank's informative groups, in order
    size_t next_kept = 0;
    for (size_t k = 0; k < n; ++k) {
      if (!informative[k]) continue;
      const bool mine = k >= begin && k < begin + batch.prompts.size();
      if (out.groups_kept < g.prompts_per_step && mine)
        for (int64_t i = 0; i < g.group_size; ++i) out.samples.push_back(std::move(kept_here[next_kept++]));
      else if (mine)
        next_kept += size_t(g.group_size);
      out.groups_kept += out.groups_kept < g.prompts_per_step;
    }
    out.rounds = round + 1;
    if (out.groups_kept >= g.prompts_per_step || out.rounds >= g.max_sampling_rounds) return out;
    R1_CHECK(step.draw_more, "grpo: dynamic sampling needs the stage's prompt sampler");
    prompts = step.draw_more(g.prompts_per_step);
  }
}

// Where the step's time went, max over ranks: generation split into rounds that prefilled prompts
// and pure decoding rounds, scoring, the old policy's and the reference's log-prob passes, the update.
struct PassTimes {
  double old_logp = 0, ref_logp = 0, update = 0;
};
void write_phase_times(nlohmann::json& rec, const RunContext& ctx, const RolloutStats& gen, double scoring_seconds,
                       const PassTimes& t) {
  std::vector<double> v = {gen.seconds - gen.decode_seconds, gen.decode_seconds, scoring_seconds, t.old_logp, t.ref_logp,
                           t.update};
  ctx.run.world.allreduce(v, ReduceOp::max);
  const char* names[] = {"time/prefill_s", "time/decode_s", "time/rewards_s", "time/old_logp_s", "time/ref_logp_s",
                         "time/update_s"};
  for (size_t i = 0; i < v.size(); ++i) rec[names[i]] = v[i];
}

// One GRPO step (DESIGN §7); returns the tokens generated over the job.
double grpo_step(const GrpoRun& run, TrainingStep& step) {
  PhaseScope phase(Phase::update);  // the generation and scoring inside count as theirs
  RunContext& ctx = run.ctx;
  const GrpoConfig& g = run.g;
  const auto t_start = std::chrono::steady_clock::now();

  // 1-4. This rank's prompts, G completions each with the current policy, scored, group-normalised
  //      advantages (with DAPO's dynamic sampling: more prompts until the batch is full of groups
  //      whose rewards differ).
  StepRollouts rollouts = sample_step(run, step);
  MetricSums& rollout = rollouts.sums;
  std::vector<TrainSample>& samples = rollouts.samples;
  const double rollout_seconds = seconds_since(t_start);

  // 5. Log-probs of the sampled tokens under the policy before the update (needed once the policy
  //    moves within the step) and under the frozen reference model (when beta > 0).
  auto t_phase = std::chrono::steady_clock::now();
  if (!run.on_policy_single_update())
    completion_logp(*ctx.policy.model, *ctx.run.grid, samples, run.stage.micro_batch_size, run.logit_scale(), false,
                    run.agreement);
  const double old_logp_seconds = seconds_since(t_phase);
  t_phase = std::chrono::steady_clock::now();
  if (run.reference)
    completion_logp(*run.reference, *ctx.run.grid, samples, run.stage.micro_batch_size, run.logit_scale(), true,
                    nullptr);
  const double ref_logp_seconds = seconds_since(t_phase);

  // 6. mu passes over the rollout batch, each split into mini-batches; one optimizer step each.
  t_phase = std::chrono::steady_clock::now();
  MetricSums update({"loss", "kl", "clipped_low", "clipped_high", "entropy", "tokens", "aux", "updates",
                     "correction_weight", "correction_truncated", "correction_masked", "sequences"});
  UpdateResult last;
  int64_t skipped = 0;
  for (int64_t pass = 0; pass < g.mu; ++pass)
    for (int64_t mb = 0; mb < g.mini_batches; ++mb) {
      const size_t b0 = samples.size() * size_t(mb) / size_t(g.mini_batches),
                   b1 = samples.size() * size_t(mb + 1) / size_t(g.mini_batches);
      last = update_on(run, samples, b0, b1, pass == 0, update);
      update["aux"] += last.aux_loss;
      update["updates"] += 1;
      skipped += last.skipped ? 1 : 0;
      step.nonfinite->record(last.skipped);
    }
  const double update_seconds = seconds_since(t_phase);

  // 7. Metrics over the whole job: rollout statistics are alike on every stage of a pipeline (summed
  //    over data-parallel ranks); loss statistics live on last stages (summed over every rank).
  rollout.allreduce(ctx.run.dp);
  const double updates = update["updates"];
  update.allreduce(ctx.run.world);
  update["updates"] = updates;
  nlohmann::json& rec = *step.record;
  write_metrics(rec, rollout, update, run.weighted, g.rollout_correction);
  run.agreement->write(rec, ctx.run.world);
  rec["grad_norm"] = last.grad_norm;
  rec["lr"] = last.lr;
  rec["updates"] = int64_t(updates);
  rec["skipped_updates"] = skipped;
  rec["rollout_s"] = rollout_seconds;
  write_phase_times(rec, ctx, rollouts.stats, rollouts.scoring_seconds, {old_logp_seconds, ref_logp_seconds, update_seconds});
  if (g.dynamic_sampling) {
    rec["dynamic_sampling/rounds"] = rollouts.rounds;
    rec["dynamic_sampling/prompts_drawn"] = rollouts.prompts_drawn;
    rec["dynamic_sampling/groups_kept"] = rollouts.groups_kept;
  }
  int64_t trained = 0;
  for (const TrainSample& s : samples) trained += int64_t(s.seq.prompt.size() + s.seq.response.size());
  rec["tokens_trained"] = double(ctx.run.dp.allreduce(trained * g.mu));
  const double generated = double(ctx.run.dp.allreduce(rollouts.stats.generated_tokens));  // alike on every stage
  rec["tokens_generated"] = generated;
  rec["rollout_slots"] = ctx.run.world.allreduce(rollouts.stats.slots, ReduceOp::max);
  return generated;
}

}  // namespace

GrpoStage::GrpoStage(RunContext& ctx, const StageConfig& stage)
    : ctx_(ctx),
      stage_(stage),
      weighted_(stage.grpo.rewards),
      opt_(ctx.policy.model->params(), stage.optim, stage.steps * stage.grpo.mu * stage.grpo.mini_batches),
      stream_seed_(hash_words({uint64_t(ctx.run.config.seed), hash_string(stage.display_name())})) {
  if (stage.grpo.beta > 0) {
    ResumePoint* r = resume_for_current_stage(ctx);
    reference_ = r ? load_reference_model(*r, *ctx.policy.model, ctx.run.world) : clone_model(*ctx.policy.model);
  }
}

GrpoStage::~GrpoStage() = default;

double GrpoStage::step(TrainingStep& s) {
  LogpAgreement agreement;
  const GrpoRun run{ctx_, stage_, stage_.grpo, opt_, reference_.get(), weighted_, stream_seed_, &agreement};
  return grpo_step(run, s);
}

TrainingLoop GrpoStage::loop() {
  TrainingLoop loop;
  loop.kind = "grpo";
  loop.batch = stage_.grpo.prompts_per_step;
  loop.updates_per_step = stage_.grpo.mu * stage_.grpo.mini_batches;
  loop.optimizer = &opt_;
  loop.reference = reference_.get();
  loop.step = [this](TrainingStep& s) { return step(s); };
  loop.progress = [](const nlohmann::json& rec) {
    char line[256];
    std::snprintf(line, sizeof line, "reward %.3f  acc %.3f  format %.3f  len %.1f  kl %.4f  clip %.3f/%.3f",
                  rec["reward/mean"].get<double>(), rec["accuracy"].get<double>(), rec["format_rate"].get<double>(),
                  rec["response_length/mean"].get<double>(), rec["kl"].get<double>(),
                  rec["clip_frac/low"].get<double>(), rec["clip_frac/high"].get<double>());
    return std::string(line);
  };
  return loop;
}

void run_grpo_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts) {
  const GrpoConfig& g = stage.grpo;
  GrpoStage grpo(ctx, stage);
  log_info(stage.display_name(), ": ", prompts.size(), " prompts, ", stage.steps, " steps of ", g.prompts_per_step,
           " prompts x ", g.group_size, " completions");
  run_training_loop(ctx, stage, prompts, grpo.stream_seed(), grpo.loop());
}

}  // namespace r1
