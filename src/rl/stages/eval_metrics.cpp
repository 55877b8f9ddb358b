// pass@k and the majority vote.
#include "rl/stages/eval_metrics.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "rl/rewards/math_equivalence.hpp"

namespace r1 {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  R1_CHECK(n >= 1 && c >= 0 && c <= n && k >= 1 && k <= n, "pass_at_k: n ", n, ", c ", c, ", k ", k);
  if (n - c < k) return 1.0;  // every draw of k holds a correct sample
  double none = 1.0;          // C(n - c, k) / C(n, k)
  for (int64_t i = n - c + 1; i <= n; ++i) none *= 1.0 - double(k) / double(i);
  return 1.0 - none;
}

std::optional<std::string> majority_answer(const std::vector<ScoredRollout>& group, size_t k) {
  std::vector<std::pair<std::string, int>> votes;
  for (size_t i = 0; i < std::min(k, group.size()); ++i) {
    const ScoredRollout& s = group[i];
    if (!s.answer) continue;
    bool placed = false;
    for (auto& [ans, n] : votes)
      if (rewards::answers_equivalent(*s.answer, ans)) {
        ++n;
        placed = true;
        break;
      }
    if (!placed) votes.push_back({*s.answer, 1});
  }
  if (votes.empty()) return std::nullopt;
  size_t best = 0;
  for (size_t i = 1; i < votes.size(); ++i)
    if (votes[i].second > votes[best].second) best = i;
  return votes[best].first;
}

}  // namespace r1
