// Multi-head Latent Attention forward and backward (shapes as in Hugging Face DeepseekV3Attention).
#include "model/attention_mla.hpp"

#include "kernels/ops.hpp"
#include "model/linear.hpp"
#include "model/precision.hpp"

namespace r1 {

MlaAttention::MlaAttention(const ModelConfig& c, const std::string& prefix, ParamStore& store, const RopeTables& rope)
    : store_(store), rope_(rope) {
  hidden_ = c.hidden_size;
  heads_ = c.num_attention_heads;
  q_rank_ = c.q_lora_rank;
  kv_rank_ = c.kv_lora_rank;
  nope_ = c.qk_nope_head_dim;
  rope_dim_ = c.qk_rope_head_dim;
  v_dim_ = c.v_head_dim;
  scale_ = c.softmax_scale();
  layout_ = c.rope_interleave ? ops::RopeLayout::interleaved : ops::RopeLayout::half;
  const std::string p = prefix + ".self_attn.";
  const int64_t qk = nope_ + rope_dim_;
  if (q_rank_ > 0) {
    q_a_ = store.declare(p + "q_a_proj.weight", {q_rank_, hidden_}, ParamInit::normal, true);
    q_a_norm_ = store.declare(p + "q_a_layernorm.weight", {q_rank_}, ParamInit::ones, false);
    q_b_ = store.declare(p + "q_b_proj.weight", {heads_ * qk, q_rank_}, ParamInit::normal, true);
  } else {
    q_proj_ = store.declare(p + "q_proj.weight", {heads_ * qk, hidden_}, ParamInit::normal, true);
  }
  kv_a_ = store.declare(p + "kv_a_proj_with_mqa.weight", {kv_rank_ + rope_dim_, hidden_}, ParamInit::normal, true);
  kv_a_norm_ = store.declare(p + "kv_a_layernorm.weight", {kv_rank_}, ParamInit::ones, false);
  kv_b_ = store.declare(p + "kv_b_proj.weight", {heads_ * (nope_ + v_dim_), kv_rank_}, ParamInit::normal, true);
  o_ = store.declare(p + "o_proj.weight", {hidden_, heads_ * v_dim_}, ParamInit::normal, true);
}

Tensor MlaAttention::forward(const Tensor& x, const BatchLayout& batch, AttentionActs& a) const {
  const int64_t n = x.rows(), qk = nope_ + rope_dim_;
  const DType dt = x.dtype();
  const Device dev = x.device();
  a.x = x;
  // Queries [N, H, nope + rope]
  Tensor q;
  if (q_rank_ > 0) {
    a.cq = linear_forward(x, store_.weight(q_a_));  // [N, q_rank]
    a.cq_normed = Tensor::empty(a.cq.shape(), dt, dev);
    a.cq_rstd = Tensor::empty({n}, stat_dtype_for(dt), dev);
    ops::rmsnorm_forward(a.cq, store_.weight(q_a_norm_), kMlaLatentNormEps, a.cq_normed, a.cq_rstd);
    q = linear_forward(a.cq_normed, store_.weight(q_b_));
  } else {
    q = linear_forward(x, store_.weight(q_proj_));
  }
  a.q = q.view({n, heads_, qk});
  ops::rope_apply(a.q, heads_, nope_, rope_dim_, batch.positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::forward);
  // Key/value latent [N, kv_rank] and the shared rotary key [N, rope]
  Tensor ckv_full = linear_forward(x, store_.weight(kv_a_));  // [N, kv_rank + rope]
  a.ckv = Tensor::empty({n, kv_rank_}, dt, dev);
  Tensor k_rope = Tensor::empty({n, rope_dim_}, dt, dev);
  ops::copy_columns(ckv_full, 0, a.ckv, 0, kv_rank_, ops::Accumulate::no);
  ops::copy_columns(ckv_full, kv_rank_, k_rope, 0, rope_dim_, ops::Accumulate::no);
  ops::rope_apply(k_rope, 1, 0, rope_dim_, batch.positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::forward);
  a.ckv_normed = Tensor::empty(a.ckv.shape(), dt, dev);
  a.ckv_rstd = Tensor::empty({n}, stat_dtype_for(dt), dev);
  ops::rmsnorm_forward(a.ckv, store_.weight(kv_a_norm_), kMlaLatentNormEps, a.ckv_normed, a.ckv_rstd);
  Tensor kv = linear_forward(a.ckv_normed, store_.weight(kv_b_)).view({n * heads_, nope_ + v_dim_});
  Tensor k_nope = Tensor::empty({n, heads_, nope_}, dt, dev);
  a.v = Tensor::empty({n, heads_, v_dim_}, dt, dev);
  ops::copy_columns(kv, 0, k_nope, 0, nope_, ops::Accumulate::no);
  ops::copy_columns(kv, nope_, a.v, 0, v_dim_, ops::Accumulate::no);
  a.k = Tensor::empty({n, heads_, qk}, dt, dev);
  ops::mla_assemble_keys(k_nope, k_rope, a.k);
  // Attention and output projection
  a.attn = Tensor::empty({n, heads_, v_dim_}, dt, dev);
  a.lse = Tensor::empty({n, heads_}, stat_dtype_for(dt), dev);
  ops::attention_forward(a.q, a.k, a.v, batch.seqs, scale_, a.attn, a.lse);
  return linear_forward(a.attn.view({n, heads_ * v_dim_}), store_.weight(o_));
}

Tensor MlaAttention::backward(const Tensor& dy, const BatchLayout& batch, AttentionActs& a) const {
  const int64_t n = dy.rows(), qk = nope_ + rope_dim_;
  const DType dt = dy.dtype();
  const Device dev = dy.device();
  Tensor dattn = linear_backward(dy, a.attn.view({n, heads_ * v_dim_}), store_.weight(o_), store_.grad(o_)).view({n, heads_, v_dim_});  // [N, H v]
  Tensor dq = Tensor::empty({n, heads_, qk}, dt, dev);
  Tensor dk = Tensor::empty({n, heads_, qk}, dt, dev);
  Tensor dv = Tensor::empty({n, heads_, v_dim_}, dt, dev);
  ops::attention_backward(a.q, a.k, a.v, a.attn, a.lse, dattn, batch.seqs, scale_, dq, dk, dv);
  // Keys: split into the per-head non-rotary part and the shared rotary key
  Tensor dk_nope = Tensor::empty({n, heads_, nope_}, dt, dev);
  Tensor dk_rope = Tensor::empty({n, rope_dim_}, dt, dev);
  ops::mla_assemble_keys_backward(dk, dk_nope, dk_rope);
  ops::rope_apply(dk_rope, 1, 0, rope_dim_, batch.positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::inverse);
  Tensor dkv = Tensor::empty({n * heads_, nope_ + v_dim_}, dt, dev);
  ops::copy_columns(dk_nope.view({n * heads_, nope_}), 0, dkv, 0, nope_, ops::Accumulate::no);
  ops::copy_columns(dv.view({n * heads_, v_dim_}), 0, dkv, nope_, v_dim_, ops::Accumulate::no);
  Tensor dckv_normed = linear_backward(dkv.view({n, heads_ * (nope_ + v_dim_)}), a.ckv_normed, store_.weight(kv_b_),
                                       store_.grad(kv_b_));
  Tensor dckv = Tensor::empty({n, kv_rank_}, dt, dev);
  Tensor dw_kv_norm = store_.grad(kv_a_norm_);
  ops::rmsnorm_backward(dckv_normed, a.ckv, store_.weight(kv_a_norm_), a.ckv_rstd, dckv, dw_kv_norm);
  Tensor dckv_full = Tensor::empty({n, kv_rank_ + rope_dim_}, dt, dev);
  ops::copy_columns(dckv, 0, dckv_full, 0, kv_rank_, ops::Accumulate::no);
  ops::copy_columns(dk_rope, 0, dckv_full, kv_rank_, rope_dim_, ops::Accumulate::no);
  Tensor dx = linear_backward(dckv_full, a.x, store_.weight(kv_a_), store_.grad(kv_a_));
  // Queries
  ops::rope_apply(dq, heads_, nope_, rope_dim_, batch.positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::inverse);
  Tensor dq_flat = dq.view({n, heads_ * qk});
  if (q_rank_ > 0) {
    Tensor dcq_normed = linear_backward(dq_flat, a.cq_normed, store_.weight(q_b_), store_.grad(q_b_));
    Tensor dcq = Tensor::empty(a.cq.shape(), dt, dev);
    Tensor dw_q_norm = store_.grad(q_a_norm_);
    ops::rmsnorm_backward(dcq_normed, a.cq, store_.weight(q_a_norm_), a.cq_rstd, dcq, dw_q_norm);
    linear_backward(dcq, a.x, store_.weight(q_a_), dx, ops::Accumulate::yes, store_.grad(q_a_));
  } else {
    linear_backward(dq_flat, a.x, store_.weight(q_proj_), dx, ops::Accumulate::yes, store_.grad(q_proj_));
  }
  return dx;
}

}  // namespace r1

