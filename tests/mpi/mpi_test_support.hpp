// Helpers for MPI suites: the world communicator, a per-test scratch folder agreed by all ranks,
// and recipe runs from an inline YAML config.
#pragma once
#include <string>
#include <vector>

#include "parallel/comm.hpp"
#include "rl/recipe_runner.hpp"

namespace r1::test {

Comm world_comm();
// A fresh folder under the build tree, the same path on every rank.
std::string scratch_dir(const Comm& world, const std::string& name);
RecipeResult run_inline_recipe(const std::string& yaml, const std::vector<std::string>& overrides, const Comm& world);

}  // namespace r1::test
