// Evaluation metrics over one prompt's n samples: the unbiased pass@k estimator (Chen et al. 2021,
// "Evaluating Large Language Models Trained on Code": 1 - C(n - c, k) / C(n, k) for c correct of n,
// the chance that k samples drawn without replacement hold a correct one) and the majority vote over
// extracted answers (equivalent answers vote together; ties: the first seen) behind cons@k and maj@k.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rl/rollout/rollout_scoring.hpp"

namespace r1 {

// 1 - C(n - c, k) / C(n, k) as the product prod_{i = n - c + 1}^{n} (1 - k / i) (no large binomials);
// requires 0 <= c <= n and 1 <= k <= n.
double pass_at_k(int64_t n, int64_t c, int64_t k);

// The majority answer among the first `k` samples of `group` (all when k exceeds the group).
std::optional<std::string> majority_answer(const std::vector<ScoredRollout>& group, size_t k);

}  // namespace r1
