// grpo_step and the grpo stage loop.
#include "rl/stages/grpo_stage.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/log.hpp"
#include "core/rng.hpp"
#include "kernels/ops.hpp"
#include "rl/data/epoch_sampler.hpp"
#include "rl/data/token_batch_builder.hpp"
#include "rl/grpo/advantages.hpp"
#include "rl/grpo/grpo_loss.hpp"
#include "rl/model_copy.hpp"
#include "rl/pipeline_schedule.hpp"
#include "rl/rollout/rollout_scoring.hpp"
#include "rl/run_checkpoint.hpp"
#include "rl/phase_clock.hpp"
#include "rl/update_step.hpp"

namespace r1 {

namespace {

// One completion prepared for the update.
struct TrainSample {
  Example seq;                 // prompt + completion tokens (completion in `response`)
  double advantage = 0;
  std::vector<double> old_logp, ref_logp;  // per completion token
};

// Statistics summed over the whole job, then divided.
struct GrpoSums {
  enum : size_t { completions, correct, formatted, truncated, length, length_correct, n_correct_len, length_wrong,
                  n_wrong_len, zero_std, reward, reward_sq, count };
  std::vector<double> v = std::vector<double>(count, 0.0);
};

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
void completion_logp(const Model& model, const ParallelGrid& grid, std::vector<TrainSample>& samples, int64_t micro,
                     double logit_scale, bool reference) {
  std::vector<TokenBatch> batches;
  for (size_t i = 0; i < samples.size(); i += size_t(micro)) {
    std::vector<const Example*> part;
    for (size_t j = i; j < std::min(samples.size(), i + size_t(micro)); ++j) part.push_back(&samples[j].seq);
    batches.push_back(build_token_batch(part, LossOn::response_tokens, 1 << 30));
  }
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
    }
  }
}

}  // namespace

