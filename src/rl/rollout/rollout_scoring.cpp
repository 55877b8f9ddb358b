// Completion scoring.
#include "rl/rollout/rollout_scoring.hpp"

#include "rl/rewards/answer_extraction.hpp"
#include "rl/rewards/math_equivalence.hpp"
#include "engine/phase_clock.hpp"

namespace r1 {

ScoredRollout score_rollout(const Tokenizer& tok, const Example& prompt, const Rollout& rollout,
                            const rewards::WeightedRewards* weighted, const std::string& language,
                            int64_t max_new_tokens) {
  PhaseScope phase(Phase::scoring);
  ScoredRollout s;
  std::vector<int32_t> body = rollout.tokens;
  if (rollout.stop == StopReason::end_of_sequence && !body.empty()) body.pop_back();
  s.text = tok.decode(body);
  s.tokens = int64_t(rollout.tokens.size());
  s.truncated = rollout.truncated();
  rewards::Sample sample;
  sample.prompt = prompt.question;
  sample.response = s.text;
  sample.gold = prompt.gold;
  sample.language = language;
  sample.response_tokens = s.tokens;
  sample.max_response_tokens = max_new_tokens;
  sample.truncated = s.truncated;
  static const rewards::WeightedRewards judges({{"accuracy", 1.0, 0, "en"}, {"format", 1.0, 0, "en"}, {"language", 1.0, 0, "en"}});
  std::vector<double> judged;
  judges.score(sample, &judged);
  s.correct = judged[0] > 0.5;
  s.formatted = judged[1] > 0.5;
  s.language_share = judged[2];
  s.answer = rewards::extract_answer(s.text);
  if (weighted) s.reward = weighted->score(sample, &s.parts);
  return s;
}

}  // namespace r1
