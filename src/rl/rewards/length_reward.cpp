// DAPO's soft overlong punishment (see length_reward.hpp).
#include "rl/rewards/length_reward.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace r1::rewards {

double overlong_penalty(int64_t response_tokens, int64_t max_response_tokens, int64_t overlong_buffer,
                        bool truncated) {
  R1_CHECK(max_response_tokens > 0, "length reward needs max_response_tokens > 0, got ", max_response_tokens);
  R1_CHECK(overlong_buffer >= 0, "overlong_buffer must be >= 0, got ", overlong_buffer);
  if (truncated || response_tokens > max_response_tokens) return -1.0;
  int64_t buffer = std::min(overlong_buffer, max_response_tokens);
  int64_t threshold = max_response_tokens - buffer;
  if (response_tokens <= threshold) return 0.0;
  return double(threshold - response_tokens) / double(buffer);
}

double LengthReward::score(const Sample& sample) const {
  return overlong_penalty(sample.response_tokens, sample.max_response_tokens, overlong_buffer_, sample.truncated);
}

}  // namespace r1::rewards
