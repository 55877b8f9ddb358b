// Gradient and router-load synchronisation over the rank grid.
#include "engine/grad_sync.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/ops.hpp"
#include "parallel/step_timers.hpp"

namespace r1 {

namespace {
// Contiguous runs of the flat buffer holding parameters of one group.
std::vector<std::pair<int64_t, int64_t>> group_runs(const ParamStore& store, ParamGroup group) {
  std::vector<std::pair<int64_t, int64_t>> runs;
  for (const ParamInfo& p : store.params()) {
    if (p.group != group || p.numel == 0) continue;
    if (!runs.empty() && runs.back().first + runs.back().second == p.offset) runs.back().second += p.numel;
    else runs.push_back({p.offset, p.numel});
  }
  return runs;
}

// Sums the runs' values over `comm`, in buckets of at most `bucket_elems` elements: contiguous
// stretches of the flat buffer are reduced in place, and scattered runs are packed into one staging
// buffer of at most a bucket. Buckets follow the parameter order, so the reduction is the same on
// every rank and every run.
void all_reduce_runs(Tensor& flat, const std::vector<std::pair<int64_t, int64_t>>& runs, TensorComm& comm,
                     int64_t bucket_elems) {
  if (comm.size() == 1 || runs.empty()) return;
  int64_t total = 0;
  for (auto& r : runs) total += r.second;
  if (runs.size() == 1) {
    for (int64_t o = 0; o < total; o += bucket_elems) {
      Tensor part = flat.flat(runs[0].first + o, {std::min(bucket_elems, total - o)});
      comm.all_reduce_sum(part);
    }
    return;
  }
  Tensor staging = Tensor::empty({std::min(total, bucket_elems)}, flat.dtype(), flat.device());
  // Pieces (flat offset, length) of the current bucket.
  std::vector<std::pair<int64_t, int64_t>> pieces;
  int64_t filled = 0;
  auto flush = [&] {
    if (filled == 0) return;
    Tensor packed = staging.flat(0, {filled});
    int64_t o = 0;
    for (auto& p : pieces) {
      packed.flat(o, {p.second}).copy_from(flat.flat(p.first, {p.second}));
      o += p.second;
    }
    comm.all_reduce_sum(packed);
    o = 0;
    for (auto& p : pieces) {
      flat.flat(p.first, {p.second}).copy_from(packed.flat(o, {p.second}));
      o += p.second;
    }
    pieces.clear();
    filled = 0;
  };
  for (auto& r : runs) {
    for (int64_t o = 0; o < r.second;) {
      int64_t take = std::min(r.second - o, bucket_elems - filled);
      pieces.push_back({r.first + o, take});
      filled += take;
      o += take;
      if (filled == bucket_elems) flush();
    }
  }
  flush();
}

// Sums of squares of the dense runs and of the expert runs, in run order, with one device sync.
std::pair<double, double> sum_squares_of_runs(const Tensor& flat, const std::vector<std::pair<int64_t, int64_t>>& dense,
                                              const std::vector<std::pair<int64_t, int64_t>>& expert) {
  std::vector<Tensor> parts;
  for (auto& r : dense) parts.push_back(flat.flat(r.first, {r.second}));
  for (auto& r : expert) parts.push_back(flat.flat(r.first, {r.second}));
  const std::vector<double> sums = ops::sum_squares_each(parts);
  double dense_sq = 0, expert_sq = 0;
  for (size_t i = 0; i < sums.size(); ++i) (i < dense.size() ? dense_sq : expert_sq) += sums[i];
  return {dense_sq, expert_sq};
}
}  // namespace

double synchronize_gradients(const ParallelGrid& grid, Model& model, double bucket_mb) {
  ScopedStepTimer timer(&step_timers(), StepPart::all_reduce);
  ParamStore& store = model.params();
  Tensor& grads = store.flat_grads();
  auto dense = group_runs(store, ParamGroup::dense), expert = group_runs(store, ParamGroup::expert);
  // Dense parameters: summed over this stage's data-parallel ranks; experts: over their replicas.
  const int64_t bucket_elems =
      std::max<int64_t>(1, int64_t(bucket_mb * 1024 * 1024) / int64_t(dtype_size(grads.dtype())));
  all_reduce_runs(grads, dense, grid.dp_tensors(), bucket_elems);
  all_reduce_runs(grads, expert, grid.expert_replica_tensors(), bucket_elems);
  // The embedding is held by both pipeline ends when the last stage needs it (tied LM head, or MTP
  // embedding the shifted tokens): both copies get the sum of the two gradients. Both ends decide
  // this from the config alone, so the collective matches.
  const ModelConfig& mc = model.config();
  const bool shared_embedding = grid.embedding_pair_tensors() != nullptr &&
                                (mc.tie_word_embeddings || mc.num_nextn_predict_layers > 0);
  const int embed = store.find("model.embed_tokens.weight");
  if (shared_embedding) {
    R1_CHECK(embed >= 0, "pipeline end without the shared embedding");
    Tensor g = store.grad(embed);
    grid.embedding_pair_tensors()->all_reduce_sum(g);
  }
  // Global norm: every stage's dense parameters once (the last stage's copy of a shared embedding
  // excluded), every expert shard once.
  auto [dense_sq, local_expert_sq] = sum_squares_of_runs(grads, dense, expert);
  if (shared_embedding && !model.shard().has_embedding) dense_sq -= ops::sum_squares(store.grad(embed));
  double expert_sq = grid.ep().allreduce(local_expert_sq);
  double total = grid.pipeline().allreduce(dense_sq + expert_sq);
  // NaN must come out as NaN (std::max(0.0, NaN) is 0.0: the non-finite policy never saw it).
  return std::isnan(total) ? total : std::sqrt(std::max(0.0, total));
}

void reduce_expert_load(const ParallelGrid& grid, std::vector<std::vector<int64_t>>& load, int64_t layers, int64_t experts) {
  if (load.empty()) load.assign(size_t(layers), std::vector<int64_t>(size_t(experts), 0));
  std::vector<int64_t> flat;
  for (auto& l : load) flat.insert(flat.end(), l.begin(), l.end());
  grid.dp().allreduce(flat);
  for (size_t i = 0; i < load.size(); ++i)
    for (size_t e = 0; e < load[i].size(); ++e) load[i][e] = flat[i * size_t(experts) + e];
}

}  // namespace r1
