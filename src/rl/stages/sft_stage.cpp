// sft_step and the pretrain/sft stage loop.
#include "rl/stages/sft_stage.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/log.hpp"
#include "core/rng.hpp"
#include "kernels/ops.hpp"
#include "rl/data/epoch_sampler.hpp"
#include "rl/phase_clock.hpp"
#include "rl/run_checkpoint.hpp"
#include "rl/update_step.hpp"

namespace r1 {

namespace {
// This rank's contiguous share of the global batch.
std::vector<const Example*> my_share(const std::vector<const Example*>& global, int rank, int ranks) {
  size_t n = global.size(), begin = n * size_t(rank) / size_t(ranks), end = n * size_t(rank + 1) / size_t(ranks);
  return std::vector<const Example*>(global.begin() + long(begin), global.begin() + long(end));
}

Tensor filled(int64_t n, double value, DType dtype, Device device) {
  Tensor t = Tensor::empty({n}, dtype, device);
  ops::fill(t, value);
  return t;
}
}  // namespace

SftStepStats sft_step(RunContext& ctx, Optimizer& opt, const StageConfig& stage,
                      const std::vector<const Example*>& global_batch, LossOn loss_on) {
  PhaseScope phase(Phase::update);
  Model& model = *ctx.model;
  const ModelConfig& mc = model.config();
  const int64_t depths = mc.mtp_loss_weight > 0 ? mc.num_nextn_predict_layers : 0;

  // 1. This rank's examples, cut into micro-batches.
  std::vector<const Example*> mine = my_share(global_batch, ctx.dp.rank(), ctx.dp.size());  // by dp_rank: same on every stage
  std::vector<TokenBatch> micro;
  for (size_t i = 0; i < mine.size(); i += size_t(stage.micro_batch_size)) {
    std::vector<const Example*> part(mine.begin() + long(i),
                                     mine.begin() + long(std::min(mine.size(), i + size_t(stage.micro_batch_size))));
    micro.push_back(build_token_batch(part, loss_on, stage.seq_len));
  }

  // 2. Loss normalisation over the whole global batch: counts of targets (main and per MTP depth).
  std::vector<int64_t> counts(size_t(2 + depths), 0);  // [tokens, targets, mtp targets per depth]
  for (auto& b : micro) {
    counts[0] += b.size();
    counts[1] += count_targets(b);
    for (int64_t k = 1; k <= depths; ++k) counts[size_t(1 + k)] += count_mtp_targets(b, k);
  }
  ctx.dp.allreduce(counts);
  const double main_weight = 1.0 / double(std::max<int64_t>(1, counts[1]));

  // 3. One update (rl/update_step.hpp): forward/backward of the micro-batches through this rank's
  //    pipeline stage (the loss on the last stage), gradients summed over replicas, clip + AdamW,
  //    router balance.
  std::vector<double> sums(3, 0.0);  // [sum -logp, sum of weighted mtp loss, aux]
  PipelineOptions popt;
  popt.with_mtp = depths > 0;
  auto loss = [&](size_t, const TokenBatch& b, const ModelOutput& out) {
    MicroBatchGrad g;
    g.dlogp = filled(b.size(), -main_weight, model.stat_dtype(), model.device());
    for (int64_t k = 1; k <= depths && !out.mtp_logp.empty(); ++k) {
      double w = mc.mtp_loss_weight / double(depths) / double(std::max<int64_t>(1, counts[size_t(1 + k)]));
      g.mtp_dlogp.push_back(filled(b.size(), -w, model.stat_dtype(), model.device()));
      sums[1] += -w * ops::sum(out.mtp_logp[size_t(k - 1)]);
    }
    sums[0] += -ops::sum(out.logp);
    return g;
  };
  const UpdateResult up = run_update(ctx, opt, micro, int64_t(global_batch.size()), loss, popt);
  sums[2] = up.aux_loss;
  SftStepStats st;
  st.grad_norm = up.grad_norm;
  st.lr = up.lr;
  st.skipped = up.skipped;

  // 5. Statistics for the whole job (loss terms live on last stages, balance losses on every stage).
  ctx.world.allreduce(sums);
  st.loss = sums[0] * main_weight;
  st.mtp_loss = depths ? sums[1] / mc.mtp_loss_weight : 0.0;
  st.aux_loss = sums[2];
  st.tokens = counts[0];
  st.target_tokens = counts[1];
  return st;
}

void run_sft_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& examples) {
  const LossOn loss_on = stage.kind == StageKind::pretrain ? LossOn::all_tokens : LossOn::response_tokens;
  const std::string name = stage.display_name();
  Optimizer opt(ctx.model->params(), stage.optim, stage.steps);
  EpochSampler sampler(int64_t(examples.size()), uint64_t(ctx.config.seed) ^ hash_string(name));
  int64_t first_step = 1;
  if (ResumePoint* r = resume_for_current_stage(ctx)) {
    sampler.seek(r->progress.cursor);
    load_optimizer_state(*r, opt, ctx.model->params(), ctx.world);
    first_step = r->progress.completed_steps + 1;
    finish_resume(ctx);
    log_info(name, ": resuming after step ", first_step - 1);
  }
  Progress progress(stage.steps - first_step + 1);
  NonFiniteGuard nonfinite(name, stage.optim.max_nonfinite_steps);
  log_info(name, ": ", examples.size(), " examples, ", stage.steps, " steps of ", stage.batch_size, " sequences");
  for (int64_t step = first_step; step <= stage.steps; ++step) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<const Example*> batch;
    for (int64_t i : sampler.next(stage.batch_size)) batch.push_back(&examples[size_t(i)]);
    SftStepStats st = sft_step(ctx, opt, stage, batch, loss_on);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++ctx.global_step;
    progress.set_done(step - first_step + 1);
    nonfinite.record(st.skipped);
    double tps = double(st.tokens) / std::max(1e-9, seconds);
    nlohmann::json rec = {{"stage", name},      {"kind", to_string(stage.kind)},          {"step", step},
                          {"global_step", ctx.global_step}, {"loss", st.loss}, {"lr", st.lr},
                          {"grad_norm", st.grad_norm},     {"tokens", st.tokens}, {"tokens_per_s", tps},
                          {"step_time_s", seconds},        {"skipped", st.skipped}};
    if (st.mtp_loss != 0) rec["mtp_loss"] = st.mtp_loss;
    if (st.aux_loss != 0) rec["aux_loss"] = st.aux_loss;
    if (nonfinite.total() > 0) rec["skipped_total"] = nonfinite.total();
    ctx.metrics.write(rec);
    nonfinite.check();
    if (step % stage.log_every == 0 || step == stage.steps) {
      char line[256];
      std::snprintf(line, sizeof line, "%-10s step %5lld/%-5lld loss %.4f  lr %.2e  gnorm %.3f  tok/s %s  ETA %s%s",
                    name.c_str(), (long long)step, (long long)stage.steps, st.loss, st.lr, st.grad_norm,
                    format_count(tps).c_str(), progress.eta_text().c_str(), st.skipped ? "  (skipped: non-finite)" : "");
      log_info(line);
    }
    checkpoint_after_step(ctx, stage, StageProgress{ctx.stage_index, step, sampler.cursor()}, &opt, nullptr);
  }
}

}  // namespace r1
