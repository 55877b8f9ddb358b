// Builds packed TokenBatches from Examples: each example is one sequence (prompt + response),
// positions restart at 0, and targets are the next token where the loss applies.
#pragma once
#include <vector>

#include "model/model.hpp"
#include "rl/data/example.hpp"

namespace r1 {

enum class LossOn { all_tokens, response_tokens };

// Sequences longer than max_len are truncated (keeping the start).
TokenBatch build_token_batch(const std::vector<const Example*>& examples, LossOn loss_on, int64_t max_len);
// Rows with a target.
int64_t count_targets(const TokenBatch& b);
// Rows whose multi-token-prediction target at `depth` exists (targets[i + depth] within the sequence).
int64_t count_mtp_targets(const TokenBatch& b, int64_t depth);

}  // namespace r1
