// Rank-grid arithmetic and its validation.
#include "parallel/grid_layout.hpp"

#include "core/error.hpp"

namespace r1 {

GridLayout make_grid_layout(int64_t world, int64_t pp, int64_t ep, int64_t num_layers, int64_t routed_experts,
                            const std::vector<int64_t>& layers_per_stage, const std::string& where) {
  R1_INPUT_CHECK(pp >= 1 && ep >= 1, where, ": parallel.pp and parallel.ep must be >= 1");
  R1_INPUT_CHECK(world % pp == 0, where, ": parallel.pp = ", pp, " does not divide the ", world,
                 " ranks (world = pp x dp)");
  GridLayout g;
  g.world = world;
  g.pp = pp;
  g.dp = world / pp;
  g.ep = ep;
  g.experts = routed_experts;
  R1_INPUT_CHECK(g.dp % ep == 0, where, ": parallel.ep = ", ep, " does not divide dp = ", g.dp, " (", world, " ranks / pp ",
                 pp, "): an expert-parallel group is made of data-parallel ranks of one stage");
  R1_INPUT_CHECK(ep == 1 || (routed_experts > 0 && routed_experts % ep == 0), where, ": parallel.ep = ", ep,
                 " does not divide model.n_routed_experts = ", routed_experts);
  R1_INPUT_CHECK(pp <= num_layers, where, ": parallel.pp = ", pp, " exceeds model.num_hidden_layers = ", num_layers,
                 " (every stage needs a layer)");
  g.stage_layer_begin.assign(size_t(pp + 1), 0);
  if (layers_per_stage.empty()) {
    for (int64_t s = 0; s < pp; ++s)
      g.stage_layer_begin[size_t(s + 1)] = g.stage_layer_begin[size_t(s)] + num_layers / pp + (s < num_layers % pp ? 1 : 0);
  } else {
    R1_INPUT_CHECK(int64_t(layers_per_stage.size()) == pp, where, ": parallel.layers lists ", layers_per_stage.size(),
                   " stages, parallel.pp is ", pp);
    int64_t total = 0;
    for (size_t s = 0; s < layers_per_stage.size(); ++s) {
      R1_INPUT_CHECK(layers_per_stage[s] >= 1, where, ": parallel.layers[", s, "] = ", layers_per_stage[s],
                     ": every stage needs at least one layer");
      total += layers_per_stage[s];
      g.stage_layer_begin[s + 1] = total;
    }
    R1_INPUT_CHECK(total == num_layers, where, ": parallel.layers sums to ", total, ", model.num_hidden_layers is ",
                   num_layers);
  }
  return g;
}

RankPosition rank_position(const GridLayout& g, int64_t rank) {
  R1_CHECK(rank >= 0 && rank < g.world, "rank ", rank, " outside a world of ", g.world);
  RankPosition p;
  p.rank = rank;
  p.stage = rank / g.dp;
  p.dp_rank = rank % g.dp;
  p.ep_rank = p.dp_rank % g.ep;
  p.ep_group = p.dp_rank / g.ep;
  return p;
}

int64_t rank_of(const GridLayout& g, int64_t stage, int64_t dp_rank) { return stage * g.dp + dp_rank; }

}  // namespace r1