static void grpo_step(RunContext& ctx, const StageConfig& stage, Optimizer& opt, const Model* reference,
                      const rewards::WeightedRewards& weighted, const std::vector<const Example*>& global_prompts,
                      uint64_t stream_seed, int64_t step, NonFiniteGuard& nonfinite, nlohmann::json& record) {
  PhaseScope phase(Phase::update);  // the generation and scoring inside count as theirs
  Model& model = *ctx.model;
  const GrpoConfig& g = stage.grpo;
  const double logit_scale = g.sampling.temperature > 0 ? 1.0 / g.sampling.temperature : 1.0;
  const LossAggregation agg = g.loss_aggregation;
  GrpoLossParams loss_params{g.eps_low, g.eps_high, g.beta};
  auto t_start = std::chrono::steady_clock::now();

  // 1. This rank's prompts; G completion requests each.
  size_t np = global_prompts.size(), r0 = np * size_t(ctx.dp.rank()) / size_t(ctx.dp.size()),
         r1_ = np * size_t(ctx.dp.rank() + 1) / size_t(ctx.dp.size());
  std::vector<const Example*> prompts(global_prompts.begin() + long(r0), global_prompts.begin() + long(r1_));
  std::vector<RolloutRequest> requests;
  for (const Example* p : prompts)
    for (int64_t s = 0; s < g.group_size; ++s) requests.push_back({p->id, s, &p->prompt});

  // 2. Rollouts with the current policy.
  RolloutEngine engine(model, ctx.tokenizer, ctx.grid.get());
  RolloutStats rstats;
  std::vector<Rollout> rollouts = engine.generate(requests, g.sampling, stream_seed, step, &rstats);

  // 3. Rewards, 4. group-normalised advantages.
  GrpoSums sums;
  std::vector<double> reward_totals;
  std::vector<std::vector<double>> parts;
  std::vector<ScoredRollout> scored;
  for (size_t i = 0; i < rollouts.size(); ++i) {
    scored.push_back(score_rollout(ctx.tokenizer, *prompts[i / size_t(g.group_size)], rollouts[i], &weighted, "en",
                                   g.sampling.max_new_tokens));
    reward_totals.push_back(scored.back().reward);
    parts.push_back(scored.back().parts);
  }
  GroupAdvantages adv = group_advantages(reward_totals, g.group_size, g.scale_rewards);
  std::vector<double> part_sums(2 * weighted.specs().size(), 0.0);
  std::vector<TrainSample> samples;
  for (size_t i = 0; i < rollouts.size(); ++i) {
    const ScoredRollout& s = scored[i];
    sums.v[GrpoSums::completions] += 1;
    sums.v[GrpoSums::correct] += s.correct;
    sums.v[GrpoSums::formatted] += s.formatted;
    sums.v[GrpoSums::truncated] += s.truncated;
    sums.v[GrpoSums::length] += double(s.tokens);
    sums.v[s.correct ? GrpoSums::length_correct : GrpoSums::length_wrong] += double(s.tokens);
    sums.v[s.correct ? GrpoSums::n_correct_len : GrpoSums::n_wrong_len] += 1;
    sums.v[GrpoSums::zero_std] += adv.zero_std_group[i];
    sums.v[GrpoSums::reward] += s.reward;
    sums.v[GrpoSums::reward_sq] += s.reward * s.reward;
    for (size_t k = 0; k < s.parts.size(); ++k) {
      part_sums[2 * k] += s.parts[k];
      part_sums[2 * k + 1] += s.parts[k] * s.parts[k];
    }
    if (g.skip_equal_reward_groups && adv.zero_std_group[i]) continue;
    TrainSample t;
    t.seq.prompt = prompts[i / size_t(g.group_size)]->prompt;
    t.seq.response = rollouts[i].tokens;
    t.advantage = adv.advantage[i];
    samples.push_back(std::move(t));
  }
  double rollout_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

  // 5. Log-probs of the sampled tokens under the policy before the update (needed once the policy
  //    moves within the step) and under the frozen reference model (when beta > 0).
  const bool on_policy_single_update = g.mu == 1 && g.mini_batches == 1;
  if (!on_policy_single_update) completion_logp(model, *ctx.grid, samples, stage.micro_batch_size, logit_scale, false);
  if (reference) completion_logp(*reference, *ctx.grid, samples, stage.micro_batch_size, logit_scale, true);

  // 6. mu passes over the rollout batch, each split into mini-batches; one optimizer step each.
  std::vector<double> update_sums(7, 0.0);  // [loss, kl, clipped low, clipped high, entropy, tokens, aux]
  double grad_norm = 0, lr = 0;
  int64_t updates = 0, skipped = 0;
  for (int64_t pass = 0; pass < g.mu; ++pass) {
    for (int64_t mb = 0; mb < g.mini_batches; ++mb) {
      size_t b0 = samples.size() * size_t(mb) / size_t(g.mini_batches), b1 = samples.size() * size_t(mb + 1) / size_t(g.mini_batches);
      // Global normalisers of this mini-batch.
      std::vector<int64_t> counts = {int64_t(b1 - b0), 0};
      for (size_t i = b0; i < b1; ++i) counts[1] += int64_t(samples[i].seq.response.size());
      ctx.dp.allreduce(counts);
      std::vector<TokenBatch> micro;
      std::vector<size_t> micro_first;  // index of each micro-batch's first sample
      for (size_t i = b0; i < b1; i += size_t(stage.micro_batch_size)) {
        std::vector<const Example*> part;
        for (size_t j = i; j < std::min(b1, i + size_t(stage.micro_batch_size)); ++j) part.push_back(&samples[j].seq);
        micro.push_back(build_token_batch(part, LossOn::response_tokens, 1 << 30));
        micro_first.push_back(i);
      }
      auto loss = [&](size_t mi, const TokenBatch& b, const ModelOutput& out) {
        auto logp = to_f64_vector(out.logp), entropy = to_f64_vector(out.entropy);
        std::vector<double> dlogp(logp.size(), 0.0);
        for (size_t j = 0; j + 1 < b.seqs.size(); ++j) {
          TrainSample& s = samples[micro_first[mi] + j];
          const int64_t n_tok = int64_t(s.seq.response.size());
          const double w = grpo_token_weight(agg, n_tok, counts[0], counts[1], g.sampling.max_new_tokens);
          int64_t t = 0;
          for (int64_t r = b.seqs[j]; r < b.seqs[j + 1]; ++r) {
            if (b.targets[size_t(r)] < 0) continue;
            double old = on_policy_single_update ? logp[size_t(r)] : s.old_logp[size_t(t)];
            double ref = reference ? s.ref_logp[size_t(t)] : logp[size_t(r)];
            GrpoTokenTerms term = grpo_token(logp[size_t(r)], old, ref, s.advantage, loss_params);
            dlogp[size_t(r)] = w * term.dlogp;
            if (pass == 0) {  // report the first pass: the rollout policy's view
              update_sums[0] += w * term.loss;
              update_sums[1] += term.kl;
              update_sums[2] += term.clipped_low;
              update_sums[3] += term.clipped_high;
              update_sums[4] += entropy[size_t(r)];
              update_sums[5] += 1;
            }
            ++t;
          }
        }
        MicroBatchGrad grad;
        grad.dlogp = host_vector_tensor(dlogp, model);
        return grad;
      };
      PipelineOptions popt;
      popt.entropy = WithEntropy::yes;
      popt.logit_scale = logit_scale;
      const UpdateResult up = run_update(ctx, opt, micro, counts[0], loss, popt);
      grad_norm = up.grad_norm;
      lr = up.lr;
      update_sums[6] += up.aux_loss;
      skipped += up.skipped ? 1 : 0;
      nonfinite.record(up.skipped);
      ++updates;
    }
  }

  // 7. Metrics over the whole job: rollout statistics are alike on every stage of a pipeline (summed
  //    over data-parallel ranks); loss statistics live on last stages (summed over every rank).
  ctx.dp.allreduce(sums.v);
  ctx.dp.allreduce(part_sums);
  ctx.world.allreduce(update_sums);
  const auto& v = sums.v;
  double n = std::max(1.0, v[GrpoSums::completions]), ntok = std::max(1.0, update_sums[5]);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  double generated = double(ctx.dp.allreduce(rstats.generated_tokens));  // alike on every stage
  double mean_r = v[GrpoSums::reward] / n;
  record["reward/mean"] = mean_r;
  record["reward/std"] = std::sqrt(std::max(0.0, v[GrpoSums::reward_sq] / n - mean_r * mean_r));
  for (size_t k = 0; k < weighted.specs().size(); ++k) {
    double m = part_sums[2 * k] / n;
    record["reward/" + weighted.specs()[k].name + "/mean"] = m;
    record["reward/" + weighted.specs()[k].name + "/std"] = std::sqrt(std::max(0.0, part_sums[2 * k + 1] / n - m * m));
  }
  record["accuracy"] = v[GrpoSums::correct] / n;
  record["format_rate"] = v[GrpoSums::formatted] / n;
  record["response_length/mean"] = v[GrpoSums::length] / n;
  record["response_length/correct"] = v[GrpoSums::n_correct_len] > 0 ? v[GrpoSums::length_correct] / v[GrpoSums::n_correct_len] : 0.0;
  record["response_length/incorrect"] = v[GrpoSums::n_wrong_len] > 0 ? v[GrpoSums::length_wrong] / v[GrpoSums::n_wrong_len] : 0.0;
  record["truncated_share"] = v[GrpoSums::truncated] / n;
  record["zero_std_group_share"] = v[GrpoSums::zero_std] / n;
  record["kl"] = update_sums[1] / ntok;
  record["clip_frac/low"] = update_sums[2] / ntok;
  record["clip_frac/high"] = update_sums[3] / ntok;
  record["entropy"] = update_sums[4] / ntok;
  record["loss"] = update_sums[0];
  record["grad_norm"] = grad_norm;
  record["lr"] = lr;
  record["updates"] = updates;
  record["skipped_updates"] = skipped;
  if (nonfinite.total() > 0) record["skipped_total"] = nonfinite.total();
  if (update_sums[6] != 0) record["aux_loss"] = update_sums[6] / double(std::max<int64_t>(1, updates));
  record["tokens_per_s"] = generated / std::max(1e-9, seconds);
  record["rollout_s"] = rollout_seconds;
  record["step_time_s"] = seconds;
}

