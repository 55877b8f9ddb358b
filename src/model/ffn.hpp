// Feed-forward blocks of a decoder layer: the dense SwiGLU MLP (first_k_dense_replace layers, dense
// models, and the shared experts), and DeepSeek's MoE (sigmoid router with the aux-loss-free bias,
// routed experts over expert-sorted token rows with grouped GEMMs, shared experts added).
// The MoE forward is route -> permute -> (dispatch) -> experts -> (combine) -> unpermute so expert
// parallelism can put its all-to-all between the steps.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "kernels/ops_types.hpp"
#include "model/batch_layout.hpp"
#include "model/model_config.hpp"
#include "model/param_store.hpp"
#include "parallel/expert_exchange.hpp"
#include "parallel/tensor_comm.hpp"

namespace r1 {

struct MlpActs {
  Tensor x, gate_up, h;  // [N, d], [N, 2I], [N, I]
};

struct FfnActs {
  MlpActs dense;  // dense layers, and the shared experts of MoE layers
  // MoE only
  Tensor x;                        // [N, d]
  Tensor scores, topk_idx, topk_w; // [N, E], i32 [N, K], [N, K]
  ops::MoeRouting routing;
  ExpertExchangePlan exchange;     // expert parallelism: how rows moved to their experts' ranks
  std::vector<int64_t> local_offsets;  // row ranges of this rank's experts in the expert-major rows
  Tensor x_local, gate_up_p, h_p, y_p; // rows at this rank's experts: [R, d], [R, 2I], [R, I]; y_p [N K, d]
  Tensor dlogits_aux;              // d(balance loss)/d(router logits) [N, E], when the loss is on
  double aux_loss = 0;
  std::vector<int64_t> expert_load;  // tokens routed to each expert in this micro-batch
};

// SwiGLU MLP: down(silu(gate(x)) * up(x)); gate and up weights are declared adjacently.
class SwigluMlp {
 public:
  SwigluMlp() = default;
  SwigluMlp(const std::string& prefix, int64_t hidden, int64_t inner, ParamStore& store, ParamGroup group);
  Tensor forward(const Tensor& x, MlpActs& acts) const;
  Tensor backward(const Tensor& dy, MlpActs& acts) const;  // returns dx

 private:
  ParamStore* store_ = nullptr;
  int64_t hidden_ = 0, inner_ = 0;
  int gate_ = -1, up_ = -1, down_ = -1;
};

class FeedForward {
 public:
  virtual ~FeedForward() = default;
  virtual Tensor forward(const Tensor& x, const BatchLayout& batch, FfnActs& acts) const = 0;
  virtual Tensor backward(const Tensor& dy, const BatchLayout& batch, FfnActs& acts) const = 0;
  virtual bool is_moe() const { return false; }
};

// Which routed experts this rank holds (all of them without expert parallelism).
struct ExpertRange {
  int64_t begin = 0, end = 0;
};

// ep: the expert-parallel group's transport when this rank holds only some experts (null: all local).
std::unique_ptr<FeedForward> make_feed_forward(const ModelConfig& c, int64_t layer, const std::string& prefix,
                                               ParamStore& store, ExpertRange experts, TensorComm* ep);

}  // namespace r1
