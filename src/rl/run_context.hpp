// RunContext: what every stage of a recipe shares, in three parts —
//   Run          what the run is: the resolved config, the ranks and their grid, the device, the
//                metrics log; fixed once the run has started.
//   Policy       the model being trained (a distilled student replaces it) and its tokenizer and
//                prompt template: how text becomes the model's tokens.
//   RecipeState  where the recipe stands and what earlier stages left for later ones (saved in
//                checkpoints by rl/run_checkpoint; the running stage's own part is typed per stage).
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/metrics.hpp"
#include "engine/update_step.hpp"
#include "io/tokenizer/tokenizer.hpp"
#include "model/model.hpp"
#include "parallel/comm.hpp"
#include "parallel/parallel_grid.hpp"
#include "rl/data/example.hpp"
#include "rl/eval_result.hpp"
#include "rl/prompt_template.hpp"
#include "rl/run_config.hpp"

namespace r1 {

struct Run {
  Run(const RunConfig& run_config, std::string file, Comm world_comm, Comm dp_comm)
      : config(run_config), config_file(std::move(file)), world(std::move(world_comm)), dp(std::move(dp_comm)) {}
  const RunConfig& config;
  std::string config_file;             // for messages
  Comm world;                          // every rank of the job
  Comm dp;                             // this pipeline stage's data-parallel ranks (grid->dp())
  std::shared_ptr<ParallelGrid> grid;  // the rank grid and its communicators
  DType dtype = DType::f32;
  Device device = Device::host;
  std::string resolved_yaml;           // the run's resolved config (saved in checkpoints)
  std::string metrics_path;
  MetricsLog metrics;
};

struct Policy {
  explicit Policy(Tokenizer tok) : tokenizer(std::move(tok)) {}
  Tokenizer tokenizer;
  PromptTemplate prompt_template;      // how questions become prompts (rl/prompt_template.hpp)
  std::unique_ptr<Model> model;
  std::string model_name = "policy";   // "policy", or "student" after a distill stage
};

// The running stage's restart state, one part per stage kind that has one (saved as the checkpoint's
// /state/json "stage_state" object with the same keys as before: "dataset", "traces", "phase").
enum class DistillPhase { teacher_traces, student_pretrain, sft };
struct RejectionStageState {
  std::string dataset;  // the SFT file the stage wrote
};
struct DistillStageState {
  std::string traces;   // the file holding the teacher's accepted traces
  DistillPhase phase = DistillPhase::teacher_traces;
};
struct StageState {
  RejectionStageState rejection;
  DistillStageState distill;
  nlohmann::json to_json() const;
  // `where` names the checkpoint in errors.
  static StageState from_json(const nlohmann::json& j, const std::string& where);
};

struct RecipeState {
  int64_t global_step = 0;                  // optimizer steps over the whole recipe
  int64_t stage_index = 0;                  // the stage running now
  std::vector<Example> previous_sft;        // written by rejection_sample / distill, read by sft (data.source: previous)
  std::string previous_sft_path;            // the file holding it (reloaded on restart)
  std::vector<EvalResult> eval_results;
  StageState stage;                         // the running stage's own restart state
  std::shared_ptr<struct ResumePoint> resume;  // set at start-up when resuming; taken by the stage it names
};

struct RunContext {
  RunContext(const RunConfig& run_config, std::string file, Comm world_comm, Comm dp_comm, Tokenizer tok)
      : run(run_config, std::move(file), std::move(world_comm), std::move(dp_comm)), policy(std::move(tok)) {}
  Run run;
  Policy policy;
  RecipeState state;
  // The policy's updates through the engine (engine/update_step.hpp).
  UpdateTarget update_target() { return {*policy.model, *run.grid, run.config.parallel.bucket_mb}; }
};

}  // namespace r1
