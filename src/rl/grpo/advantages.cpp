// Group-normalised advantages.
#include "rl/grpo/advantages.hpp"

#include <cmath>
#include <cstdint>

#include "core/error.hpp"

namespace r1 {

GroupAdvantages group_advantages(const std::vector<double>& rewards, int64_t group_size, bool scale_by_std, double eps) {
  R1_CHECK(group_size > 0 && rewards.size() % size_t(group_size) == 0, "group_advantages: ", rewards.size(),
           " rewards in groups of ", group_size);
  GroupAdvantages out;
  out.advantage.resize(rewards.size());
  out.zero_std_group.resize(rewards.size());
  for (size_t g = 0; g < rewards.size(); g += size_t(group_size)) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < group_size; ++i) mean += rewards[g + size_t(i)];
    mean /= double(group_size);
    for (int64_t i = 0; i < group_size; ++i) var += (rewards[g + size_t(i)] - mean) * (rewards[g + size_t(i)] - mean);
    double std = std::sqrt(var / double(group_size));
    bool all_equal = true;
    for (int64_t i = 1; i < group_size; ++i) all_equal &= rewards[g + size_t(i)] == rewards[g];
    for (int64_t i = 0; i < group_size; ++i) {
      double a = all_equal ? 0.0 : rewards[g + size_t(i)] - mean;  // equal rewards carry no signal
      out.advantage[g + size_t(i)] = scale_by_std && !all_equal ? a / (std + eps) : a;
      out.zero_std_group[g + size_t(i)] = all_equal;
    }
  }
  return out;
}

}  // namespace r1
