// Run checkpoints: save, find, load.
#include "rl/run_checkpoint.hpp"

#include <filesystem>

#include "core/config_yaml.hpp"
#include "core/log.hpp"
#include "io/checkpoint/checkpoint_folder.hpp"
#include "engine/train_checkpoint.hpp"
#include "engine/model_copy.hpp"
#include "engine/stop_signal.hpp"
#include "engine/phase_clock.hpp"

namespace fs = std::filesystem;

namespace r1 {

std::string checkpoint_dir(const RunConfig& c) {
  return c.checkpoint.dir.empty() ? (fs::path(c.run_dir) / "checkpoints").string() : c.checkpoint.dir;
}

namespace {
nlohmann::json eval_to_json(const EvalResult& e) {
  return {{"stage", e.stage}, {"model", e.model}, {"step", e.step}, {"prompts", e.prompts}, {"k", e.k},
          {"pass_at_1", e.pass_at_1}, {"cons_at_k", e.cons_at_k}, {"format_rate", e.format_rate}, {"length", e.length},
          {"pass_at", e.pass_at},     {"maj_at", e.maj_at}};
}

int64_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  return ec ? 0 : int64_t(n);
}
}  // namespace

void save_run_checkpoint(RunContext& ctx, const StageProgress& progress, const Optimizer* opt, const Model* reference) {
  PhaseScope phase(Phase::checkpoint);
  const std::string dir = checkpoint_dir(ctx.run.config);
  if (ctx.run.world.rank() == 0) fs::create_directories(dir);
  ctx.run.world.barrier();
  const std::string name = checkpoint_file_name(ctx.state.global_step);
  const std::string path = (fs::path(dir) / name).string();
  auto t0 = std::chrono::steady_clock::now();
  CheckpointWriter w(path, ctx.run.world, checkpoint_io_options(ctx.run.config.checkpoint));
  write_training_tensors(w, *ctx.policy.model, opt, reference, ctx.run.world);
  nlohmann::json state = {
      {"version", R1_VERSION},
      {"stage_index", progress.stage_index},
      {"stage_name", progress.stage_index < int64_t(ctx.run.config.stages.size())
                         ? ctx.run.config.stages[size_t(progress.stage_index)].display_name()
                         : std::string("(finished)")},
      {"completed_steps", progress.completed_steps},
      {"data_cursor", {{"epoch", progress.cursor.epoch}, {"position", progress.cursor.position}}},
      {"stage_state", ctx.state.stage.to_json()},
      {"global_step", ctx.state.global_step},
      {"optimizer_steps", opt ? opt->steps_taken() : 0},
      {"has_optimizer", opt != nullptr},
      {"has_reference", reference != nullptr},
      {"model_name", ctx.policy.model_name},
      {"previous_sft_path", ctx.state.previous_sft_path},
      {"rng", {{"seed", ctx.run.config.seed}, {"streams", "counter-based Philox keyed by (seed, stage, step, prompt, sample)"}}},
      {"ranks", ctx.run.world.size()}};
  nlohmann::json evals = nlohmann::json::array();
  for (auto& e : ctx.state.eval_results) evals.push_back(eval_to_json(e));
  state["eval_results"] = evals;
  ModelConfig mc = ctx.policy.model->config();
  w.write_string("/state/json", state.dump(2));
  w.write_string("/state/model_config", write_config(mc));
  w.write_string("/state/config", ctx.run.resolved_yaml);
  w.set_attribute("/", "program_version", R1_VERSION);
  // Bookkeeping outside the state proper: metrics.jsonl holds wall-clock rates, so its length at this
  // moment differs between runs; a restart truncates the log to it.
  w.set_attribute("/state", "metrics_bytes", std::to_string(ctx.run.world.rank() == 0 ? file_size_or_zero(ctx.run.metrics_path) : 0));
  w.commit();
  if (ctx.run.world.rank() == 0) {
    commit_latest(dir, name);
    prune_checkpoints(dir, ctx.run.config.checkpoint.keep);
  }
  ctx.run.world.barrier();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_info("checkpoint: ", path, " (stage ", progress.stage_index + 1, ", step ", progress.completed_steps, ", ",
           format_duration(s), ")");
}

std::optional<ResumePoint> find_resume_point(const RunContext& ctx) {
  const std::string dir = checkpoint_dir(ctx.run.config);
  bool exists = fs::exists(dir);
  if (!ctx.run.world.allreduce(int64_t(exists), ReduceOp::min)) return std::nullopt;
  auto found = find_newest_valid_checkpoint(dir, ctx.run.world, checkpoint_io_options(ctx.run.config.checkpoint),
                                            [](const std::string& line) { log_info("restart: ", line); });
  if (!found) return std::nullopt;
  ResumePoint r;
  r.path = *found;
  r.reader = std::make_shared<CheckpointReader>(r.path, ctx.run.world, checkpoint_io_options(ctx.run.config.checkpoint));
  nlohmann::json st = nlohmann::json::parse(r.reader->read_string("/state/json"));
  r.progress.stage_index = st.at("stage_index");
  r.progress.completed_steps = st.at("completed_steps");
  r.progress.cursor = {st.at("data_cursor").at("epoch"), st.at("data_cursor").at("position")};
  r.stage_state = StageState::from_json(st.at("stage_state"), r.path);
  r.global_step = st.at("global_step");
  r.optimizer_steps = st.at("optimizer_steps");
  r.has_optimizer = st.at("has_optimizer");
  r.has_reference = st.at("has_reference");
  r.model_name = st.at("model_name");
  r.metrics_bytes = std::stoll(r.reader->attribute("/state", "metrics_bytes").value_or("0"));
  r.config_yaml = r.reader->read_string("/state/config");
  read_config(ConfigSource{r.path + ":/state/model_config", r.reader->read_string("/state/model_config"), {}}, r.model_config);
  return r;
}

