// Packing examples into a TokenBatch.
#include "rl/data/token_batch_builder.hpp"

#include <algorithm>

namespace r1 {

TokenBatch build_token_batch(const std::vector<const Example*>& examples, LossOn loss_on, int64_t max_len) {
  TokenBatch b;
  b.seqs.push_back(0);
  for (const Example* e : examples) {
    std::vector<int32_t> seq = e->prompt;
    seq.insert(seq.end(), e->response.begin(), e->response.end());
    int64_t len = std::min<int64_t>(int64_t(seq.size()), max_len);
    int64_t first_target_row = loss_on == LossOn::all_tokens ? 0 : int64_t(e->prompt.size()) - 1;
    for (int64_t i = 0; i < len; ++i) {
      b.tokens.push_back(seq[size_t(i)]);
      b.positions.push_back(int32_t(i));
      bool has_target = i + 1 < len && i >= first_target_row;
      b.targets.push_back(has_target ? seq[size_t(i + 1)] : -1);
    }
    b.seqs.push_back(int64_t(b.tokens.size()));
  }
  return b;
}

int64_t count_targets(const TokenBatch& b) {
  return std::count_if(b.targets.begin(), b.targets.end(), [](int32_t t) { return t >= 0; });
}

}  // namespace r1

namespace r1 {

int64_t count_mtp_targets(const TokenBatch& b, int64_t depth) {
  int64_t n = 0;
  for (size_t s = 0; s + 1 < b.seqs.size(); ++s)
    for (int64_t i = b.seqs[s]; i + depth < b.seqs[s + 1]; ++i) n += b.targets[size_t(i + depth)] >= 0;
  return n;
}

}  // namespace r1
