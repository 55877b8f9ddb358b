// DecoderLayer: pre-norm transformer block — x + attn(norm(x)), then + ffn(norm(.)) — with the
// attention and feed-forward chosen by the config (MLA or GQA; MoE or dense SwiGLU).
#pragma once
#include <memory>
#include <string>

#include "model/attention.hpp"
#include "model/ffn.hpp"

namespace r1 {

struct LayerActs {
  Tensor x, h1, rstd1, x2, h2, rstd2;  // input, normed input, residual after attention, normed
  AttentionActs attn;
  FfnActs ffn;
};

class DecoderLayer {
 public:
  DecoderLayer(const ModelConfig& c, int64_t layer_index, const std::string& prefix, ParamStore& store,
               const RopeTables& rope, ExpertRange experts, TensorComm* ep = nullptr);
  Tensor forward(const Tensor& x, const BatchLayout& batch, LayerActs& acts) const;
  Tensor backward(const Tensor& dy, const BatchLayout& batch, LayerActs& acts) const;  // returns dx
  Tensor forward_cached(const Tensor& x, const CachedLayout& rows, Tensor& k_cache, Tensor& v_cache) const;
  const Attention& attention() const { return *attn_; }
  const FeedForward& ffn() const { return *ffn_; }

 private:
  ParamStore& store_;
  double eps_;
  int input_norm_ = -1, post_norm_ = -1;
  std::unique_ptr<Attention> attn_;
  std::unique_ptr<FeedForward> ffn_;
};

}  // namespace r1
