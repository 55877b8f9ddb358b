// Run checkpoints: the whole state of a recipe at a step boundary, in one HDF5 file
// (io/checkpoint/checkpoint_file.hpp) — the current model's weights (/model), AdamW moments (/optim/m,
// /optim/v), a GRPO stage's frozen reference weights (/ref), and /state: the stage index and steps
// done in it, the data cursor, optimizer step count, global step, the current model's config (a
// distilled student replaces the policy), evaluation results so far, the stage's own state (e.g. the
// file holding distillation traces), the length of metrics.jsonl at that moment, the resolved config
// and the program version. Random streams are counter-based from (seed, stage, step, ...), so the
// step is all the RNG state there is. Writing: <dir>/step_<global step>.h5.tmp, commit, then the
// `latest` record; the newest `keep` files are kept.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "io/checkpoint/checkpoint_file.hpp"
#include "rl/data/epoch_sampler.hpp"
#include "engine/optimizer.hpp"
#include "engine/train_checkpoint.hpp"
#include "rl/run_context.hpp"

namespace r1 {

// Where the recipe stands.
struct StageProgress {
  int64_t stage_index = 0;      // the stage to run (steps of it already done below)
  int64_t completed_steps = 0;  // 0 at a stage boundary
  DataCursor cursor;
};

// A checkpoint found at start-up, kept open until the resumed stage has taken what it needs.
struct ResumePoint {
  std::string path;
  StageProgress progress;
  StageState stage_state;
  int64_t global_step = 0, optimizer_steps = 0, metrics_bytes = 0;
  bool has_optimizer = false, has_reference = false;
  std::string model_name;
  ModelConfig model_config;
  std::string config_yaml;
  std::shared_ptr<CheckpointReader> reader;
};

std::string checkpoint_dir(const RunConfig& c);

// Collective. Writes the state at `progress`; `opt` and `reference` may be null.
void save_run_checkpoint(RunContext& ctx, const StageProgress& progress, const Optimizer* opt, const Model* reference);
// Collective. The newest valid checkpoint of the run (corrupt or uncommitted files are skipped with
// a log line naming the file and the reason), or nothing.
std::optional<ResumePoint> find_resume_point(const RunContext& ctx);
// Collective. Loads /model into `model` (InputError listing differing tensors on a shape mismatch).
void load_model_weights(const ResumePoint& r, Model& model, const Comm& comm);
void load_optimizer_state(const ResumePoint& r, Optimizer& opt, const ParamStore& store, const Comm& comm);
std::unique_ptr<Model> load_reference_model(const ResumePoint& r, const Model& like, const Comm& comm);

// Collective. The policy's weights and the recipe's state (global step, model name, the stage's own
// state, evaluation results so far) from the checkpoint.
void restore_recipe_state(RunContext& ctx, const ResumePoint& r);

// Restart validation, before any output is touched. The model config the checkpoint must hold (the
// policy's, or the student's of the distill stage that wrote it), checked against its tensors
// (InputError listing them); a changed config is logged line by line.
ModelConfig validate_resume(const Run& run, const ResumePoint& r, const ModelConfig& policy, int64_t tokenizer_vocab);
// init.checkpoint must hold the policy's tensors (InputError listing those that differ).
void validate_init_checkpoint(const Run& run, const ModelConfig& policy);

// The resume point for the running stage when the run restarts inside it (steps already done);
// the stage restores its sampler/optimizer from it and then calls finish_resume().
ResumePoint* resume_for_current_stage(RunContext& ctx);
void finish_resume(RunContext& ctx);

// Called by stages after each completed step: writes a checkpoint when one is due (every N steps) or
// when a stop was requested, and throws StopRequested after the latter is committed.
void checkpoint_after_step(RunContext& ctx, const StageConfig& stage, const StageProgress& progress,
                           const Optimizer* opt, const Model* reference);

}  // namespace r1
