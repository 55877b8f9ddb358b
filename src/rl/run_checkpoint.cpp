// Run checkpoints: save, find, load.
#include "rl/run_checkpoint.hpp"

#include <filesystem>

#include "core/config_yaml.hpp"
#include "core/log.hpp"
#include "io/checkpoint/checkpoint_folder.hpp"
#include "io/checkpoint/model_tensors.hpp"
#include "rl/model_copy.hpp"
#include "rl/stop_signal.hpp"
#include "rl/phase_clock.hpp"

namespace fs = std::filesystem;

namespace r1 {

CheckpointIoOptions checkpoint_io_options(const CheckpointConfig& c) {
  CheckpointIoOptions o;
  o.alignment = c.alignment;
  o.chunk_bytes = c.chunk_bytes;
  o.collective = c.collective;
  o.file_locking = c.file_locking;
  o.transport = c.transport;
  for (const std::string& h : c.mpi_hints) o.mpi_hints[h.substr(0, h.find('='))] = h.substr(h.find('=') + 1);
  return o;
}

std::string checkpoint_dir(const RunConfig& c) {
  return c.checkpoint.dir.empty() ? (fs::path(c.run_dir) / "checkpoints").string() : c.checkpoint.dir;
}

namespace {
nlohmann::json eval_to_json(const EvalResult& e) {
  return {{"stage", e.stage}, {"model", e.model}, {"step", e.step}, {"prompts", e.prompts}, {"k", e.k},
          {"pass_at_1", e.pass_at_1}, {"cons_at_k", e.cons_at_k}, {"format_rate", e.format_rate}, {"length", e.length}};
}

int64_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  return ec ? 0 : int64_t(n);
}
}  // namespace

void save_run_checkpoint(RunContext& ctx, const StageProgress& progress, const Optimizer* opt, const Model* reference) {
  PhaseScope phase(Phase::checkpoint);
  const std::string dir = checkpoint_dir(ctx.config);
  if (ctx.world.rank() == 0) fs::create_directories(dir);
  ctx.world.barrier();
  const std::string name = checkpoint_file_name(ctx.global_step);
  const std::string path = (fs::path(dir) / name).string();
  auto t0 = std::chrono::steady_clock::now();
  CheckpointWriter w(path, ctx.world, checkpoint_io_options(ctx.config.checkpoint));
  const ParamStore& store = ctx.model->params();
  write_param_tensors(w, store, store.flat_values(), "model", ctx.world);
  if (opt) {
    write_param_tensors(w, store, const_cast<Optimizer*>(opt)->first_moment(), "optim/m", ctx.world);
    write_param_tensors(w, store, const_cast<Optimizer*>(opt)->second_moment(), "optim/v", ctx.world);
  }
  if (reference) write_param_tensors(w, reference->params(), reference->params().flat_values(), "ref", ctx.world);
  nlohmann::json state = {
      {"version", R1_VERSION},
      {"stage_index", progress.stage_index},
      {"stage_name", progress.stage_index < int64_t(ctx.config.stages.size())
                         ? ctx.config.stages[size_t(progress.stage_index)].display_name()
                         : std::string("(finished)")},
      {"completed_steps", progress.completed_steps},
      {"data_cursor", {{"epoch", progress.cursor.epoch}, {"position", progress.cursor.position}}},
      {"stage_state", ctx.stage_state},
      {"global_step", ctx.global_step},
      {"optimizer_steps", opt ? opt->steps_taken() : 0},
      {"has_optimizer", opt != nullptr},
      {"has_reference", reference != nullptr},
      {"model_name", ctx.model_name},
      {"previous_sft_path", ctx.previous_sft_path},
      {"rng", {{"seed", ctx.config.seed}, {"streams", "counter-based Philox keyed by (seed, stage, step, prompt, sample)"}}},
      {"ranks", ctx.world.size()}};
  nlohmann::json evals = nlohmann::json::array();
  for (auto& e : ctx.eval_results) evals.push_back(eval_to_json(e));
  state["eval_results"] = evals;
  ModelConfig mc = ctx.model->config();
  w.write_string("/state/json", state.dump(2));
  w.write_string("/state/model_config", write_config(mc));
  w.write_string("/state/config", ctx.resolved_yaml);
  w.set_attribute("/", "program_version", R1_VERSION);
  // Bookkeeping outside the state proper: metrics.jsonl holds wall-clock rates, so its length at this
  // moment differs between runs; a restart truncates the log to it.
  w.set_attribute("/state", "metrics_bytes", std::to_string(ctx.world.rank() == 0 ? file_size_or_zero(ctx.metrics_path) : 0));
  w.commit();
  if (ctx.world.rank() == 0) {
    commit_latest(dir, name);
    prune_checkpoints(dir, ctx.config.checkpoint.keep);
  }
  ctx.world.barrier();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_info("checkpoint: ", path, " (stage ", progress.stage_index + 1, ", step ", progress.completed_steps, ", ",
           format_duration(s), ")");
}