void load_model_weights(const ResumePoint& r, Model& model, const Comm& comm) { read_model_tensors(*r.reader, model, comm); }

void load_optimizer_state(const ResumePoint& r, Optimizer& opt, const ParamStore& store, const Comm& comm) {
  R1_CHECK(r.has_optimizer, "checkpoint ", r.path, " holds no optimizer state");
  read_optimizer_tensors(*r.reader, opt, store, r.optimizer_steps, comm);
}

std::unique_ptr<Model> load_reference_model(const ResumePoint& r, const Model& like, const Comm& comm) {
  return read_reference_model(*r.reader, like, comm);
}

ResumePoint* resume_for_current_stage(RunContext& ctx) {
  if (!ctx.state.resume || ctx.state.resume->progress.stage_index != ctx.state.stage_index || ctx.state.resume->progress.completed_steps == 0)
    return nullptr;
  return ctx.state.resume.get();
}

void finish_resume(RunContext& ctx) { ctx.state.resume.reset(); }

void restore_recipe_state(RunContext& ctx, const ResumePoint& r) {
  load_model_weights(r, *ctx.policy.model, ctx.run.world);
  ctx.state.global_step = r.global_step;
  ctx.policy.model_name = r.model_name;
  ctx.state.stage = r.stage_state;
  nlohmann::json st = nlohmann::json::parse(r.reader->read_string("/state/json"));
  ctx.state.previous_sft_path = st.value("previous_sft_path", "");
  for (auto& e : st.at("eval_results"))
    ctx.state.eval_results.push_back(EvalResult{e.at("stage"), e.at("model"), e.at("step"), e.at("prompts"), e.at("k"),
                                                e.at("pass_at_1"), e.at("cons_at_k"), e.at("format_rate"), e.at("length"),
                                                e.value("pass_at", std::vector<double>{}),  // absent before issue 23
                                                e.value("maj_at", std::vector<double>{})});
}

ModelConfig validate_resume(const Run& run, const ResumePoint& r, const ModelConfig& policy, int64_t tokenizer_vocab) {
  // The model the checkpoint holds must be the one the config describes (the policy, or the student
  // of the distill stage that produced it): otherwise fail before any work.
  const RunConfig& c = run.config;
  ModelConfig expected = policy;
  if (r.model_name == "student")
    for (int64_t i = std::min<int64_t>(r.progress.stage_index, int64_t(c.stages.size()) - 1); i >= 0; --i)
      if (c.stages[size_t(i)].kind == StageKind::distill) {
        expected = c.stages[size_t(i)].distill.student;
        if (expected.vocab_size == 0) expected.vocab_size = tokenizer_vocab;
        break;
      }
  require_checkpoint_model(*r.reader, expected, [&](size_t n) {
    return r.path + ": the checkpoint's model does not match " + run.config_file + " (" + std::to_string(n) +
           " tensors differ); use another run_dir or the matching config:";
  });
  auto changes = changed_config_lines(run.resolved_yaml, r.config_yaml);
  if (!changes.empty()) {
    std::string list;
    for (size_t i = 0; i < changes.size() && i < 8; ++i) list += "\n  " + changes[i];
    log_info("restart: the config differs from the checkpoint's in ", changes.size(), " line(s):", list);
  }
  return expected;
}

void validate_init_checkpoint(const Run& run, const ModelConfig& policy) {
  CheckpointReader init_reader(run.config.init.checkpoint, run.world);
  require_checkpoint_model(init_reader, policy, [&](size_t n) {
    return run.config.init.checkpoint + ": init.checkpoint does not match model in " + run.config_file + " (" +
           std::to_string(n) + " tensors differ):";
  });
}

void checkpoint_after_step(RunContext& ctx, const StageConfig& stage, const StageProgress& progress,
                           const Optimizer* opt, const Model* reference) {
  const bool stop = stop_requested(ctx.run.world);
  const int64_t every = ctx.run.config.checkpoint.every;
  const bool due = every > 0 && progress.completed_steps % every == 0 && progress.completed_steps < stage.steps;
  if (!stop && !due) return;
  save_run_checkpoint(ctx, progress, opt, reference);
  if (stop) {
    log_info("stop signal: checkpoint written, exiting with code ", kRequeueExitCode, " (requeue)");
    throw StopRequested();
  }
}

}  // namespace r1
