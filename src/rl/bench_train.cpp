// The training benchmark.
#include "rl/bench_train.hpp"

#include <chrono>

#include "core/log.hpp"
#include "kernels/runtime.hpp"
#include "model/model_flops.hpp"
#include "rl/bench_stage.hpp"
#include "rl/data/epoch_sampler.hpp"
#include "rl/model_factory.hpp"
#include "rl/recipe_setup.hpp"
#include "rl/stages/sft_stage.hpp"
#include "parallel/step_timers.hpp"

namespace r1 {

BenchTrainResult bench_train(const RecipeInputs& in, const BenchTrainOptions& o, const Comm& world) {
  const RunConfig& c = in.config;
  c.validate(in.config_file);
  StageConfig stage = c.stages[size_t(bench_stage_index(c, in.config_file, o.stage, {StageKind::pretrain, StageKind::sft},
                                                          "r1 bench train"))];
  if (o.batch_per_rank > 0) stage.batch_size = o.batch_per_rank * (world.size() / c.parallel.pp);
  if (o.global_batch > 0) stage.batch_size = o.global_batch;
  stage.micro_batch_size =
      std::min(stage.micro_batch_size, std::max<int64_t>(1, stage.batch_size / (world.size() / c.parallel.pp)));
  stage.steps = o.warmup + o.steps;

  RunContext ctx{c, in.config_file, world, world, build_tokenizer(c)};
  setup_random_rank_model(ctx, world);
  std::vector<Example> data = stage_dataset(ctx, stage);
  Optimizer opt(ctx.policy.model->params(), stage.optim, stage.steps);
  EpochSampler sampler(int64_t(data.size()), uint64_t(c.seed));
  const LossOn loss_on = stage.kind == StageKind::pretrain ? LossOn::all_tokens : LossOn::response_tokens;

  BenchTrainResult r;
  r.ranks = world.size();
  r.global_batch = stage.batch_size;
  r.steps = o.steps;
  r.parameters = ctx.policy.model->params().numel();
  int64_t tokens = 0;
  double seconds = 0, parts[4] = {0, 0, 0, 0};
  for (int64_t step = 0; step < stage.steps; ++step) {
    if (step == o.warmup) {
      ComputeRuntime::reset_device_peak();
      ComputeRuntime::reset_device_op_profile();
    }
    std::vector<const Example*> batch;
    for (int64_t i : sampler.next(stage.batch_size)) batch.push_back(&data[size_t(i)]);
    world.barrier();
    step_timers().reset();
    auto t0 = std::chrono::steady_clock::now();
    SftStepStats st = sft_step(ctx, opt, stage, batch, loss_on);
    ComputeRuntime::synchronize_device();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (step < o.warmup) continue;
    seconds += s;
    tokens += st.tokens;
    double comm = step_timers().get(StepPart::all_to_all) + step_timers().get(StepPart::pipeline_wait) +
                  step_timers().get(StepPart::all_reduce);
    parts[0] += s - comm;
    parts[1] += step_timers().get(StepPart::all_to_all);
    parts[2] += step_timers().get(StepPart::pipeline_wait);
    parts[3] += step_timers().get(StepPart::all_reduce);
  }
  if (std::string profile = ComputeRuntime::device_op_profile(); !profile.empty() && world.rank() == 0)
    log_line("timed steps, " + profile);
  seconds = world.allreduce(seconds, ReduceOp::max);
  for (double& p : parts) p = world.allreduce(p, ReduceOp::max) / double(o.steps);
  r.step_seconds = seconds / double(o.steps);
  r.tokens_per_s = double(tokens) / seconds;
  r.tokens_per_s_per_rank = r.tokens_per_s / double(world.size());
  r.compute_s = parts[0];
  r.all_to_all_s = parts[1];
  r.pipeline_wait_s = parts[2];
  r.all_reduce_s = parts[3];
  r.model_tflops_per_s = training_flops_per_token(ctx.policy.model->config(), stage.seq_len) * r.tokens_per_s_per_rank / 1e12;
  if (o.peak_tflops > 0) r.mfu = r.model_tflops_per_s / o.peak_tflops;
  r.peak_device_bytes = world.allreduce(ComputeRuntime::device_peak_bytes(), ReduceOp::max);
  return r;
}

}  // namespace r1
