// The eval stage (and `r1 eval`): k completions per held-out prompt; pass@1 averaged over the k
// samples, the unbiased pass@k and maj@k (majority vote of the first k samples) for every k up to
// the samples (eval_metrics.hpp), cons@k (majority vote over all k extracted answers, equivalent
// answers voting together), format rate and mean completion length, reduced over the data-parallel
// ranks.
#pragma once
#include <string>
#include <vector>

#include "rl/data/example.hpp"
#include "rl/run_context.hpp"

namespace r1 {

// dp: the data-parallel ranks sharing the prompts; grid: the pipeline the generation runs through (may be null).
EvalResult evaluate(const Model& model, const Tokenizer& tok, const Comm& dp, const std::vector<Example>& prompts,
                    const EvalConfig& eval, uint64_t stream_seed, const ParallelGrid* grid = nullptr);
EvalResult run_eval_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts);
std::string format_eval_table(const std::vector<EvalResult>& rows);
// eval/pass@k (k >= 2) and eval/maj@k (every k) of `r` into a metrics record.
void add_pass_and_majority(nlohmann::json& rec, const EvalResult& r);

}  // namespace r1
