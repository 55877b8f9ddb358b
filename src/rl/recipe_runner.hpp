// The recipe runner: prepares the run directory, the tokenizer and the model, then runs the
// configured stages in order; each stage starts from the previous stage's final weights.
#pragma once
#include <string>

#include "parallel/comm.hpp"
#include "rl/run_config.hpp"

namespace r1 {

struct RecipeInputs {
  RunConfig config;
  std::string config_file;    // path shown in messages
  std::string resolved_yaml;  // the config as resolved (saved to run_dir/config.yaml)
};

// Runs the whole recipe on `world`. Bad input throws InputError before any output is written.
void run_recipe(const RecipeInputs& inputs, const Comm& world);

}  // namespace r1