void run_grpo_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts) {
  const GrpoConfig& g = stage.grpo;
  const std::string name = stage.display_name();
  rewards::WeightedRewards weighted(g.rewards);
  const int64_t updates_per_step = g.mu * g.mini_batches;
  Optimizer opt(ctx.model->params(), stage.optim, stage.steps * updates_per_step);
  std::unique_ptr<Model> reference;
  const uint64_t stream_seed = hash_words({uint64_t(ctx.config.seed), hash_string(name)});
  EpochSampler sampler(int64_t(prompts.size()), stream_seed);
  int64_t first_step = 1;
  if (ResumePoint* r = resume_for_current_stage(ctx)) {
    sampler.seek(r->progress.cursor);
    load_optimizer_state(*r, opt, ctx.model->params(), ctx.world);
    if (g.beta > 0) reference = load_reference_model(*r, *ctx.model, ctx.world);
    first_step = r->progress.completed_steps + 1;
    finish_resume(ctx);
    log_info(name, ": resuming after step ", first_step - 1);
  } else if (g.beta > 0) {
    reference = clone_model(*ctx.model);  // the stage's starting weights, frozen
  }
  Progress progress(stage.steps - first_step + 1);
  NonFiniteGuard nonfinite(name, stage.optim.max_nonfinite_steps);
  log_info(name, ": ", prompts.size(), " prompts, ", stage.steps, " steps of ", g.prompts_per_step, " prompts x ",
           g.group_size, " completions");
  for (int64_t step = first_step; step <= stage.steps; ++step) {
    std::vector<const Example*> batch;
    for (int64_t i : sampler.next(g.prompts_per_step)) batch.push_back(&prompts[size_t(i)]);
    nlohmann::json rec = {{"stage", name}, {"kind", "grpo"}, {"step", step}};
    grpo_step(ctx, stage, opt, reference.get(), weighted, batch, stream_seed, step, nonfinite, rec);
    ctx.global_step += updates_per_step;
    rec["global_step"] = ctx.global_step;
    ctx.metrics.write(rec);
    nonfinite.check();
    progress.set_done(step - first_step + 1);
    if (step % stage.log_every == 0 || step == stage.steps) {
      char line[320];
      std::snprintf(line, sizeof line,
                    "%-10s step %4lld/%-4lld reward %.3f  acc %.3f  format %.3f  len %.1f  kl %.4f  clip %.3f/%.3f  "
                    "tok/s %s  ETA %s",
                    name.c_str(), (long long)step, (long long)stage.steps, rec["reward/mean"].get<double>(),
                    rec["accuracy"].get<double>(), rec["format_rate"].get<double>(),
                    rec["response_length/mean"].get<double>(), rec["kl"].get<double>(),
                    rec["clip_frac/low"].get<double>(), rec["clip_frac/high"].get<double>(),
                    format_count(rec["tokens_per_s"].get<double>()).c_str(), progress.eta_text().c_str());
      log_info(line);
    }
    checkpoint_after_step(ctx, stage, StageProgress{ctx.stage_index, step, sampler.cursor()}, &opt, reference.get());
  }
}

}  // namespace r1
