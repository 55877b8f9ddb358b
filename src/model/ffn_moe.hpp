// MoeFeedForward: DeepSeek-V3's mixture-of-experts block (see ffn.hpp for the step order), and
// Qwen3-MoE's (softmax top-k router without bias, no shared experts) as a configuration of it.
#pragma once
#include "model/ffn.hpp"

namespace r1 {

class MoeFeedForward final : public FeedForward {
 public:
  MoeFeedForward(const ModelConfig& c, const std::string& prefix, ParamStore& store, ExpertRange experts, TensorComm* ep);
  Tensor forward(const Tensor& x, const BatchLayout& batch, FfnActs& acts) const override;
  Tensor backward(const Tensor& dy, const BatchLayout& batch, FfnActs& acts) const override;
  bool is_moe() const override { return true; }

  int bias_param() const { return bias_; }  // -1 when the router has no balancing bias (Qwen3-MoE)
  int64_t experts() const { return n_experts_; }

 private:
  ParamStore& store_;
  ops::RouterParams router_;
  int64_t hidden_ = 0, inner_ = 0, n_experts_ = 0;
  ExpertRange local_;
  TensorComm* ep_ = nullptr;  // set when experts are spread over an expert-parallel group
  double aux_alpha_ = 0;
  int gate_ = -1, bias_ = -1;
  int first_gate_up_ = -1, last_gate_up_ = -1, first_down_ = -1, last_down_ = -1;
  bool has_shared_ = false;
  SwigluMlp shared_;
};

}  // namespace r1
