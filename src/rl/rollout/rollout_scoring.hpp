// Scoring completions: decode, run the recipe's weighted rewards, and keep what the stages report
// (correctness by the accuracy verifier, format, length).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "io/tokenizer/tokenizer.hpp"
#include "rl/data/example.hpp"
#include "rl/rewards/reward.hpp"
#include "rl/rollout/rollout_engine.hpp"

namespace r1 {

struct ScoredRollout {
  std::string text;           // decoded completion without the end-of-sequence token
  double reward = 0;          // weighted sum
  std::vector<double> parts;  // per reward spec, unweighted
  bool correct = false;       // the accuracy verifier accepts the answer
  bool formatted = false;     // the format reward is 1
  double language_share = 0;  // share of the chain of thought in the target language
  std::optional<std::string> answer;  // extracted answer
  int64_t tokens = 0;         // completion tokens (end-of-sequence included)
  bool truncated = false;
};

// `rewards` may be null (only correctness/format/language are computed then).
ScoredRollout score_rollout(const Tokenizer& tok, const Example& prompt, const Rollout& rollout,
                            const rewards::WeightedRewards* rewards, const std::string& language,
                            int64_t max_new_tokens);

}  // namespace r1
