// Grouped-query attention (Qwen2/Llama shape): fused q/k/v projection (the three weights, and the
// three biases, are declared adjacently so they form one matrix), one pass adding the bias, splitting
// q/k/v and applying RoPE to q and k (qkv_split_rope), causal attention, output projection. With
// Qwen3's q/k norms the split, the per-head RMSNorms (rmsnorm over [N heads, D] rows) and RoPE are
// separate ops, and the backward runs through the norms (their weights are trained).
#include "model/attention_gqa.hpp"

#include "kernels/ops.hpp"
#include "model/linear.hpp"
#include "model/precision.hpp"

namespace r1 {

GqaAttention::GqaAttention(const ModelConfig& c, const std::string& prefix, ParamStore& store, const RopeTables& rope)
    : store_(store), rope_(rope) {
  heads_ = c.num_attention_heads;
  kv_heads_ = c.num_key_value_heads;
  head_dim_ = c.gqa_head_dim();
  hidden_ = c.hidden_size;
  scale_ = c.softmax_scale();
  layout_ = c.rope_interleave ? ops::RopeLayout::interleaved : ops::RopeLayout::half;
  const std::string p = prefix + ".self_attn.";
  q_w_ = store.declare(p + "q_proj.weight", {heads_ * head_dim_, hidden_}, ParamInit::normal, true);
  store.declare(p + "k_proj.weight", {kv_heads_ * head_dim_, hidden_}, ParamInit::normal, true);
  v_w_ = store.declare(p + "v_proj.weight", {kv_heads_ * head_dim_, hidden_}, ParamInit::normal, true);
  if (c.attention_bias) {
    q_b_ = store.declare(p + "q_proj.bias", {heads_ * head_dim_}, ParamInit::zeros, false);
    store.declare(p + "k_proj.bias", {kv_heads_ * head_dim_}, ParamInit::zeros, false);
    v_b_ = store.declare(p + "v_proj.bias", {kv_heads_ * head_dim_}, ParamInit::zeros, false);
  }
  o_w_ = store.declare(p + "o_proj.weight", {hidden_, heads_ * head_dim_}, ParamInit::normal, true);
  if (c.has_qk_norm()) {
    eps_ = c.rms_norm_eps;
    q_norm_ = store.declare(p + "q_norm.weight", {head_dim_}, ParamInit::ones, false);
    k_norm_ = store.declare(p + "k_norm.weight", {head_dim_}, ParamInit::ones, false);
  }
}

void GqaAttention::split_norm_rope(Tensor& qkv, const Tensor& b_qkv, const Tensor& positions, Tensor& q, Tensor& k,
                                   Tensor& v, AttentionActs* acts) const {
  const int64_t n = qkv.rows(), qw = heads_ * head_dim_, kw = kv_heads_ * head_dim_;
  const DType dt = qkv.dtype(), st = stat_dtype_for(dt);
  const Device dev = qkv.device();
  if (b_qkv.defined()) ops::bias_add(qkv, b_qkv);
  Tensor q_pre = Tensor::empty({n, heads_, head_dim_}, dt, dev);
  Tensor k_pre = Tensor::empty({n, kv_heads_, head_dim_}, dt, dev);
  Tensor qp = q_pre.view({n, qw}), kp = k_pre.view({n, kw}), vv = v.view({n, kw});
  ops::copy_columns(qkv, 0, qp, 0, qw, ops::Accumulate::no);
  ops::copy_columns(qkv, qw, kp, 0, kw, ops::Accumulate::no);
  ops::copy_columns(qkv, qw + kw, vv, 0, kw, ops::Accumulate::no);
  Tensor q_rstd = Tensor::empty({n * heads_}, st, dev), k_rstd = Tensor::empty({n * kv_heads_}, st, dev);
  Tensor q_rows = q.view({n * heads_, head_dim_}), k_rows = k.view({n * kv_heads_, head_dim_});
  ops::rmsnorm_forward(q_pre.view({n * heads_, head_dim_}), store_.weight(q_norm_), eps_, q_rows, q_rstd);
  ops::rmsnorm_forward(k_pre.view({n * kv_heads_, head_dim_}), store_.weight(k_norm_), eps_, k_rows, k_rstd);
  ops::rope_apply(q, heads_, 0, head_dim_, positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::forward);
  ops::rope_apply(k, kv_heads_, 0, head_dim_, positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::forward);
  if (acts) {
    acts->q_pre = q_pre;
    acts->k_pre = k_pre;
    acts->q_rstd = q_rstd;
    acts->k_rstd = k_rstd;
  }
}

int64_t GqaAttention::qkv_width() const { return (heads_ + 2 * kv_heads_) * head_dim_; }

Tensor GqaAttention::forward(const Tensor& x, const BatchLayout& batch, AttentionActs& a) const {
  const int64_t n = x.rows();
  Tensor w_qkv = store_.weight_span(q_w_, v_w_, {qkv_width(), hidden_});
  Tensor b_qkv = q_b_ >= 0 ? store_.weight_span(q_b_, v_b_, {qkv_width()}) : Tensor();
  Tensor qkv = linear_forward(x, w_qkv, Tensor());  // [N, (H + 2 Hkv) D], the bias is added by the split
  a.x = x;
  a.q = Tensor::empty({n, heads_, head_dim_}, x.dtype(), x.device());
  a.k = Tensor::empty({n, kv_heads_, head_dim_}, x.dtype(), x.device());
  a.v = Tensor::empty({n, kv_heads_, head_dim_}, x.dtype(), x.device());
  if (q_norm_ >= 0)
    split_norm_rope(qkv, b_qkv, batch.positions, a.q, a.k, a.v, &a);
  else
    ops::qkv_split_rope(qkv, b_qkv, heads_, kv_heads_, batch.positions, rope_.cos, rope_.sin, layout_, Tensor(), a.q,
                        a.k, a.v);
  a.attn = Tensor::empty({n, heads_, head_dim_}, x.dtype(), x.device());
  a.lse = Tensor::empty({n, heads_}, stat_dtype_for(x.dtype()), x.device());
  ops::attention_forward(a.q, a.k, a.v, batch.seqs, scale_, a.attn, a.lse);
  return linear_forward(a.attn.view({n, heads_ * head_dim_}), store_.weight(o_w_));  // [N, d]
}

Tensor GqaAttention::backward(const Tensor& dy, const BatchLayout& batch, AttentionActs& a) const {
  const int64_t n = dy.rows(), qw = heads_ * head_dim_, kw = kv_heads_ * head_dim_;
  Tensor dattn = linear_backward(dy, a.attn.view({n, heads_ * head_dim_}), store_.weight(o_w_), store_.grad(o_w_)).view({n, heads_, head_dim_});  // [N, H D]
  Tensor dq = Tensor::empty(a.q.shape(), dy.dtype(), dy.device());
  Tensor dk = Tensor::empty(a.k.shape(), dy.dtype(), dy.device());
  Tensor dv = Tensor::empty(a.v.shape(), dy.dtype(), dy.device());
  ops::attention_backward(a.q, a.k, a.v, a.attn, a.lse, dattn, batch.seqs, scale_, dq, dk, dv);
  ops::rope_apply(dq, heads_, 0, head_dim_, batch.positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::inverse);
  ops::rope_apply(dk, kv_heads_, 0, head_dim_, batch.positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::inverse);
  if (q_norm_ >= 0) {  // through the per-head norms: d(pre-norm q/k), the norm weights' gradients accumulate
    Tensor dq_pre = Tensor::empty(a.q.shape(), dy.dtype(), dy.device());
    Tensor dk_pre = Tensor::empty(a.k.shape(), dy.dtype(), dy.device());
    Tensor dq_rows = dq_pre.view({n * heads_, head_dim_}), dk_rows = dk_pre.view({n * kv_heads_, head_dim_});
    Tensor dw_q = store_.grad(q_norm_), dw_k = store_.grad(k_norm_);
    ops::rmsnorm_backward(dq.view({n * heads_, head_dim_}), a.q_pre.view({n * heads_, head_dim_}), store_.weight(q_norm_),
                          a.q_rstd, dq_rows, dw_q);
    ops::rmsnorm_backward(dk.view({n * kv_heads_, head_dim_}), a.k_pre.view({n * kv_heads_, head_dim_}),
                          store_.weight(k_norm_), a.k_rstd, dk_rows, dw_k);
    dq = dq_pre;
    dk = dk_pre;
  }
  Tensor dqkv = Tensor::empty({n, qkv_width()}, dy.dtype(), dy.device());
  ops::copy_columns(dq.view({n, qw}), 0, dqkv, 0, qw, ops::Accumulate::no);
  ops::copy_columns(dk.view({n, kw}), 0, dqkv, qw, kw, ops::Accumulate::no);
  ops::copy_columns(dv.view({n, kw}), 0, dqkv, qw + kw, kw, ops::Accumulate::no);
  Tensor w_qkv = store_.weight_span(q_w_, v_w_, {qkv_width(), hidden_});
  Tensor dw_qkv = store_.grad_span(q_w_, v_w_, {qkv_width(), hidden_});
  Tensor db_qkv = q_b_ >= 0 ? store_.grad_span(q_b_, v_b_, {qkv_width()}) : Tensor();
  return linear_backward(dqkv, a.x, w_qkv, dw_qkv, db_qkv);
}

}  // namespace r1

