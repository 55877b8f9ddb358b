// GridLayout: the arithmetic of the rank grid, without communicators (so `r1 plan` can use it for a
// layout that is not running). world = pp x dp; ranks are numbered stage-major
// (rank = stage * dp + dp_rank), so one pipeline stage's data-parallel ranks are contiguous (on the
// same nodes, where the MoE all-to-all runs). Within a stage, the dp ranks form dp/ep expert-parallel
// groups of ep consecutive ranks; rank dp_rank holds routed experts of shard ep_rank = dp_rank % ep,
// and the ranks with the same ep_rank (one per group) are replicas of those experts.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

struct GridLayout {
  int64_t world = 1, pp = 1, dp = 1, ep = 1;
  std::vector<int64_t> stage_layer_begin;  // pp + 1 entries: stage s holds layers [begin[s], begin[s+1])
  int64_t experts = 0;                     // routed experts per MoE layer
  int64_t experts_per_rank() const { return ep > 0 ? experts / ep : experts; }
};

struct RankPosition {
  int64_t rank = 0, stage = 0, dp_rank = 0, ep_rank = 0, ep_group = 0;
};

// Validates the layout and splits layers into stages: evenly by default (earlier stages take the
// remainder), or `layers_per_stage` (pp entries summing to num_layers). Throws InputError naming the
// rule that is broken (prefix `where`, e.g. the config file).
GridLayout make_grid_layout(int64_t world, int64_t pp, int64_t ep, int64_t num_layers, int64_t routed_experts,
                            const std::vector<int64_t>& layers_per_stage, const std::string& where);
RankPosition rank_position(const GridLayout& g, int64_t rank);
int64_t rank_of(const GridLayout& g, int64_t stage, int64_t dp_rank);

}  // namespace r1
