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
  // Generation's forward over cached keys/values. Input and output are each a residual and a delta
  // whose sum is the hidden state (delta undefined: the residual alone): the sum is formed inside the
  // next RMSNorm (add_rmsnorm_forward, the same bits as adding first), one pass fewer per layer.
  struct ResidualSum {
    Tensor residual, delta;
  };
  ResidualSum forward_cached(const ResidualSum& x, const CachedLayout& rows, Tensor& k_cache, Tensor& v_cache) const;
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