namespace r1 {

void GqaAttention::make_cache(int64_t slots, int64_t capacity, DType dtype, Device device, Tensor& k_cache,
                              Tensor& v_cache) const {
  k_cache = Tensor::zeros({slots, capacity, kv_heads_, head_dim_}, dtype, device);
  v_cache = Tensor::zeros({slots, capacity, kv_heads_, head_dim_}, dtype, device);
}

Tensor GqaAttention::forward_cached(const Tensor& x, const CachedLayout& rows, Tensor& k_cache, Tensor& v_cache) const {
  const int64_t n = x.rows(), qw = heads_ * head_dim_;
  Tensor w_qkv = store_.weight_span(q_w_, v_w_, {qkv_width(), hidden_});
  Tensor b_qkv = q_b_ >= 0 ? store_.weight_span(q_b_, v_b_, {qkv_width()}) : Tensor();
  Tensor qkv = linear_forward(x, w_qkv, Tensor());
  Tensor q = Tensor::empty({n, heads_, head_dim_}, x.dtype(), x.device());
  Tensor attn = Tensor::empty({n, heads_, head_dim_}, x.dtype(), x.device());
  if (q_norm_ >= 0) {  // Qwen3: split, per-head q/k norms and RoPE, then k and v into their cache rows
    Tensor k = Tensor::empty({n, kv_heads_, head_dim_}, x.dtype(), x.device());
    Tensor v = Tensor::empty({n, kv_heads_, head_dim_}, x.dtype(), x.device());
    split_norm_rope(qkv, b_qkv, rows.positions, q, k, v, nullptr);
    Tensor kc = k_cache.view({-1, kv_heads_ * head_dim_}), vc = v_cache.view({-1, kv_heads_ * head_dim_});
    ops::scatter_rows(k.view({n, kv_heads_ * head_dim_}), rows.cache_row, kc, 0);
    ops::scatter_rows(v.view({n, kv_heads_ * head_dim_}), rows.cache_row, vc, 0);
    if (!rows.prompt_seqs.empty()) {
      Tensor lse = Tensor::empty({n, heads_}, stat_dtype_for(x.dtype()), x.device());
      ops::attention_forward(q, k, v, rows.prompt_seqs, scale_, attn, lse);
    } else {
      ops::attention_cached(q, k_cache, v_cache, head_dim_, rows.row_slot, rows.positions, scale_, attn);
    }
  } else if (!rows.prompt_seqs.empty()) {  // whole prompts: causal attention over the new rows, then into the cache
    Tensor k = Tensor::empty({n, kv_heads_, head_dim_}, x.dtype(), x.device());
    Tensor v = Tensor::empty({n, kv_heads_, head_dim_}, x.dtype(), x.device());
    ops::qkv_split_rope(qkv, b_qkv, heads_, kv_heads_, rows.positions, rope_.cos, rope_.sin, layout_, Tensor(), q, k, v);
    Tensor kc = k_cache.view({-1, kv_heads_ * head_dim_}), vc = v_cache.view({-1, kv_heads_ * head_dim_});
    ops::scatter_rows(k.view({n, kv_heads_ * head_dim_}), rows.cache_row, kc, 0);
    ops::scatter_rows(v.view({n, kv_heads_ * head_dim_}), rows.cache_row, vc, 0);
    Tensor lse = Tensor::empty({n, heads_}, stat_dtype_for(x.dtype()), x.device());
    ops::attention_forward(q, k, v, rows.prompt_seqs, scale_, attn, lse);
  } else {
    ops::qkv_split_rope(qkv, b_qkv, heads_, kv_heads_, rows.positions, rope_.cos, rope_.sin, layout_, rows.cache_row, q,
                        k_cache, v_cache);  // k and v straight into their cache rows
    ops::attention_cached(q, k_cache, v_cache, head_dim_, rows.row_slot, rows.positions, scale_, attn);
  }
  return linear_forward(attn.view({n, qw}), store_.weight(o_w_));
}

}  // namespace r1
