// sft_step and the pretrain/sft stage loop.
#include "rl/stages/sft_stage.hpp"

#include <cmath>
#include <cstdio>

#include "core/log.hpp"
#include "core/rng.hpp"
#include "kernels/ops.hpp"
#include "rl/data/rank_share.hpp"
#include "engine/phase_clock.hpp"
#include "engine/update_step.hpp"
#include "rl/stages/training_loop.hpp"

namespace r1 {

namespace {
Tensor filled(int64_t n, double value, DType dtype, Device device) {
  Tensor t = Tensor::empty({n}, dtype, device);
  ops::fill(t, value);
  return t;
}
}  // namespace

SftStepStats sft_step(RunContext& ctx, Optimizer& opt, const StageConfig& stage,
                      const std::vector<const Example*>& global_batch, LossOn loss_on) {
  PhaseScope phase(Phase::update);
  Model& model = *ctx.policy.model;
  const ModelConfig& mc = model.config();
  const int64_t depths = mc.mtp_loss_weight > 0 ? mc.num_nextn_predict_layers : 0;

  // 1. This rank's examples, cut into micro-batches.
  std::vector<const Example*> mine = rank_share(global_batch, ctx.run.dp.rank(), ctx.run.dp.size());  // by dp_rank: same on every stage
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
  ctx.run.dp.allreduce(counts);
  const double main_weight = 1.0 / double(std::max<int64_t>(1, counts[1]));

  // 3. One update (engine/update_step.hpp): forward/backward of the micro-batches through this rank's
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
  const UpdateResult up = run_update(ctx.update_target(), opt, micro, int64_t(global_batch.size()), loss, popt);
  sums[2] = up.aux_loss;
  SftStepStats st;
  st.grad_norm = up.grad_norm;
  st.lr = up.lr;
  st.skipped = up.skipped;

  // 5. Statistics for the whole job (loss terms live on last stages, balance losses on every stage).
  ctx.run.world.allreduce(sums);
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
  Optimizer opt(ctx.policy.model->params(), stage.optim, stage.steps);
  log_info(name, ": ", examples.size(), " examples, ", stage.steps, " steps of ", stage.batch_size, " sequences");
  TrainingLoop loop;
  loop.kind = to_string(stage.kind);
  loop.batch = stage.batch_size;
  loop.optimizer = &opt;
  loop.step = [&](TrainingStep& s) {
    const SftStepStats st = sft_step(ctx, opt, stage, s.batch, loss_on);
    s.nonfinite->record(st.skipped);
    nlohmann::json& rec = *s.record;
    rec["loss"] = st.loss;
    rec["lr"] = st.lr;
    rec["grad_norm"] = st.grad_norm;
    rec["tokens"] = st.tokens;
    rec["skipped"] = st.skipped;
    if (st.mtp_loss != 0) rec["mtp_loss"] = st.mtp_loss;
    if (st.aux_loss != 0) rec["aux_loss"] = st.aux_loss;
    return double(st.tokens);
  };
  loop.progress = [](const nlohmann::json& rec) {
    char line[160];
    std::snprintf(line, sizeof line, "loss %.4f  lr %.2e  gnorm %.3f%s", rec["loss"].get<double>(), rec["lr"].get<double>(),
                  rec["grad_norm"].get<double>(), rec["skipped"].get<bool>() ? "  (skipped: non-finite)" : "");
    return std::string(line);
  };
  run_training_loop(ctx, stage, examples, uint64_t(ctx.run.config.seed) ^ hash_string(name), loop);
}

}  // namespace r1
