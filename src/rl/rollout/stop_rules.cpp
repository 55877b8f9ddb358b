// StopRules: end of sequence, stop strings, length.
#include "rl/rollout/stop_rules.hpp"

#include <algorithm>

namespace r1 {

StopRules::StopRules(const Tokenizer& tokenizer, const SamplingConfig& sampling) : tokenizer_(tokenizer), sampling_(sampling) {
  for (const std::string& s : sampling.stop) longest_stop_ = std::max(longest_stop_, s.size());
}

bool StopRules::ends_with_stop_string(const std::vector<int32_t>& generated) const {
  if (sampling_.stop.empty()) return false;
  // Decode enough trailing tokens to cover the longest stop string (each token is >= 1 byte).
  const size_t take = std::min(generated.size(), longest_stop_ + 2);
  const std::string tail = tokenizer_.decode(generated.data() + (generated.size() - take), take);
  for (const std::string& s : sampling_.stop)
    if (!s.empty() && tail.find(s) != std::string::npos) return true;
  return false;
}

std::optional<StopReason> StopRules::check(const std::vector<int32_t>& generated) const {
  if (!sampling_.ignore_eos && tokenizer_.is_stop(generated.back())) return StopReason::end_of_sequence;
  if (ends_with_stop_string(generated)) return StopReason::stop_string;
  if (int64_t(generated.size()) >= sampling_.max_new_tokens) return StopReason::max_tokens;
  return std::nullopt;
}

}  // namespace r1