std::optional<ResumePoint> find_resume_point(const RunContext& ctx) {
  const std::string dir = checkpoint_dir(ctx.config);
  bool exists = fs::exists(dir);
  if (!ctx.world.allreduce(int64_t(exists), ReduceOp::min)) return std::nullopt;
  auto found = find_newest_valid_checkpoint(dir, ctx.world, checkpoint_io_options(ctx.config.checkpoint),
                                            [](const std::string& line) { log_info("restart: ", line); });
  if (!found) return std::nullopt;
  ResumePoint r;
  r.path = *found;
  r.reader = std::make_shared<CheckpointReader>(r.path, ctx.world, checkpoint_io_options(ctx.config.checkpoint));
  nlohmann::json st = nlohmann::json::parse(r.reader->read_string("/state/json"));
  r.progress.stage_index = st.at("stage_index");
  r.progress.completed_steps = st.at("completed_steps");
  r.progress.cursor = {st.at("data_cursor").at("epoch"), st.at("data_cursor").at("position")};
  r.stage_state = st.at("stage_state");
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

void load_model_weights(const ResumePoint& r, Model& model, const Comm& comm) {
  read_param_tensors(*r.reader, model.params(), model.params().flat_values(), "model", comm);
  model.params().refresh_weights();
}

void load_optimizer_state(const ResumePoint& r, Optimizer& opt, const ParamStore& store, const Comm& comm) {
  R1_CHECK(r.has_optimizer, "checkpoint ", r.path, " holds no optimizer state");
  read_param_tensors(*r.reader, store, opt.first_moment(), "optim/m", comm);
  read_param_tensors(*r.reader, store, opt.second_moment(), "optim/v", comm);
  opt.set_steps_taken(r.optimizer_steps);
}

std::unique_ptr<Model> load_reference_model(const ResumePoint& r, const Model& like, const Comm& comm) {
  auto ref = std::make_unique<Model>(like.config(), like.dtype(), like.device(), like.shard(), like.expert_comm());
  read_param_tensors(*r.reader, ref->params(), ref->params().flat_values(), "ref", comm);
  ref->params().refresh_weights();
  return ref;
}

ResumePoint* resume_for_current_stage(RunContext& ctx) {
  if (!ctx.resume || ctx.resume->progress.stage_index != ctx.stage_index || ctx.resume->progress.completed_steps == 0)
    return nullptr;
  return ctx.resume.get();
}

void finish_resume(RunContext& ctx) { ctx.resume.reset(); }

void checkpoint_after_step(RunContext& ctx, const StageConfig& stage, const StageProgress& progress,
                           const Optimizer* opt, const Model* reference) {
  const bool stop = stop_requested(ctx.world);
  const int64_t every = ctx.config.checkpoint.every;
  const bool due = every > 0 && progress.completed_steps % every == 0 && progress.completed_steps < stage.steps;
  if (!stop && !due) return;
  save_run_checkpoint(ctx, progress, opt, reference);
  if (stop) {
    log_info("stop signal: checkpoint written, exiting with code ", kRequeueExitCode, " (requeue)");
    throw StopRequested();
  }
}

}  // namespace r1
