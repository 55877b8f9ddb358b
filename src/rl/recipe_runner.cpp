// Recipe runner: run directory, tokenizer, model, and the stage loop.
#include "rl/recipe_runner.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/log.hpp"
#include "kernels/runtime.hpp"
#include "rl/chat_template.hpp"
#include "rl/hf_recipe.hpp"
#include "rl/stage_times.hpp"
#include "io/hf/hf_rank_weights.hpp"
#include "rl/model_factory.hpp"
#include "rl/recipe_setup.hpp"
#include "rl/checkpoint_model.hpp"
#include "rl/data/file_dataset.hpp"
#include "rl/run_checkpoint.hpp"
#include "rl/stop_signal.hpp"
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

// Lines of `a` not in `b` (for the restart message about changed settings).
std::vector<std::string> changed_lines(const std::string& a, const std::string& b) {
  std::istringstream ia(a), ib(b);
  std::vector<std::string> lb, out;
  for (std::string l; std::getline(ib, l);) lb.push_back(l);
  size_t j = 0;
  for (std::string l; std::getline(ia, l);) {
    if (j < lb.size() && lb[j] == l) ++j;
    else out.push_back(l);
  }
  return out;
}

}  // namespace

RecipeResult run_recipe(const RecipeInputs& in, const Comm& world) {
  const RunConfig& c = in.config;
  c.validate(in.config_file);
  install_stop_signal_handlers();
  const fs::path run_dir(c.run_dir);

  RunContext ctx{c, in.config_file, world, world, run_tokenizer(c, run_dir)};
  const std::optional<HfPrompting> prompting = run_prompting(c);
  if (prompting) apply_stop_ids(ctx.tokenizer, *prompting);
  ctx.prompt_template = run_prompt_template(c, ctx.tokenizer, prompting, in.config_file);
  ctx.device = c.device;
  ctx.dtype = ctx.device == Device::cuda ? DType::bf16 : DType::f32;  // bf16 compute, f32 master weights on GPUs
  if (ctx.device == Device::cuda) ComputeRuntime::enable_cuda(world.node_local_rank());
  ctx.resolved_yaml = in.resolved_yaml;
  {
    ModelConfig grid_model = c.model;
    if (grid_model.vocab_size == 0) grid_model.vocab_size = ctx.tokenizer.vocab_size();
    ctx.grid = make_run_grid(c, grid_model, world, ctx.device, in.config_file);
    ctx.dp = ctx.grid->dp();
  }
  ctx.metrics_path = (run_dir / "metrics.jsonl").string();

  // Restart: the newest valid checkpoint decides where the recipe continues.
  std::optional<ResumePoint> resume = find_resume_point(ctx);
  std::optional<HfModelSource> hf_source;  // the starting weights of a fresh model.from_hf run
  ModelConfig mc = c.model;
  if (mc.vocab_size == 0) mc.vocab_size = ctx.tokenizer.vocab_size();
  const bool grows_vocabulary = c.tokenizer.source == TokenizerSource::path && !c.tokenizer.add_tokens.empty();
  if (grows_vocabulary) mc.vocab_size = std::max(mc.vocab_size, ctx.tokenizer.vocab_size());
  if (!mc.from_hf.empty())
    R1_INPUT_CHECK(mc.vocab_size >= ctx.tokenizer.vocab_size(), mc.from_hf, "/config.json: vocab_size: the model has ",
                   mc.vocab_size, " embedding rows but the tokenizer ", c.tokenizer.path, " has ids up to ",
                   ctx.tokenizer.vocab_size() - 1, " (not this model's tokenizer?)");
  R1_INPUT_CHECK(mc.vocab_size >= ctx.tokenizer.vocab_size(), in.config_file, ": model.vocab_size: ", mc.vocab_size,
                 " is smaller than the tokenizer's vocabulary (", ctx.tokenizer.vocab_size(), "); use 0 to follow the tokenizer");
  if (resume) {
    // The model the checkpoint holds must be the one the config describes (the policy, or the
    // student of the distill stage that produced it): otherwise fail before any work.
    ModelConfig expected = mc;
    if (resume->model_name == "student")
      for (int64_t i = std::min<int64_t>(resume->progress.stage_index, int64_t(c.stages.size()) - 1); i >= 0; --i)
        if (c.stages[size_t(i)].kind == StageKind::distill) {
          expected = c.stages[size_t(i)].distill.student;
          if (expected.vocab_size == 0) expected.vocab_size = ctx.tokenizer.vocab_size();
          break;
        }
    Model probe(expected, DType::f32, Device::host);
    std::vector<std::string> diffs = param_shape_differences(*resume->reader, probe.params(), "model");
    if (!diffs.empty()) {
      std::string msg = resume->path + ": the checkpoint's model does not match " + in.config_file + " (" +
                        std::to_string(diffs.size()) + " tensors differ); use another run_dir or the matching config:";
      for (size_t i = 0; i < diffs.size() && i < 40; ++i) msg += "\n  " + diffs[i];
      throw InputError(msg);
    }
    mc = expected;
    auto changes = changed_lines(in.resolved_yaml, resume->config_yaml);
    if (!changes.empty()) {
      std::string list;
      for (size_t i = 0; i < changes.size() && i < 8; ++i) list += "\n  " + changes[i];
      log_info("restart: the config differs from the checkpoint's in ", changes.size(), " line(s):", list);
    }
  } else if (!c.init.checkpoint.empty()) {
    CheckpointReader init_reader(c.init.checkpoint, world);
    Model probe(mc, DType::f32, Device::host);
    std::vector<std::string> diffs = param_shape_differences(init_reader, probe.params(), "model");
    if (!diffs.empty()) {
      std::string msg = c.init.checkpoint + ": init.checkpoint does not match model in " + in.config_file + " (" +
                        std::to_string(diffs.size()) + " tensors differ):";
      for (size_t i = 0; i < diffs.size() && i < 40; ++i) msg += "\n  " + diffs[i];
      throw InputError(msg);
    }
  } else if (!mc.from_hf.empty()) {
    hf_source.emplace(HfModelSource::open(mc.from_hf));  // every weight's name, shape and type checked now
  }
  for (const StageConfig& s : c.stages)  // pretrained distill students: their folders checked before any work
    if (s.kind == StageKind::distill && !s.distill.student.from_hf.empty()) HfModelSource::open(s.distill.student.from_hf);
  if (!resume && world.rank() == 0 && fs::exists(run_dir / "config.yaml")) {
    // No checkpoint but outputs: only the same job (same resolved config) may start over here.
    std::ifstream f(run_dir / "config.yaml");
    std::stringstream ss;
    ss << f.rdbuf();
    R1_INPUT_CHECK(ss.str() == in.resolved_yaml, (run_dir / "config.yaml").string(),
                   ": run_dir holds another run's outputs (its config differs) and no checkpoint to resume; choose another "
                   "run_dir or remove it");
  }
  world.barrier();

  // Outputs: only now, after every input check, touch the run directory.
  if (world.rank() == 0) {
    fs::create_directories(run_dir);
    if (!resume) {
      replace_file_atomically((run_dir / "config.yaml").string(), in.resolved_yaml);
      ctx.tokenizer.save((run_dir / "tokenizer.json").string());
      if (prompting) copy_prompting_files(*prompting, run_dir.string());
      std::ofstream(ctx.metrics_path, std::ios::trunc);  // a restart from scratch of the same job
    } else {
      fs::resize_file(ctx.metrics_path, uint64_t(resume->metrics_bytes));  // drop lines after the checkpoint
    }
  }
  world.barrier();
  ctx.metrics = MetricsLog(ctx.metrics_path, world.rank());

  ctx.model = make_rank_model(ctx, mc);
  size_t first_stage = 0;
  if (resume) {
    load_model_weights(*resume, *ctx.model, world);
    ctx.global_step = resume->global_step;
    ctx.model_name = resume->model_name;
    ctx.stage_state = resume->stage_state;
    nlohmann::json st = nlohmann::json::parse(resume->reader->read_string("/state/json"));
    ctx.previous_sft_path = st.value("previous_sft_path", "");
    for (auto& e : st.at("eval_results"))
      ctx.eval_results.push_back(EvalResult{e.at("stage"), e.at("model"), e.at("step"), e.at("prompts"), e.at("k"),
                                            e.at("pass_at_1"), e.at("cons_at_k"), e.at("format_rate"), e.at("length")});
    first_stage = size_t(resume->progress.stage_index);
    log_info("restart: resuming from ", resume->path, " at stage ", first_stage + 1, "/", c.stages.size(), ", step ",
             resume->progress.completed_steps, " (global step ", ctx.global_step, ")");
    ctx.resume = std::make_shared<ResumePoint>(std::move(*resume));
    if (ctx.resume->progress.completed_steps == 0) ctx.resume.reset();  // a stage boundary: nothing else to restore
  } else if (!c.init.checkpoint.empty()) {
    load_checkpoint_weights(c.init.checkpoint, *ctx.model, world);
    log_info("init: weights from ", c.init.checkpoint);
  } else if (hf_source) {
    load_hf_rank_weights(*hf_source, *ctx.model, world, grows_vocabulary ? VocabularyGrowth::grow : VocabularyGrowth::exact);
    log_info("init: weights from the Hugging Face folder ", mc.from_hf, " (", hf_source->torch_dtype(), ")");
  } else {
    ctx.model->init_weights(uint64_t(c.seed));
  }
  log_info("model: ", mc.architecture, ", ", format_count(double(ctx.model->params().numel())), " parameters, ",
           mc.num_hidden_layers, " layers, vocab ", mc.vocab_size, (mc.n_routed_experts ? ", MoE " : ""),
           (mc.n_routed_experts ? std::to_string(mc.n_routed_experts) + " experts top-" + std::to_string(mc.num_experts_per_tok) : ""));
  log_info("ranks: ", world.size(), " = pp ", ctx.grid->layout().pp, " x dp ", ctx.grid->layout().dp, " (ep ",
           ctx.grid->layout().ep, "), ", ComputeRuntime::host_description());

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
    ctx.stage_index = int64_t(i);
    if (!ctx.resume) ctx.stage_state = nlohmann::json::object();
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
    ctx.resume.reset();
    if (s.kind == StageKind::rejection_sample) ctx.previous_sft_path = ctx.stage_state.value("dataset", ctx.previous_sft_path);
    ctx.stage_state = nlohmann::json::object();
    const PhaseTimes times = PhaseClock::instance().read();
    write_stage_time(ctx.metrics, s.display_name(), to_string(s.kind), ctx.global_step, times);
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
    return RecipeResult{std::move(ctx.model), ctx.global_step};
  }
  if (!ctx.eval_results.empty()) log_info("\nevaluation:\n", format_eval_table(ctx.eval_results));
  if (world.rank() == 0)
    if (std::string times = format_stage_time_table(ctx.metrics_path); !times.empty())
      log_info("\nwall time per stage (seconds; rank 0):\n", times);
  log_info("recipe finished: ", c.stages.size(), " stages, ", ctx.global_step, " optimizer steps; metrics in ",
           ctx.metrics_path);
  return RecipeResult{std::move(ctx.model), ctx.global_step};
}

}  // namespace r1
