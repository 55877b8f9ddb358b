// Evaluation: pass@1 over k samples, pass@k (unbiased) and maj@k for every k up to the samples,
// cons@k, format rate, length.
#include "rl/stages/eval_stage.hpp"

#include <cstdio>
#include <sstream>

#include "core/log.hpp"
#include "core/rng.hpp"
#include "rl/rewards/math_equivalence.hpp"
#include "engine/metric_sums.hpp"
#include "rl/rollout/sampling_service.hpp"
#include "rl/stages/eval_metrics.hpp"

namespace r1 {


EvalResult evaluate(const Model& model, const Tokenizer& tok, const Comm& dp, const std::vector<Example>& prompts,
                    const EvalConfig& eval, uint64_t stream_seed, const ParallelGrid* grid) {
  const size_t n = prompts.size();
  SampleRequest request{eval.samples, &eval.sampling, stream_seed, 0, nullptr, eval.language};
  SampleBatch batch = sample_and_score(model, tok, grid, dp, all_of(prompts), request);
  const int64_t k_max = eval.samples;
  std::vector<std::string> names = {"pass_at_1", "cons", "formatted", "length", "completions"};
  for (int64_t k = 1; k <= k_max; ++k) {
    names.push_back("pass@" + std::to_string(k));
    names.push_back("maj@" + std::to_string(k));
  }
  MetricSums sums(names);
  for (size_t p = 0; p < batch.prompts.size(); ++p) {
    std::vector<ScoredRollout> group(batch.scored.begin() + long(p * size_t(eval.samples)),
                                     batch.scored.begin() + long((p + 1) * size_t(eval.samples)));
    for (const ScoredRollout& s : group) {
      sums["pass_at_1"] += s.correct ? 1.0 / double(eval.samples) : 0.0;
      sums["formatted"] += s.formatted;
      sums["length"] += double(s.tokens);
      sums["completions"] += 1;
    }
    const Example& prompt = *batch.prompts[p];
    if (int64_t(p) < eval.show && dp.rank() == 0 && (!grid || grid->last_stage()))
      log_info("  [", prompt.question, " = ", prompt.gold, "] ", group[0].text, group[0].correct ? "  (correct)" : "");
    auto vote = majority_answer(group, group.size());
    sums["cons"] += vote && rewards::answers_equivalent(*vote, prompt.gold) ? 1.0 : 0.0;
    int64_t correct = 0;
    for (const ScoredRollout& s : group) correct += s.correct;
    for (int64_t k = 1; k <= k_max; ++k) {
      sums["pass@" + std::to_string(k)] += pass_at_k(k_max, correct, k);
      auto vote_k = majority_answer(group, size_t(k));
      sums["maj@" + std::to_string(k)] += vote_k && rewards::answers_equivalent(*vote_k, prompt.gold) ? 1.0 : 0.0;
    }
  }
  sums.allreduce(dp);
  EvalResult r;
  r.prompts = int64_t(n);
  r.k = eval.samples;
  r.pass_at_1 = sums["pass_at_1"] / double(std::max<size_t>(1, n));
  r.cons_at_k = sums["cons"] / double(std::max<size_t>(1, n));
  r.format_rate = sums.mean("formatted", "completions");
  r.length = sums.mean("length", "completions");
  for (int64_t k = 1; k <= k_max; ++k) {
    r.pass_at.push_back(sums["pass@" + std::to_string(k)] / double(std::max<size_t>(1, n)));
    r.maj_at.push_back(sums["maj@" + std::to_string(k)] / double(std::max<size_t>(1, n)));
  }
  return r;
}
void add_pass_and_majority(nlohmann::json& rec, const EvalResult& r) {
  for (size_t i = 0; i < r.pass_at.size(); ++i) {
    const std::string k = std::to_string(i + 1);
    if (i > 0) rec["eval/pass@" + k] = r.pass_at[i];  // eval/pass@1 is the mean over the samples (above)
    rec["eval/maj@" + k] = r.maj_at[i];
  }
}

EvalResult run_eval_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts) {
  const std::string name = stage.display_name();
  uint64_t seed = hash_words({uint64_t(ctx.run.config.seed), hash_string("eval")});  // same samples streams for every eval
  EvalResult r = evaluate(*ctx.policy.model, ctx.policy.tokenizer, ctx.run.dp, prompts, stage.eval, seed, ctx.run.grid.get());
  r.stage = name;
  r.step = ctx.state.global_step;
  r.model = ctx.policy.model_name;
  nlohmann::json rec = {{"stage", name},          {"kind", "eval"},           {"step", ctx.state.global_step},
                        {"model", r.model},        {"eval/pass@1", r.pass_at_1}, {"eval/cons@k", r.cons_at_k},
                        {"eval/k", r.k},           {"eval/format_rate", r.format_rate}, {"eval/length", r.length},
                        {"eval/prompts", r.prompts}};
  add_pass_and_majority(rec, r);
  ctx.run.metrics.write(rec);
  char line[256];
  std::snprintf(line, sizeof line, "%-10s %s: pass@1 %.3f  cons@%lld %.3f  format %.3f  length %.1f  (%lld prompts x %lld)",
                name.c_str(), r.model.c_str(), r.pass_at_1, (long long)r.k, r.cons_at_k, r.format_rate, r.length,
                (long long)r.prompts, (long long)r.k);
  log_info(line);
  ctx.state.eval_results.push_back(r);
  return r;
}

std::string format_eval_table(const std::vector<EvalResult>& rows) {
  std::ostringstream os;
  os << "| stage | model | after step | pass@1 | pass@k | cons@k | k | format rate | mean length |\n";
  os << "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  char buf[512];
  for (auto& r : rows) {
    const double pass_k = r.pass_at.empty() ? r.pass_at_1 : r.pass_at.back();
    std::snprintf(buf, sizeof buf, "| %s | %s | %lld | %.3f | %.3f | %.3f | %lld | %.3f | %.1f |\n", r.stage.c_str(),
                  r.model.c_str(), (long long)r.step, r.pass_at_1, pass_k, r.cons_at_k, (long long)r.k, r.format_rate,
                  r.length);
    os << buf;
  }
  return os.str();
}

}  // namespace r1
