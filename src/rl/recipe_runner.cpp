// Recipe runner: run directory, tokenizer, model, and the stage loop.
#include "rl/recipe_runner.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/log.hpp"
#include "kernels/runtime.hpp"
#include "rl/chat_template.hpp"
#include "rl/hf_recipe.hpp"
#include "engine/stage_times.hpp"
#include "io/hf/hf_rank_weights.hpp"
#include "rl/model_factory.hpp"
#include "rl/recipe_setup.hpp"
#include "engine/checkpoint_model.hpp"
#include "rl/data/file_dataset.hpp"
#include "rl/run_checkpoint.hpp"
#include "engine/stop_signal.hpp"
#include "rl/data/synth_datasets.hpp"
#include "rl/run_context.hpp"
#include "io/tokenizer/bpe_pretokenizer.hpp"
#include "io/checkpoint/checkpoint_fsync.hpp"
#include "io/formats/dataset_file.hpp"
#include "io/checkpoint/model_tensors.hpp"
#include "io/formats/dataset_tokenizer_identity.hpp"
#include "rl/stages/distill_stage.hpp"
#include "rl/stages/eval_stage.hpp"
#include "rl/stages/grpo_stage.hpp"
#include "rl/stages/rejection_stage.hpp"
#include "rl/stages/sft_stage.hpp"

namespace fs = std::filesystem;

