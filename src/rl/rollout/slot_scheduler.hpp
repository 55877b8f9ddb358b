// SlotScheduler: continuous batching over the KV cache's slots. Pending requests take free slots in
// order; each round a newly filled slot contributes its whole prompt (prefill) and every other busy
// slot its last sampled token at its next position; a finished sequence frees its slot for the next
// request. Slot i belongs to slot group i % groups (the groups follow each other through a
// pipeline). Every rank of a pipeline makes the same decisions from the same requests.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "engine/decode_round.hpp"
#include "rl/rollout/rollout_engine.hpp"

namespace r1 {

class SlotScheduler {
 public:
  SlotScheduler(const std::vector<RolloutRequest>& requests, int64_t slots, int64_t groups);
  // Fills free slots with pending requests and lays out the next round's rows; `uniform(request,
  // token index)` gives each sequence's random number for the token it samples this round.
  template <class Uniform>
  RoundRows next_round(const std::vector<Rollout>& out, Uniform uniform, int64_t* prefill_tokens);
  // The request in sequence `i` of group `g` of the last round, and finishing it (frees its slot).
  int64_t request_of(int64_t g, size_t i) const { return slots_[size_t(round_slots_[size_t(g)][i])].request; }
  void finish(int64_t g, size_t i) { slots_[size_t(round_slots_[size_t(g)][i])].request = -1; }

 private:
  struct Slot {
    int64_t request = -1;  // index into requests, -1 when free
    int64_t length = 0;    // tokens in the cache
    bool needs_prefill = false;
  };
  const std::vector<RolloutRequest>& requests_;
  std::vector<Slot> slots_;
  std::deque<int64_t> pending_;
  int64_t groups_;
  std::vector<std::vector<int64_t>> round_slots_;  // per group: the slots sampled in the last round
};

template <class Uniform>
RoundRows SlotScheduler::next_round(const std::vector<Rollout>& out, Uniform uniform, int64_t* prefill_tokens) {
  for (Slot& s : slots_)
    if (s.request < 0 && !pending_.empty()) {
      s.request = pending_.front();
      pending_.pop_front();
      s.length = 0;
      s.needs_prefill = true;
    }
  RoundRows round;
  round.rows.resize(size_t(groups_));
  round.sample_rows.resize(size_t(groups_));
  round.uniforms.resize(size_t(groups_));
  round_slots_.assign(size_t(groups_), {});
  for (int64_t si = 0; si < int64_t(slots_.size()); ++si) {
    Slot& s = slots_[size_t(si)];
    if (s.request < 0) continue;
    const size_t g = size_t(si % groups_);
    const RolloutRequest& req = requests_[size_t(s.request)];
    CachedRows& rows = round.rows[g];
    if (s.needs_prefill) {
      for (size_t i = 0; i < req.prompt->size(); ++i) {
        rows.tokens.push_back((*req.prompt)[i]);
        rows.positions.push_back(int32_t(i));
        rows.slots.push_back(int32_t(si));
      }
      s.length = int64_t(req.prompt->size());
      s.needs_prefill = false;
      round.prefill = true;
      *prefill_tokens += s.length;
    } else {
      rows.tokens.push_back(out[size_t(s.request)].tokens.back());
      rows.positions.push_back(int32_t(s.length));
      rows.slots.push_back(int32_t(si));
      ++s.length;
    }
    round_slots_[g].push_back(si);
    round.sample_rows[g].push_back(rows.size() - 1);
    round.uniforms[g].push_back(uniform(req, out[size_t(s.request)].tokens.size()));
  }
  return round;
}

}  // namespace r1
