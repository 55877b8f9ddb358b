// The accuracy reward (see accuracy_reward.hpp).
#include "rl/rewards/accuracy_reward.hpp"

#include "rl/rewards/answer_extraction.hpp"
#include "rl/rewards/math_equivalence.hpp"

namespace r1::rewards {

double AccuracyReward::score(const Sample& sample) const {
  std::optional<std::string> predicted = extract_answer(sample.response);
  if (!predicted) return 0.0;
  return answers_equivalent(*predicted, extract_gold_answer(sample.gold)) ? 1.0 : 0.0;
}

}  // namespace r1::rewards
