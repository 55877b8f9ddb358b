// DAPO's soft overlong punishment (Yu et al. 2025, eq. 13). With L = response tokens, L_max =
// max_response_tokens and L_cache = overlong_buffer:
//   0                              when L <= L_max − L_cache
//   (L_max − L_cache − L) / L_cache when L_max − L_cache < L <= L_max (linear from 0 down to −1)
//   −1                             when L > L_max or the response was truncated.
#pragma once
#include <cstdint>

#include "rl/rewards/reward.hpp"

namespace r1::rewards {

double overlong_penalty(int64_t response_tokens, int64_t max_response_tokens, int64_t overlong_buffer,
                        bool truncated);

class LengthReward final : public Reward {
 public:
  explicit LengthReward(int64_t overlong_buffer) : overlong_buffer_(overlong_buffer) {}
  double score(const Sample& sample) const override;

 private:
  int64_t overlong_buffer_;
};

}  // namespace r1::rewards
