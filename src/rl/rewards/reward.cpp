// RewardSpec schema and the weighted sum of rewards (see reward.hpp).
#include "rl/rewards/reward.hpp"

namespace r1::rewards {

void RewardSpec::visit(ConfigVisitor& v) {
  v.choice("name", name, reward_names(), "reward function");
  v.field("weight", weight, "weight of this reward in the sum");
  v.field("overlong_buffer", overlong_buffer, "length: soft-penalty window before max_response_tokens (tokens)",
          at_least(0));
  v.choice("language", language, reward_languages(), "language: target language of the reasoning");
}

WeightedRewards::WeightedRewards(const std::vector<RewardSpec>& specs) : specs_(specs) {
  for (const RewardSpec& spec : specs_) rewards_.push_back(make_reward(spec));
}

double WeightedRewards::score(const Sample& sample, std::vector<double>* parts) const {
  double total = 0;
  if (parts) parts->assign(rewards_.size(), 0.0);
  for (size_t i = 0; i < rewards_.size(); ++i) {
    double value = rewards_[i]->score(sample);
    if (parts) (*parts)[i] = value;
    total += specs_[i].weight * value;
  }
  return total;
}

}  // namespace r1::rewards
