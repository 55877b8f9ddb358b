// The format reward (see format_reward.hpp).
#include "rl/rewards/format_reward.hpp"

#include <array>

#include "rl/rewards/latex_scan.hpp"

namespace r1::rewards {

namespace {

size_t count_occurrences(std::string_view text, std::string_view pattern) {
  size_t count = 0;
  for (size_t pos = text.find(pattern); pos != std::string_view::npos; pos = text.find(pattern, pos + 1)) ++count;
  return count;
}

bool only_whitespace(std::string_view text) { return trim(text).empty(); }

}  // namespace

bool has_think_answer_format(std::string_view response) {
  static constexpr std::array<std::string_view, 4> kTags = {"<think>", "</think>", "<answer>", "</answer>"};
  for (std::string_view tag : kTags)
    if (count_occurrences(response, tag) != 1) return false;
  size_t think_open = response.find(kTags[0]), think_close = response.find(kTags[1]);
  size_t answer_open = response.find(kTags[2]), answer_close = response.find(kTags[3]);
  if (!(think_open < think_close && think_close < answer_open && answer_open < answer_close)) return false;
  return only_whitespace(response.substr(0, think_open)) &&
         only_whitespace(response.substr(think_close + kTags[1].size(), answer_open - think_close - kTags[1].size())) &&
         only_whitespace(response.substr(answer_close + kTags[3].size()));
}

double FormatReward::score(const Sample& sample) const { return has_think_answer_format(sample.response) ? 1.0 : 0.0; }

}  // namespace r1::rewards
