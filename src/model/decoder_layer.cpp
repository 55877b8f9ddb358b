// DecoderLayer forward/backward.
#include "model/decoder_layer.hpp"

#include "kernels/ops.hpp"
#include "model/precision.hpp"

namespace r1 {

DecoderLayer::DecoderLayer(const ModelConfig& c, int64_t layer_index, const std::string& prefix, ParamStore& store,
                           const RopeTables& rope, ExpertRange experts, TensorComm* ep)
    : store_(store), eps_(c.rms_norm_eps) {
  input_norm_ = store.declare(prefix + ".input_layernorm.weight", {c.hidden_size}, ParamInit::ones, false);
  attn_ = make_attention(c, prefix, store, rope);
  post_norm_ = store.declare(prefix + ".post_attention_layernorm.weight", {c.hidden_size}, ParamInit::ones, false);
  ffn_ = make_feed_forward(c, layer_index, prefix, store, experts, ep);
}

Tensor DecoderLayer::forward(const Tensor& x, const BatchLayout& batch, LayerActs& a) const {
  const int64_t n = x.rows();
  a.x = x;
  a.h1 = Tensor::empty(x.shape(), x.dtype(), x.device());
  a.rstd1 = Tensor::empty({n}, stat_dtype_for(x.dtype()), x.device());
  ops::rmsnorm_forward(x, store_.weight(input_norm_), eps_, a.h1, a.rstd1);
  Tensor attn_out = attn_->forward(a.h1, batch, a.attn);  // [N, d]
  a.x2 = Tensor::empty(x.shape(), x.dtype(), x.device());
  a.h2 = Tensor::empty(x.shape(), x.dtype(), x.device());
  a.rstd2 = Tensor::empty({n}, stat_dtype_for(x.dtype()), x.device());
  ops::add_rmsnorm_forward(x, attn_out, store_.weight(post_norm_), eps_, a.x2, a.h2, a.rstd2);  // x2, norm2(x2)
  Tensor out = ffn_->forward(a.h2, batch, a.ffn);  // [N, d]
  ops::add(out, a.x2, out);
  return out;
}

Tensor DecoderLayer::backward(const Tensor& dy, const BatchLayout& batch, LayerActs& a) const {
  // out = x2 + ffn(norm2(x2)),  x2 = x + attn(norm1(x))
  Tensor dh2 = ffn_->backward(dy, batch, a.ffn);
  Tensor dx2 = Tensor::empty(dy.shape(), dy.dtype(), dy.device());
  Tensor dw_post = store_.grad(post_norm_);
  ops::rmsnorm_backward(dh2, a.x2, store_.weight(post_norm_), a.rstd2, dx2, dw_post);
  ops::add(dx2, dy, dx2);
  Tensor dh1 = attn_->backward(dx2, batch, a.attn);
  Tensor dx = Tensor::empty(dy.shape(), dy.dtype(), dy.device());
  Tensor dw_in = store_.grad(input_norm_);
  ops::rmsnorm_backward(dh1, a.x, store_.weight(input_norm_), a.rstd1, dx, dw_in);
  ops::add(dx, dx2, dx);
  return dx;
}

DecoderLayer::ResidualSum DecoderLayer::forward_cached(const ResidualSum& x, const CachedLayout& rows, Tensor& k_cache,
                                                       Tensor& v_cache) const {
  const Tensor& residual = x.residual;
  const int64_t n = residual.rows();
  Tensor h = Tensor::empty(residual.shape(), residual.dtype(), residual.device());
  Tensor rstd = Tensor::empty({n}, stat_dtype_for(residual.dtype()), residual.device());
  Tensor x_sum = x.delta.defined() ? x.delta : residual;  // the layer input (a sum: in the delta's buffer)
  if (x.delta.defined())
    ops::add_rmsnorm_forward(residual, x.delta, store_.weight(input_norm_), eps_, x_sum, h, rstd);
  else
    ops::rmsnorm_forward(residual, store_.weight(input_norm_), eps_, h, rstd);
  Tensor x2 = attn_->forward_cached(h, rows, k_cache, v_cache);
  ops::add_rmsnorm_forward(x_sum, x2, store_.weight(post_norm_), eps_, x2, h, rstd);  // x2 = x + attn, h = norm2(x2)
  BatchLayout no_seqs;  // the FFN needs sequences only for the balance loss, off here
  no_seqs.tokens = n;
  FfnActs scratch;
  return {x2, ffn_->forward(h, no_seqs, scratch)};  // out = x2 + ffn(h), added by the next norm
}

}  // namespace r1