namespace r1 {

namespace {

// The tokenizer: reloaded from the run directory when the run already started (so a restart uses
// exactly the same vocabulary), else built from the config.
Tokenizer run_tokenizer(const RunConfig& c, const fs::path& run_dir) {
  fs::path saved = run_dir / "tokenizer.json";
  if (fs::exists(saved)) return Tokenizer::load(saved.string());
  return build_tokenizer(c);
}

}  // namespace

RecipeResult run_recipe(const RecipeInputs& in, const Comm& world) {
  const RunConfig& c = in.config;
  c.validate(in.config_file);
  install_stop_signal_handlers();
  const fs::path run_dir(c.run_dir);

  RunContext ctx{c, in.config_file, world, world, run_tokenizer(c, run_dir)};
  const std::optional<HfPrompting> prompting = run_prompting(c);
  if (prompting) apply_stop_ids(ctx.policy.tokenizer, *prompting);
  ctx.policy.prompt_template = run_prompt_template(c, ctx.policy.tokenizer, prompting, in.config_file);
  ctx.run.device = c.device;
  ctx.run.dtype = ctx.run.device == Device::cuda ? DType::bf16 : DType::f32;  // bf16 compute, f32 master weights on GPUs
  if (ctx.run.device == Device::cuda) ComputeRuntime::enable_cuda(world.node_local_rank());
  ctx.run.resolved_yaml = in.resolved_yaml;
  {
    ModelConfig grid_model = c.model;
    if (grid_model.vocab_size == 0) grid_model.vocab_size = ctx.policy.tokenizer.vocab_size();
    ctx.run.grid = make_run_grid(c, grid_model, world, ctx.run.device, in.config_file);
    ctx.run.dp = ctx.run.grid->dp();
  }
  ctx.run.metrics_path = (run_dir / "metrics.jsonl").string();

  // Restart: the newest valid checkpoint decides where the recipe continues.
  std::optional<ResumePoint> resume = find_resume_point(ctx);
  std::optional<HfModelSource> hf_source;  // the starting weights of a fresh model.from_hf run
  ModelConfig mc = c.model;
  if (mc.vocab_size == 0) mc.vocab_size = ctx.policy.tokenizer.vocab_size();
  const bool grows_vocabulary = c.tokenizer.source == TokenizerSource::path && !c.tokenizer.add_tokens.empty();
  if (grows_vocabulary) mc.vocab_size = std::max(mc.vocab_size, ctx.policy.tokenizer.vocab_size());
  if (!mc.from_hf.empty())
    R1_INPUT_CHECK(mc.vocab_size >= ctx.policy.tokenizer.vocab_size(), mc.from_hf, "/config.json: vocab_size: the model has ",
                   mc.vocab_size, " embedding rows but the tokenizer ", c.tokenizer.path, " has ids up to ",
                   ctx.policy.tokenizer.vocab_size() - 1, " (not this model's tokenizer?)");
  R1_INPUT_CHECK(mc.vocab_size >= ctx.policy.tokenizer.vocab_size(), in.config_file, ": model.vocab_size: ", mc.vocab_size,
                 " is smaller than the tokenizer's vocabulary (", ctx.policy.tokenizer.vocab_size(), "); use 0 to follow the tokenizer");
  if (resume) {
    mc = validate_resume(ctx.run, *resume, mc, ctx.policy.tokenizer.vocab_size());
  } else if (!c.init.checkpoint.empty()) {
    validate_init_checkpoint(ctx.run, mc);
  } else if (!mc.from_hf.empty()) {
    hf_source.emplace(HfModelSource::open(mc.from_hf));  // every weight's name, shape and type checked now
  }
  for (const StageConfig& s : c.stages)  // pretrained distill students: their folders checked before any work
    if (s.kind == StageKind::distill && !s.distill.student.from_hf.empty()) HfModelSource::open(s.distill.student.from_hf);
  // No checkpoint but outputs: only the same job (same resolved config) may start over here.
  if (!resume && world.rank() == 0) require_same_job_outputs(run_dir.string(), in.resolved_yaml);
  world.barrier();

  // Outputs: only now, after every input check, touch the run directory.
  if (world.rank() == 0) {
    fs::create_directories(run_dir);
    if (!resume) {
      replace_file_atomically((run_dir / "config.yaml").string(), in.resolved_yaml);
      ctx.policy.tokenizer.save((run_dir / "tokenizer.json").string());
      if (prompting) copy_prompting_files(*prompting, run_dir.string());
      std::ofstream(ctx.run.metrics_path, std::ios::trunc);  // a restart from scratch of the same job
    } else {
      fs::resize_file(ctx.run.metrics_path, uint64_t(resume->metrics_bytes));  // drop lines after the checkpoint
    }
  }
  world.barrier();
  ctx.run.metrics = MetricsLog(ctx.run.metrics_path, world.rank());

  ctx.policy.model = make_rank_model(ctx, mc);
  size_t first_stage = 0;
  if (resume) {
    restore_recipe_state(ctx, *resume);
    first_stage = size_t(resume->progress.stage_index);
    log_info("restart: resuming from ", resume->path, " at stage ", first_stage + 1, "/", c.stages.size(), ", step ",
             resume->progress.completed_steps, " (global step ", ctx.state.global_step, ")");
    ctx.state.resume = std::make_shared<ResumePoint>(std::move(*resume));
    if (ctx.state.resume->progress.completed_steps == 0) ctx.state.resume.reset();  // a stage boundary: nothing else to restore
  } else if (!c.init.checkpoint.empty()) {
    load_checkpoint_weights(c.init.checkpoint, *ctx.policy.model, world);
    log_info("init: weights from ", c.init.checkpoint);
  } else if (hf_source) {
    load_hf_rank_weights(*hf_source, *ctx.policy.model, world, grows_vocabulary ? VocabularyGrowth::grow : VocabularyGrowth::exact);
    log_info("init: weights from the Hugging Face folder ", mc.from_hf, " (", hf_source->torch_dtype(), ")");
  } else {
    ctx.policy.model->init_weights(uint64_t(c.seed));
  }
  log_info("model: ", mc.architecture, ", ", format_count(double(ctx.policy.model->params().numel())), " parameters, ",
           mc.num_hidden_layers, " layers, vocab ", mc.vocab_size, (mc.n_routed_experts ? ", MoE " : ""),
           (mc.n_routed_experts ? std::to_string(mc.n_routed_experts) + " experts top-" + std::to_string(mc.num_experts_per_tok) : ""));
  log_info("ranks: ", world.size(), " = pp ", ctx.run.grid->layout().pp, " x dp ", ctx.run.grid->layout().dp, " (ep ",
           ctx.run.grid->layout().ep, "), ", ComputeRuntime::host_description());

  size_t last_stage = c.stages.size();  // one past the last stage this invocation runs
  if (!in.stop_after.empty()) {
    size_t found = c.stages.size();
    for (size_t i = 0; i < c.stages.size(); ++i)
      if (c.stages[i].display_name() == in.stop_after || std::to_string(i) == in.stop_after) found = i;
    R1_INPUT_CHECK(found < c.stages.size(), "--stop-after: no stage '", in.stop_after, "' in ", in.config_file);
    last_stage = found + 1;
  }
  for (size_t i = first_stage; i < last_stage; ++i) {
    const StageConfig& s = c.stages[i];
    ctx.state.stage_index = int64_t(i);
    if (!ctx.state.resume) ctx.state.stage = StageState{};
    log_info("== stage ", i + 1, "/", c.stages.size(), ": ", s.display_name(), " (", s.kind, ")");
    PhaseClock::instance().reset();
    std::vector<Example> data;
    {
      PhaseScope phase(Phase::data);
      data = stage_dataset(ctx, s);
    }
    switch (s.kind) {
      case StageKind::pretrain:
      case StageKind::sft: run_sft_stage(ctx, s, data); break;
      case StageKind::grpo: run_grpo_stage(ctx, s, data); break;
      case StageKind::eval: run_eval_stage(ctx, s, data); break;
      case StageKind::rejection_sample: run_rejection_stage(ctx, s, data); break;
      case StageKind::distill: run_distill_stage(ctx, s, data); break;
    }
    ctx.state.resume.reset();
    if (s.kind == StageKind::rejection_sample) ctx.state.previous_sft_path = ctx.state.stage.rejection.dataset;
    ctx.state.stage = StageState{};
    const PhaseTimes times = PhaseClock::instance().read();
    write_stage_time(ctx.run.metrics, s.display_name(), to_string(s.kind), ctx.state.global_step, times);
    log_info(s.display_name(), ": ", format_duration(times.total()), " (generation ", format_duration(times.of(Phase::generation)),
             ", scoring ", format_duration(times.of(Phase::scoring)), ", update ", format_duration(times.of(Phase::update)),
             ", checkpoints ", format_duration(times.of(Phase::checkpoint)), ")");
    // A checkpoint at every stage boundary: the next stage starts from here after a restart.
    save_run_checkpoint(ctx, StageProgress{int64_t(i) + 1, 0, DataCursor{}}, nullptr, nullptr);
    if (i + 1 < c.stages.size() && stop_requested(world)) {
      log_info("stop signal: checkpoint written, exiting with code ", kRequeueExitCode, " (requeue)");
      throw StopRequested();
    }
  }
  if (first_stage >= last_stage)
    log_info("restart: every stage ", last_stage < c.stages.size() ? "up to --stop-after " : "of this recipe ", "is already done");
  if (last_stage < c.stages.size()) {
    log_info("stopped after stage ", last_stage, "/", c.stages.size(), " (--stop-after); the next run continues with stage ",
             last_stage + 1);
    return RecipeResult{std::move(ctx.policy.model), ctx.state.global_step};
  }
  if (!ctx.state.eval_results.empty()) log_info("\nevaluation:\n", format_eval_table(ctx.state.eval_results));
  if (world.rank() == 0)
    if (std::string times = format_stage_time_table(ctx.run.metrics_path); !times.empty())
      log_info("\nwall time per stage (seconds; rank 0):\n", times);
  log_info("recipe finished: ", c.stages.size(), " stages, ", ctx.state.global_step, " optimizer steps; metrics in ",
           ctx.run.metrics_path);
  return RecipeResult{std::move(ctx.policy.model), ctx.state.global_step};
}

}  // namespace r1
