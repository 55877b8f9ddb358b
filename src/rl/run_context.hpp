// RunContext: what every stage of a recipe shares — the resolved config, the data-parallel
// communicator, the tokenizer, the current policy model and the metrics log.
#pragma once
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>
#include <vector>
#include <string>

#include "io/tokenizer/tokenizer.hpp"
#include "model/model.hpp"
#include "parallel/comm.hpp"
#include "parallel/parallel_grid.hpp"
#include "rl/data/example.hpp"
#include "rl/eval_result.hpp"
#include "rl/metrics.hpp"
#include "rl/prompt_template.hpp"
#include "rl/run_config.hpp"

namespace r1 {

struct RunContext {
  // The shared start of every run; the model, grid and stage state are filled in as the run goes.
  RunContext(const RunConfig& run_config, std::string file, Comm world_comm, Comm dp_comm, Tokenizer tok)
      : config(run_config),
        config_file(std::move(file)),
        world(std::move(world_comm)),
        dp(std::move(dp_comm)),
        tokenizer(std::move(tok)) {}

  const RunConfig& config;
  std::string config_file;   // for messages
  Comm world;                // every rank of the job
  Comm dp;                   // this pipeline stage's data-parallel ranks (grid->dp())
  Tokenizer tokenizer;
  PromptTemplate prompt_template;  // how questions become prompts (template, rl/prompt_template.hpp)
  std::unique_ptr<Model> model;
  MetricsLog metrics;
  std::shared_ptr<ParallelGrid> grid;  // the rank grid and its communicators
  int64_t global_step = 0;   // optimizer steps over the whole recipe
  std::string model_name = "policy";        // "policy", or "student" after a distill stage
  std::vector<Example> previous_sft;        // written by rejection_sample / distill, read by sft (data.source: previous)
  std::string previous_sft_path;            // the file holding it (reloaded on restart)
  std::vector<EvalResult> eval_results;
  std::string resolved_yaml;                // the run's resolved config (saved in checkpoints)
  std::string metrics_path;
  int64_t stage_index = 0;                  // the stage running now
  nlohmann::json stage_state = nlohmann::json::object();  // the running stage's own restart state
  std::shared_ptr<struct ResumePoint> resume;  // set at start-up when resuming; taken by the stage it names
  DType dtype = DType::f32;
  Device device = Device::host;
};

}  // namespace r1
