// Rejection sampling.
#include "rl/stages/rejection_stage.hpp"

#include <set>

#include "core/log.hpp"
#include "core/rng.hpp"
#include "rl/data/example_exchange.hpp"
#include "rl/rollout/sampling_service.hpp"
#include "rl/sft_dataset_output.hpp"

namespace r1 {

std::vector<Example> rejection_sample(RunContext& ctx, const Model& model, const std::vector<Example>& prompts,
                                      const RejectionConfig& cfg, uint64_t stream_seed, RejectionStats* stats) {
  SampleRequest request{cfg.samples_per_prompt, &cfg.sampling, stream_seed, 0, nullptr, cfg.language};
  SampleBatch batch = sample_and_score(model, ctx.policy.tokenizer, ctx.run.grid.get(), ctx.run.dp, all_of(prompts), request);
  std::vector<int64_t> counts(8, 0);  // prompts, samples, kept, incorrect, format, language, length, duplicate
  counts[0] = int64_t(batch.prompts.size());
  std::vector<Example> kept;
  std::set<std::vector<int32_t>> seen;  // this prompt's completions so far
  for (size_t i = 0; i < batch.rollouts.size(); ++i) {
    if (i % size_t(cfg.samples_per_prompt) == 0) seen.clear();
    const Rollout& r = batch.rollouts[i];
    const ScoredRollout& sc = batch.scored[i];
    ++counts[1];
    if (cfg.require_correct && !sc.correct) { ++counts[3]; continue; }
    if (cfg.require_format && !sc.formatted) { ++counts[4]; continue; }
    if (sc.language_share < cfg.min_language_share) { ++counts[5]; continue; }
    if (sc.truncated || sc.tokens < cfg.min_response_tokens || sc.tokens > cfg.max_response_tokens) { ++counts[6]; continue; }
    if (cfg.deduplicate && !seen.insert(r.tokens).second) { ++counts[7]; continue; }
    Example x = batch.prompt_of(i);
    x.response = r.tokens;
    if (r.stop != StopReason::end_of_sequence) x.response.push_back(ctx.policy.tokenizer.eos_id());
    kept.push_back(std::move(x));
  }
  ctx.run.dp.allreduce(counts);
  if (stats) *stats = {counts[0], counts[1], 0, counts[3], counts[4], counts[5], counts[6], counts[7]};
  std::vector<Example> all = allgather_examples(ctx.run.dp, kept);
  if (stats) stats->kept = int64_t(all.size());
  return all;
}

void run_rejection_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts) {
  const std::string name = stage.display_name();
  RejectionStats st;
  uint64_t seed = hash_words({uint64_t(ctx.run.config.seed), hash_string(name)});
  ctx.state.previous_sft = rejection_sample(ctx, *ctx.policy.model, prompts, stage.rejection, seed, &st);
  R1_INPUT_CHECK(!ctx.state.previous_sft.empty(), ctx.run.config_file, ": stage '", name, "': no completion passed the filters (",
                 st.samples, " sampled: ", st.rejected_incorrect, " incorrect, ", st.rejected_format, " badly formatted, ",
                 st.rejected_language, " mixed language, ", st.rejected_length, " out of length bounds); train longer "
                 "before this stage or relax stages.", name, ".rejection");
  std::string path = write_sft_dataset(ctx, stage, stage.rejection.output, ctx.state.previous_sft);
  ctx.state.stage.rejection.dataset = path;
  nlohmann::json rec = {{"stage", name},
                        {"kind", "rejection_sample"},
                        {"step", ctx.state.global_step},
                        {"rejection/prompts", st.prompts},
                        {"rejection/samples", st.samples},
                        {"rejection/kept", st.kept},
                        {"rejection/accept_rate", double(st.kept) / double(std::max<int64_t>(1, st.samples))},
                        {"rejection/incorrect", st.rejected_incorrect},
                        {"rejection/format", st.rejected_format},
                        {"rejection/language", st.rejected_language},
                        {"rejection/length", st.rejected_length},
                        {"rejection/duplicate", st.rejected_duplicate},
                        {"rejection/dataset", path}};
  ctx.run.metrics.write(rec);
  log_info(name, ": kept ", st.kept, " of ", st.samples, " completions (", st.rejected_incorrect, " incorrect, ",
           st.rejected_format, " format, ", st.rejected_language, " language, ", st.rejected_length, " length, ",
           st.rejected_duplicate, " duplicates) -> ", path.empty() ? "(in memory)" : path);
}

}  // namespace r1
