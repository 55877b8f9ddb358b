// Helpers for MPI suites: the world communicator, a per-test scratch folder agreed by all ranks,
// recipe runs from an inline YAML config, and a tiny DeepSeek-V3-style MoE policy on the host.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "parallel/comm.hpp"
#include "rl/recipe_runner.hpp"
#include "rl/run_context.hpp"

namespace r1::test {

Comm world_comm();
// A fresh folder under the build tree, the same path on every rank.
std::string scratch_dir(const Comm& world, const std::string& name);
RecipeResult run_inline_recipe(const std::string& yaml, const std::vector<std::string>& overrides, const Comm& world);

// A 3-layer DeepSeek-V3-style MoE (MLA, 1 shared + 8 routed experts, top-2, vocabulary 64, router
// bias updates and a sequence balance loss) as model-section YAML.
const char* tiny_moe_model_yaml();
// `rc` (kept by reference: it must outlive the context) on the host over `comm` (data parallel), with
// `tok` and a policy built from rc.model with weights from `seed`.
std::unique_ptr<RunContext> host_run_context(const RunConfig& rc, const Comm& comm, const Tokenizer& tok, uint64_t seed);

}  // namespace r1::test
