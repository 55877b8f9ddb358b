// Group-relative advantages: each prompt's G completions are compared with each other,
// A_i = (r_i - mean(r)) / (std(r) + eps) (or without the std division, as Dr. GRPO recommends).
#pragma once
#include <cstdint>
#include <vector>

namespace r1 {

struct GroupAdvantages {
  std::vector<double> advantage;     // per completion, in input order
  std::vector<bool> zero_std_group;  // per completion: its group's rewards are all equal
};

// rewards: groups of `group_size` consecutive completions. std is the population std (as in the
// GRPO papers' reference code, torch.std(unbiased=False) — TRL uses the unbiased one; document yours).
GroupAdvantages group_advantages(const std::vector<double>& rewards, int64_t group_size, bool scale_by_std,
                                 double eps = 1e-6);

}  // namespace r1
