// The accuracy reward: 1 when the final answer extracted from the response is equivalent to the
// reference answer, else 0 (also 0 when the response has no extractable answer).
#pragma once
#include "rl/rewards/reward.hpp"

namespace r1::rewards {

class AccuracyReward final : public Reward {
 public:
  double score(const Sample& sample) const override;
};

}  // namespace r1::rewards
