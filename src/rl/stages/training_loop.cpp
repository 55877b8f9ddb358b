// run_training_loop: resume, steps, records, progress, checkpoints.
#include "rl/stages/training_loop.hpp"

#include <chrono>
#include <cstdio>

#include "core/log.hpp"
#include "rl/run_checkpoint.hpp"

namespace r1 {

void draw_step_batch(TrainingStep& step, EpochSampler& sampler, const std::vector<Example>& data, int64_t count) {
  step.draw_more = [&sampler, &data](int64_t n) {
    std::vector<const Example*> out;
    for (int64_t i : sampler.next(n)) out.push_back(&data[size_t(i)]);
    return out;
  };
  step.batch = step.draw_more(count);
}

void run_training_loop(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& data,
                       uint64_t sampler_seed, const TrainingLoop& loop) {
  const std::string name = stage.display_name();
  EpochSampler sampler(int64_t(data.size()), sampler_seed);
  int64_t first_step = 1;
  if (ResumePoint* r = resume_for_current_stage(ctx)) {
    sampler.seek(r->progress.cursor);
    load_optimizer_state(*r, *loop.optimizer, ctx.policy.model->params(), ctx.run.world);
    first_step = r->progress.completed_steps + 1;
    finish_resume(ctx);
    log_info(name, ": resuming after step ", first_step - 1);
  }
  Progress progress(stage.steps - first_step + 1);
  NonFiniteGuard nonfinite(name, stage.optim.max_nonfinite_steps);
  for (int64_t step = first_step; step <= stage.steps; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    nlohmann::json record = {{"stage", name}, {"kind", loop.kind}, {"step", step}};
    TrainingStep s;
    draw_step_batch(s, sampler, data, loop.batch);
    s.step = step;
    s.nonfinite = &nonfinite;
    s.record = &record;
    const double tokens = loop.step(s);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ctx.state.global_step += loop.updates_per_step;
    record["global_step"] = ctx.state.global_step;
    record["step_time_s"] = seconds;
    record["tokens_per_s"] = tokens / std::max(1e-9, seconds);
    if (nonfinite.total() > 0) record["skipped_total"] = nonfinite.total();
    ctx.run.metrics.write(record);
    nonfinite.check();
    progress.set_done(step - first_step + 1);
    if (step % stage.log_every == 0 || step == stage.steps) {
      char head[64];
      std::snprintf(head, sizeof head, "%-10s step %5lld/%-5lld ", name.c_str(), (long long)step, (long long)stage.steps);
      log_info(head, loop.progress(record), "  tok/s ", format_count(record["tokens_per_s"].get<double>()), "  ETA ",
               progress.eta_text());
    }
    checkpoint_after_step(ctx, stage, StageProgress{ctx.state.stage_index, step, sampler.cursor()}, loop.optimizer,
                          loop.reference);
  }
}

}  // namespace r1