namespace r1 {

void MlaAttention::make_cache(int64_t slots, int64_t capacity, DType dtype, Device device, Tensor& k_cache,
                              Tensor& v_cache) const {
  k_cache = Tensor::zeros({slots, capacity, 1, kv_rank_ + rope_dim_}, dtype, device);  // [latent | rotary key]
  v_cache = Tensor();
}

Tensor MlaAttention::forward_cached(const Tensor& x, const CachedLayout& rows, Tensor& k_cache, Tensor& v_cache) const {
  const int64_t n = x.rows(), qk = nope_ + rope_dim_, lat = kv_rank_ + rope_dim_;
  const DType dt = x.dtype();
  const Device dev = x.device();
  // Queries, roped, as in the training forward: [N, H * qk]
  Tensor q;
  if (q_rank_ > 0) {
    Tensor cq = linear_forward(x, store_.weight(q_a_));
    Tensor cqn = Tensor::empty(cq.shape(), dt, dev), rstd = Tensor::empty({n}, stat_dtype_for(dt), dev);
    ops::rmsnorm_forward(cq, store_.weight(q_a_norm_), kMlaLatentNormEps, cqn, rstd);
    q = linear_forward(cqn, store_.weight(q_b_));
  } else {
    q = linear_forward(x, store_.weight(q_proj_));
  }
  Tensor q3 = q.view({n, heads_, qk});
  ops::rope_apply(q3, heads_, nope_, rope_dim_, rows.positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::forward);
  // The new rows' latent and rotary key go into the cache: [latent | rotary key]
  Tensor ckv_full = linear_forward(x, store_.weight(kv_a_));  // [N, kv_rank + rope]
  Tensor ckv = Tensor::empty({n, kv_rank_}, dt, dev), k_rope = Tensor::empty({n, rope_dim_}, dt, dev);
  ops::copy_columns(ckv_full, 0, ckv, 0, kv_rank_, ops::Accumulate::no);
  ops::copy_columns(ckv_full, kv_rank_, k_rope, 0, rope_dim_, ops::Accumulate::no);
  ops::rope_apply(k_rope, 1, 0, rope_dim_, rows.positions, rope_.cos, rope_.sin, layout_, ops::RopeDirection::forward);
  Tensor ckv_normed = Tensor::empty(ckv.shape(), dt, dev), rstd = Tensor::empty({n}, stat_dtype_for(dt), dev);
  ops::rmsnorm_forward(ckv, store_.weight(kv_a_norm_), kMlaLatentNormEps, ckv_normed, rstd);
  Tensor cache2 = k_cache.view({-1, lat});
  ops::scatter_rows(ckv_normed, rows.cache_row, cache2, 0);
  ops::scatter_rows(k_rope, rows.cache_row, cache2, kv_rank_);
  // Absorbed queries [N, H, kv_rank + rope]: q_nope of head h times kv_b_proj's key rows of head h.
  const Tensor& w_kv_b = store_.weight(kv_b_);  // [H (nope + v), kv_rank]
  Tensor q_abs = Tensor::empty({n, heads_ * lat}, dt, dev);
  Tensor q_part = Tensor::empty({n, nope_}, dt, dev), q_lat = Tensor::empty({n, kv_rank_}, dt, dev);
  for (int64_t h = 0; h < heads_; ++h) {
    Tensor w_uk = w_kv_b.flat(h * (nope_ + v_dim_) * kv_rank_, {nope_, kv_rank_});
    ops::copy_columns(q, h * qk, q_part, 0, nope_, ops::Accumulate::no);
    ops::gemm(q_part, ops::Trans::no, w_uk, ops::Trans::no, q_lat, 1.0, 0.0);
    ops::copy_columns(q_lat, 0, q_abs, h * lat, kv_rank_, ops::Accumulate::no);
    ops::copy_columns(q, h * qk + nope_, q_abs, h * lat + kv_rank_, rope_dim_, ops::Accumulate::no);
  }
  // Attention over the latent cache (one shared kv head; values = the latent part of each key).
  Tensor o_lat = Tensor::empty({n, heads_, kv_rank_}, dt, dev);
  ops::attention_cached(q_abs.view({n, heads_, lat}), k_cache, Tensor(), kv_rank_, rows.row_slot, rows.positions, scale_,
                        o_lat);
  // Back from the latent: head h's output times kv_b_proj's value rows of head h, transposed.
  Tensor o2 = o_lat.view({n, heads_ * kv_rank_});
  Tensor attn = Tensor::empty({n, heads_ * v_dim_}, dt, dev), o_part = Tensor::empty({n, v_dim_}, dt, dev);
  for (int64_t h = 0; h < heads_; ++h) {
    Tensor w_uv = w_kv_b.flat((h * (nope_ + v_dim_) + nope_) * kv_rank_, {v_dim_, kv_rank_});
    ops::copy_columns(o2, h * kv_rank_, q_lat, 0, kv_rank_, ops::Accumulate::no);
    ops::gemm(q_lat, ops::Trans::no, w_uv, ops::Trans::yes, o_part, 1.0, 0.0);
    ops::copy_columns(o_part, 0, attn, h * v_dim_, v_dim_, ops::Accumulate::no);
  }
  (void)v_cache;
  return linear_forward(attn, store_.weight(o_));
}

}  // namespace r1
