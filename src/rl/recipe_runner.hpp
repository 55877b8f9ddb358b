// The recipe runner: prepares the run directory, the tokenizer and the model, then runs the
// configured stages in order; each stage starts from the previous stage's final weights.
#pragma once
#include <memory>
#include <string>

#include "model/model.hpp"

#include "parallel/comm.hpp"
#include "rl/run_config.hpp"

namespace r1 {

struct RecipeInputs {
  RunConfig config;
  std::string config_file;    // path shown in messages
  std::string resolved_yaml;  // the config as resolved (saved to run_dir/config.yaml)
  std::string stop_after;     // stage name or index: finish that stage (checkpoint written), then return
};

struct RecipeResult {
  std::unique_ptr<Model> model;  // the final policy
  int64_t optimizer_steps = 0;
};

// Runs the whole recipe on `world`. Bad input throws InputError before any output is written.
RecipeResult run_recipe(const RecipeInputs& inputs, const Comm& world);

}  // namespace r1
