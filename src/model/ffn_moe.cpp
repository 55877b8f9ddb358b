// Mixture-of-experts forward and backward over expert-sorted rows.
#include "model/ffn_moe.hpp"

#include "kernels/ops.hpp"
#include "model/linear.hpp"
#include "model/precision.hpp"

namespace r1 {

MoeFeedForward::MoeFeedForward(const ModelConfig& c, const std::string& prefix, ParamStore& store, ExpertRange experts,
                               TensorComm* ep)
    : store_(store), local_(experts), ep_(ep) {
  hidden_ = c.hidden_size;
  inner_ = c.moe_intermediate_size;
  n_experts_ = c.n_routed_experts;
  aux_alpha_ = c.seq_aux_loss_alpha;
  router_.top_k = c.num_experts_per_tok;
  router_.n_group = c.n_group;
  router_.topk_group = c.topk_group;
  router_.norm_topk_prob = c.norm_topk_prob;
  router_.routed_scaling_factor = c.routed_scaling_factor;
  router_.scoring = c.scoring_func == ScoringFunc::softmax ? ops::RouterScoring::softmax : ops::RouterScoring::sigmoid;
  const bool all_local = local_.begin == 0 && local_.end == n_experts_;
  R1_CHECK(all_local || (ep_ && ep_->size() * (local_.end - local_.begin) == n_experts_), "expert range [",
           local_.begin, ", ", local_.end, ") of ", n_experts_, " experts needs an expert-parallel group holding the rest");
  if (all_local) ep_ = nullptr;
  const std::string p = prefix + ".mlp.";
  gate_ = store.declare(p + "gate.weight", {n_experts_, hidden_}, ParamInit::normal, true);
  if (c.router_has_bias())  // DeepSeek's balancing bias; Qwen3-MoE has none (HF holds no such tensor)
    bias_ = store.declare(p + "gate.e_score_correction_bias", {n_experts_}, ParamInit::zeros, false, ParamGroup::dense,
                          /*trainable=*/false);
  // gate_proj and up_proj of each expert adjacent: all experts form one [E, 2I, d] block.
  for (int64_t e = local_.begin; e < local_.end; ++e) {
    const std::string ep = p + "experts." + std::to_string(e) + ".";
    int g = store.declare(ep + "gate_proj.weight", {inner_, hidden_}, ParamInit::normal, true, ParamGroup::expert);
    int u = store.declare(ep + "up_proj.weight", {inner_, hidden_}, ParamInit::normal, true, ParamGroup::expert);
    if (first_gate_up_ < 0) first_gate_up_ = g;
    last_gate_up_ = u;
  }
  for (int64_t e = local_.begin; e < local_.end; ++e) {
    int d = store.declare(p + "experts." + std::to_string(e) + ".down_proj.weight", {hidden_, inner_}, ParamInit::normal,
                          true, ParamGroup::expert);
    if (first_down_ < 0) first_down_ = d;
    last_down_ = d;
  }
  if (c.n_shared_experts > 0) {
    has_shared_ = true;
    shared_ = SwigluMlp(p + "shared_experts", hidden_, inner_ * c.n_shared_experts, store, ParamGroup::dense);
  }
}

Tensor MoeFeedForward::forward(const Tensor& x, const BatchLayout& batch, FfnActs& a) const {
  const int64_t n = x.rows(), k = router_.top_k, e_local = local_.end - local_.begin;
  const DType dt = x.dtype();
  const Device dev = x.device();
  a.x = x;
  // Route: scores, choice and weights per token
  // The router works in the statistics dtype (f32 next to bf16 activations), with the master copy of
  // its balancing bias.
  const DType st = stat_dtype_for(dt);
  Tensor logits = linear_forward(x, store_.weight(gate_), Tensor(), st);  // [N, E]
  a.scores = Tensor::empty({n, n_experts_}, st, dev);
  a.topk_idx = Tensor::empty({n, k}, DType::i32, dev);
  a.topk_w = Tensor::empty({n, k}, st, dev);
  ops::router_forward(logits, bias_ >= 0 ? store_.value(bias_) : Tensor(), router_, a.scores, a.topk_idx, a.topk_w);
  a.aux_loss = 0;
  a.dlogits_aux = Tensor();
  if (aux_alpha_ > 0 && batch.aux_loss_weight > 0) {
    a.dlogits_aux = Tensor::zeros({n, n_experts_}, st, dev);
    a.aux_loss = ops::router_seq_aux_loss(a.scores, a.topk_idx, batch.seqs, aux_alpha_, router_, batch.aux_loss_weight,
                                          a.dlogits_aux);
  }
  // Permute token rows into expert order
  ops::moe_build_routing(a.topk_idx, n_experts_, a.routing);
  a.expert_load.assign(size_t(n_experts_), 0);
  for (int64_t e = 0; e < n_experts_; ++e)
    a.expert_load[size_t(e)] = a.routing.expert_offsets[size_t(e) + 1] - a.routing.expert_offsets[size_t(e)];
  Tensor xp = Tensor::empty({n * k, hidden_}, dt, dev);
  ops::moe_gather(x, a.routing, xp);
  // Dispatch: rows travel to the ranks holding their experts (expert parallelism).
  if (ep_) {
    a.exchange = plan_expert_exchange(a.routing, e_local, *ep_, dev);
    a.x_local = dispatch_rows(xp, a.exchange, *ep_);
    a.local_offsets = a.exchange.local_offsets;
  } else {
    a.x_local = xp;
    a.local_offsets = a.routing.expert_offsets;
  }
  const int64_t rows = a.x_local.rows();
  // Experts: grouped GEMMs over the rows of each local expert
  Tensor w_gate_up = store_.weight_span(first_gate_up_, last_gate_up_, {e_local, 2 * inner_, hidden_});
  Tensor w_down = store_.weight_span(first_down_, last_down_, {e_local, hidden_, inner_});
  a.gate_up_p = Tensor::empty({rows, 2 * inner_}, dt, dev);
  ops::grouped_gemm(a.x_local, w_gate_up, ops::Trans::yes, a.local_offsets, a.gate_up_p);
  a.h_p = Tensor::empty({rows, inner_}, dt, dev);
  ops::swiglu_forward(a.gate_up_p, a.h_p);
  Tensor y_local = Tensor::empty({rows, hidden_}, dt, dev);
  ops::grouped_gemm(a.h_p, w_down, ops::Trans::yes, a.local_offsets, y_local);
  // Combine: expert outputs travel back to their tokens' ranks.
  a.y_p = ep_ ? combine_rows(y_local, a.exchange, *ep_) : y_local;
  // Unpermute with the routing weights, plus the shared experts
  Tensor y = has_shared_ ? shared_.forward(x, a.dense) : Tensor::zeros({n, hidden_}, dt, dev);
  ops::moe_scatter(a.y_p, a.topk_w, a.routing, y, ops::Accumulate::yes);
  return y;
}

Tensor MoeFeedForward::backward(const Tensor& dy, const BatchLayout& batch, FfnActs& a) const {
  const int64_t n = dy.rows(), k = router_.top_k, e_local = local_.end - local_.begin;
  const DType dt = dy.dtype();
  const Device dev = dy.device();
  Tensor dx = has_shared_ ? shared_.backward(dy, a.dense) : Tensor::zeros({n, hidden_}, dt, dev);
  // Unpermute
  Tensor dy_p = Tensor::empty({n * k, hidden_}, dt, dev);
  const DType st = stat_dtype_for(dt);
  Tensor dtopk_w = Tensor::empty({n, k}, st, dev);
  ops::moe_scatter_backward(dy, a.y_p, a.topk_w, a.routing, dy_p, dtopk_w);
  // Experts
  Tensor w_gate_up = store_.weight_span(first_gate_up_, last_gate_up_, {e_local, 2 * inner_, hidden_});
  Tensor w_down = store_.weight_span(first_down_, last_down_, {e_local, hidden_, inner_});
  Tensor dw_gate_up = store_.grad_span(first_gate_up_, last_gate_up_, {e_local, 2 * inner_, hidden_});
  Tensor dw_down = store_.grad_span(first_down_, last_down_, {e_local, hidden_, inner_});
  // The transpose of combine: output gradients travel to the experts' ranks.
  Tensor dy_local = ep_ ? dispatch_rows(dy_p, a.exchange, *ep_) : dy_p;
  const int64_t rows = a.x_local.rows();
  Tensor dh_p = Tensor::empty({rows, inner_}, dt, dev);
  ops::grouped_gemm(dy_local, w_down, ops::Trans::no, a.local_offsets, dh_p);
  ops::grouped_gemm_weight_grad(dy_local, a.h_p, a.local_offsets, dw_down);
  Tensor dgate_up_p = Tensor::empty({rows, 2 * inner_}, dt, dev);
  ops::swiglu_backward(a.gate_up_p, dh_p, dgate_up_p);
  Tensor dx_local = Tensor::empty({rows, hidden_}, dt, dev);
  ops::grouped_gemm(dgate_up_p, w_gate_up, ops::Trans::no, a.local_offsets, dx_local);
  ops::grouped_gemm_weight_grad(dgate_up_p, a.x_local, a.local_offsets, dw_gate_up);
  // The transpose of dispatch: input gradients travel back to the tokens' ranks.
  Tensor dx_p = ep_ ? combine_rows(dx_local, a.exchange, *ep_) : dx_local;
  // Permute back
  Tensor dx_routed = Tensor::empty({n, hidden_}, dt, dev);
  ops::moe_gather_backward(dx_p, a.routing, dx_routed);
  ops::add(dx, dx_routed, dx);
  // Router: through the weights, plus the balance loss
  Tensor dlogits = Tensor::empty({n, n_experts_}, st, dev);
  ops::router_backward(a.scores, a.topk_idx, dtopk_w, router_, dlogits);
  if (a.dlogits_aux.defined()) ops::add(dlogits, a.dlogits_aux, dlogits);
  if (st != dt) {  // the gate's GEMMs take activation-dtype operands
    Tensor narrow = Tensor::empty(dlogits.shape(), dt, dev);
    ops::convert(dlogits, narrow);
    dlogits = narrow;
  }
  linear_backward(dlogits, a.x, store_.weight(gate_), dx, ops::Accumulate::yes, store_.grad(gate_));
  (void)batch;
  return dx;
}

}  // namespace r1
