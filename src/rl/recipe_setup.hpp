// Recipe set-up shared by `r1 run` and `r1 bench train`: the run's tokenizer (trained on the synthetic
// corpus or loaded, with r1's special tokens) and each stage's dataset.
#pragma once
#include <vector>

#include "io/tokenizer/tokenizer.hpp"
#include "rl/data/example.hpp"
#include "rl/run_context.hpp"

namespace r1 {

Tokenizer build_tokenizer(const RunConfig& c);
std::vector<Example> stage_dataset(const RunContext& ctx, const StageConfig& s);

}  // namespace r1
