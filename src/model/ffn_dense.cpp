// The SwiGLU MLP and the dense feed-forward block built on it.
#include "kernels/ops.hpp"
#include "model/ffn.hpp"
#include "model/ffn_moe.hpp"
#include "model/linear.hpp"

namespace r1 {

SwigluMlp::SwigluMlp(const std::string& prefix, int64_t hidden, int64_t inner, ParamStore& store, ParamGroup group)
    : store_(&store), hidden_(hidden), inner_(inner) {
  gate_ = store.declare(prefix + ".gate_proj.weight", {inner, hidden}, ParamInit::normal, true, group);
  up_ = store.declare(prefix + ".up_proj.weight", {inner, hidden}, ParamInit::normal, true, group);
  down_ = store.declare(prefix + ".down_proj.weight", {hidden, inner}, ParamInit::normal, true, group);
}

Tensor SwigluMlp::forward(const Tensor& x, MlpActs& a) const {
  a.x = x;
  a.gate_up = linear_forward(x, store_->weight_span(gate_, up_, {2 * inner_, hidden_}));  // [N, 2I]
  a.h = Tensor::empty({x.rows(), inner_}, x.dtype(), x.device());
  ops::swiglu_forward(a.gate_up, a.h);
  return linear_forward(a.h, store_->weight(down_));  // [N, d]
}

Tensor SwigluMlp::backward(const Tensor& dy, MlpActs& a) const {
  Tensor dh = linear_backward(dy, a.h, store_->weight(down_), store_->grad(down_));  // [N, I]
  Tensor dgate_up = Tensor::empty(a.gate_up.shape(), dy.dtype(), dy.device());
  ops::swiglu_backward(a.gate_up, dh, dgate_up);
  return linear_backward(dgate_up, a.x, store_->weight_span(gate_, up_, {2 * inner_, hidden_}),
                         store_->grad_span(gate_, up_, {2 * inner_, hidden_}));
}

namespace {
class DenseFeedForward final : public FeedForward {
 public:
  DenseFeedForward(const std::string& prefix, int64_t hidden, int64_t inner, ParamStore& store)
      : mlp_(prefix + ".mlp", hidden, inner, store, ParamGroup::dense) {}
  Tensor forward(const Tensor& x, const BatchLayout&, FfnActs& acts) const override { return mlp_.forward(x, acts.dense); }
  Tensor backward(const Tensor& dy, const BatchLayout&, FfnActs& acts) const override { return mlp_.backward(dy, acts.dense); }

 private:
  SwigluMlp mlp_;
};
}  // namespace

std::unique_ptr<FeedForward> make_feed_forward(const ModelConfig& c, int64_t layer, const std::string& prefix,
                                               ParamStore& store, ExpertRange experts, TensorComm* ep) {
  if (c.is_moe_layer(layer)) return std::make_unique<MoeFeedForward>(c, prefix, store, experts, ep);
  return std::make_unique<DenseFeedForward>(prefix, c.hidden_size, c.intermediate_size, store);
}

}  // namespace r1
