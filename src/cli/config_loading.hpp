// Loading a run config from a file or an embedded name, applying command-line overrides,
// validating, and rendering the resolved YAML.
#pragma once
#include <string>
#include <vector>

#include "rl/recipe_runner.hpp"

namespace r1::cli {

// `source` is a path to a YAML file, or the name of an embedded config (e.g. "tiny-r1"). The
// environment's R1_* overrides are applied to its runtime: section (and noted at the top of the
// resolved YAML), and that section becomes the process's runtime_settings().
RecipeInputs load_recipe(const std::string& source, const std::vector<std::string>& overrides);
std::string embedded_config_names();  // "tiny-pretrain, tiny-r1, ..."

}  // namespace r1::cli
