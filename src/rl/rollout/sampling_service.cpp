// sample_and_score: share, requests, generation, scoring.
#include "rl/rollout/sampling_service.hpp"

#include <chrono>

#include "core/error.hpp"
#include "rl/data/rank_share.hpp"

namespace r1 {

SampleBatch sample_and_score(const Model& model, const Tokenizer& tokenizer, const ParallelGrid* grid, const Comm& dp,
                             const std::vector<const Example*>& global_prompts, const SampleRequest& request) {
  R1_CHECK(request.sampling && request.per_prompt >= 1, "sample_and_score: no sampling config");
  SampleBatch b;
  b.per_prompt = request.per_prompt;
  b.prompts = rank_share(global_prompts, dp.rank(), dp.size());
  std::vector<RolloutRequest> requests;
  for (const Example* p : b.prompts)
    for (int64_t s = 0; s < request.per_prompt; ++s) requests.push_back({p->id, s, &p->prompt});
  RolloutEngine engine(model, tokenizer, grid);
  b.rollouts = engine.generate(requests, *request.sampling, request.seed, request.step, &b.stats);
  const auto t0 = std::chrono::steady_clock::now();
  b.scored.reserve(b.rollouts.size());
  for (size_t i = 0; i < b.rollouts.size(); ++i)
    b.scored.push_back(score_rollout(tokenizer, b.prompt_of(i), b.rollouts[i], request.rewards, request.language,
                                     request.sampling->max_new_tokens));
  b.scoring_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return b;
}

std::vector<const Example*> all_of(const std::vector<Example>& examples) {
  std::vector<const Example*> out;
  out.reserve(examples.size());
  for (const Example& e : examples) out.push_back(&e);
  return out;
}

}  // namespace r1
