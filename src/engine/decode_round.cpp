// DecodeRound: agreement, per-group stage forwards, sampling on the last stage, token broadcast.
#include "engine/decode_round.hpp"

#include "kernels/ops.hpp"

namespace r1 {

int64_t RoundRows::total_rows() const {
  int64_t n = 0;
  for (const CachedRows& r : rows) n += r.size();
  return n;
}

DecodeRound::DecodeRound(const Model& model, KvCache& cache, const ParallelGrid* grid, const ops::SamplingParams& params,
                         double logit_scale, int64_t slots)
    : model_(model), cache_(cache), grid_(grid), params_(params), logit_scale_(logit_scale) {
  coupled_ = grid_ && grid_->ep().size() > 1;
  stages_ = grid_ ? int(grid_->layout().pp) : 1;
  stage_ = grid_ ? int(grid_->position().stage) : 0;
  // A fixed count of groups when replicas are coupled (their slot counts may differ).
  groups_ = coupled_ ? stages_ : std::min<int64_t>(stages_, slots);
  if (stages_ == 1 && !coupled_ && DecodeGraphs::usable(model_))
    graphs_ = std::make_unique<DecodeGraphs>(model_, cache_, params_, logit_scale_);
}

DecodeRound::~DecodeRound() = default;

bool DecodeRound::run(const RoundRows& round, std::vector<Tensor>& tokens, std::vector<std::vector<double>>& logp) {
  const bool first = stage_ == 0, last = stage_ == stages_ - 1;
  std::vector<int64_t> runs(static_cast<size_t>(groups_ + 1), 0);
  runs[0] = round.total_rows() > 0;
  for (int64_t g = 0; g < groups_; ++g) runs[size_t(g + 1)] = round.rows[size_t(g)].size() > 0;
  if (coupled_) grid_->ep().allreduce(runs, ReduceOp::max);
  if (runs[0] == 0) return false;
  tokens.assign(static_cast<size_t>(groups_), Tensor());
  logp.assign(static_cast<size_t>(groups_), {});
  const bool recorded = graphs_ && !round.prefill;  // one group: a single stage
  if (recorded) {
    std::vector<int32_t> sampled;
    graphs_->step(round.rows[0], round.uniforms[0], sampled, logp[0]);
    tokens[0] = Tensor::from_vector(sampled);
    ++forwards_;
  }
  for (int64_t g = 0; g < groups_ && !recorded; ++g) {
    const CachedRows& r = round.rows[size_t(g)];
    if (runs[size_t(g + 1)] == 0) continue;
    Tensor h_in;
    if (!first) {
      h_in = Tensor::empty({r.size(), model_.config().hidden_size}, model_.dtype(), model_.device());
      Tensor none;
      grid_->pipeline_tensors().exchange(none, -1, h_in, stage_ - 1);
    }
    Tensor h = model_.forward_cached(r, cache_, h_in);  // last stage: normalised
    ++forwards_;
    if (!last) {
      Tensor none;
      grid_->pipeline_tensors().exchange(h, stage_ + 1, none, -1);
      continue;
    }
    if (r.size() == 0) continue;  // an empty turn for the expert group: nothing to sample
    // Logits of each sequence's last row only.
    const std::vector<int64_t>& rows = round.sample_rows[size_t(g)];
    std::vector<int32_t> pick(rows.begin(), rows.end());
    Tensor pick_t = Tensor::from_vector(pick);
    if (!h.is_host()) pick_t = pick_t.to(h.device());
    Tensor last_rows = Tensor::empty({int64_t(pick.size()), h.cols()}, h.dtype(), h.device());
    ops::gather_rows(h, pick_t, last_rows);
    Tensor logits = model_.logits(last_rows);  // [S, V], sampled where it lives (GPU sampling on CUDA)
    tokens[size_t(g)] = Tensor::empty({int64_t(rows.size())}, DType::i32);
    ops::sample_tokens(logits, params_, Tensor::from_vector(round.uniforms[size_t(g)]), tokens[size_t(g)]);
    Tensor token_logp = Tensor::empty({int64_t(rows.size())}, logits.dtype(), logits.device());
    ops::token_logprobs(logits, tokens[size_t(g)], logit_scale_, token_logp);
    logp[size_t(g)] = to_f64_vector(token_logp);
  }
  // The sampled tokens reach every stage.
  for (int64_t g = 0; g < groups_; ++g) {
    if (round.rows[size_t(g)].size() == 0) continue;
    if (!last) tokens[size_t(g)] = Tensor::empty({int64_t(round.sample_rows[size_t(g)].size())}, DType::i32);
    if (grid_) grid_->pipeline_tensors().broadcast(tokens[size_t(g)], stages_ - 1);
  }
  return true;
}

}  // namespace r1
