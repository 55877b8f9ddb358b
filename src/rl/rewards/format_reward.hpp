// The format reward: 1 when the response is one <think>...</think> block followed by one
// <answer>...</answer> block, each tag appearing exactly once and nothing but whitespace before,
// between and after the blocks; else 0.
#pragma once
#include <string_view>

#include "rl/rewards/reward.hpp"

namespace r1::rewards {

bool has_think_answer_format(std::string_view response);

class FormatReward final : public Reward {
 public:
  double score(const Sample& sample) const override;
};

}  // namespace r1::rewards
