// The log-sum-exp of one row of logits, in double, in index order: the one reduction behind the host
// LM head's log-probs (lm_head.cpp) and the rollout's log-probs of sampled tokens
// (token_logprobs.cpp), so both give the same bits for the same logits.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace r1::ops::host {

template <class T>
double row_log_sum_exp(const T* z, int64_t vocab) {
  double max_z = -INFINITY;
  for (int64_t v = 0; v < vocab; ++v) max_z = std::max(max_z, double(z[v]));
  double denom = 0;
  for (int64_t v = 0; v < vocab; ++v) denom += std::exp(double(z[v]) - max_z);
  return max_z + std::log(denom);
}

}  // namespace r1::ops::host
