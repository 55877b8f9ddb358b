// The GRPO step benchmark.
#include "rl/bench_grpo.hpp"

#include <algorithm>
#include <chrono>

#include "engine/update_step.hpp"
#include "kernels/runtime.hpp"
#include "rl/bench_stage.hpp"
#include "rl/data/epoch_sampler.hpp"
#include "rl/model_factory.hpp"
#include "rl/recipe_setup.hpp"
#include "rl/stages/grpo_stage.hpp"

namespace r1 {

namespace {

// Bytes one decoding round must read for a cache of `slots` sequences: every weight once, and each
// active sequence's cached keys/values (summed over the rounds of the whole generation).
double generation_floor_bytes(const BenchGrpoResult& r, int64_t completions_per_rank) {
  const int64_t waves = (completions_per_rank + r.slots - 1) / r.slots;
  const double n = double(r.new_tokens), p = double(r.prompt_tokens);
  const double weights = double(waves) * n * r.weight_bytes;
  const double cache = double(completions_per_rank) * r.kv_bytes_per_token * (n * p + n * (n + 1) / 2);
  return weights + cache;
}

double get_or(const nlohmann::json& rec, const char* key, double fallback) {
  return rec.contains(key) ? rec[key].get<double>() : fallback;
}

}  // namespace

BenchGrpoResult bench_grpo(const RecipeInputs& in, const BenchGrpoOptions& o, const Comm& world) {
  const RunConfig& c = in.config;
  c.validate(in.config_file);
  R1_INPUT_CHECK(o.steps >= 1 && o.warmup >= 0, "r1 bench grpo: --steps must be >= 1 and --warmup >= 0");
  StageConfig stage = c.stages[size_t(bench_stage_index(c, in.config_file, o.stage, {StageKind::grpo}, "r1 bench grpo"))];
  stage.steps = o.warmup + o.steps;
  const GrpoConfig& g = stage.grpo;

  RunContext ctx{c, in.config_file, world, world, build_tokenizer(c)};
  setup_random_rank_model(ctx, world);
  std::vector<Example> prompts = stage_dataset(ctx, stage);
  R1_INPUT_CHECK(!prompts.empty(), in.config_file, ": the grpo stage has no prompts");
  GrpoStage grpo(ctx, stage);
  EpochSampler sampler(int64_t(prompts.size()), grpo.stream_seed());
  NonFiniteGuard nonfinite(stage.display_name(), stage.optim.max_nonfinite_steps);

  BenchGrpoResult r;
  r.ranks = world.size();
  r.parameters = ctx.policy.model->params().numel();
  r.prompts = g.prompts_per_step;
  r.group = g.group_size;
  r.new_tokens = g.sampling.max_new_tokens;
  for (const Example& e : prompts) r.prompt_tokens = std::max<int64_t>(r.prompt_tokens, int64_t(e.prompt.size()));
  r.steps = o.steps;
  const int64_t dp = int64_t(ctx.run.dp.size());
  const int64_t completions_per_rank = (g.prompts_per_step + dp - 1) / dp * g.group_size;
  r.weight_bytes = double(r.parameters) * double(dtype_size(ctx.run.dtype));
  {
    const KvCache one = ctx.policy.model->make_kv_cache(1, 1);
    r.kv_bytes_per_token = double(one.bytes());
  }
  for (int64_t step = 1; step <= stage.steps; ++step) {
    if (step == o.warmup + 1) ComputeRuntime::reset_device_peak();
    nlohmann::json record = {{"stage", stage.display_name()}, {"kind", "grpo"}, {"step", step}};
    TrainingStep s;
    draw_step_batch(s, sampler, prompts, g.prompts_per_step);
    s.step = step;
    s.nonfinite = &nonfinite;
    s.record = &record;
    world.barrier();
    const auto t0 = std::chrono::steady_clock::now();
    grpo.step(s);
    ComputeRuntime::synchronize_device();
    const double seconds = world.allreduce(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                                           ReduceOp::max);
    nonfinite.check();
    if (step <= o.warmup) continue;
    r.step_s += seconds;
    r.prefill_s += record["time/prefill_s"].get<double>();
    r.decode_s += record["time/decode_s"].get<double>();
    r.rewards_s += record["time/rewards_s"].get<double>();
    r.old_logp_s += record["time/old_logp_s"].get<double>();
    r.ref_logp_s += record["time/ref_logp_s"].get<double>();
    r.update_s += record["time/update_s"].get<double>();
    r.tokens_generated += record["tokens_generated"].get<double>();
    r.tokens_trained += record["tokens_trained"].get<double>();
    r.slots = record["rollout_slots"].get<int64_t>();
    r.logp_mismatch_max = get_or(record, "grpo/logp_mismatch_max", -1);
    r.logp_mismatch_mean = get_or(record, "grpo/logp_mismatch_mean", -1);
    r.logp_equal_share = get_or(record, "grpo/logp_equal_share", -1);
  }
  for (double* v : {&r.step_s, &r.prefill_s, &r.decode_s, &r.rewards_s, &r.old_logp_s, &r.ref_logp_s, &r.update_s,
                    &r.tokens_generated, &r.tokens_trained})
    *v /= double(o.steps);
  r.generated_per_s = r.tokens_generated / r.step_s;
  r.trained_per_s = r.tokens_trained / r.step_s;
  r.generation_share = (r.prefill_s + r.decode_s) / r.step_s;
  r.peak_device_bytes = world.allreduce(ComputeRuntime::device_peak_bytes(), ReduceOp::max);
  if (o.bandwidth_gbs > 0) r.floor_s = generation_floor_bytes(r, completions_per_rank) / (o.bandwidth_gbs * 1e9);
  return r;
}

}  // namespace r1
