// Attention modules of a decoder layer: grouped-query attention (Qwen2/Llama: q/k/v/o projections,
// optional q/k/v bias, RoPE on whole heads) and DeepSeek's Multi-head Latent Attention (low-rank
// query and key/value projections, a decoupled RoPE key shared by all heads). Both take the
// normalised hidden states [N, d] and return [N, d]; the forward saves what its backward needs in
// an AttentionActs record owned by the caller (one per micro-batch).
#pragma once
#include <memory>
#include <string>

#include "core/tensor.hpp"
#include "model/batch_layout.hpp"
#include "model/kv_cache.hpp"
#include "model/model_config.hpp"
#include "model/param_store.hpp"
#include "model/rope_table.hpp"

namespace r1 {

struct AttentionActs {
  Tensor x;                         // [N, d] input
  Tensor q, k, v;                   // [N, H, Dk] (roped), [N, Hkv, Dk] (roped), [N, Hkv, Dv]
  Tensor attn, lse;                 // [N, H, Dv], [N, H]
  // GQA with q/k norms (Qwen3) only: q and k before their norm, and the norms' rstd
  Tensor q_pre, k_pre;              // [N, H, D], [N, Hkv, D]
  Tensor q_rstd, k_rstd;            // [N H], [N Hkv]
  // MLA only
  Tensor cq, cq_normed, cq_rstd;    // [N, q_lora_rank] query latent (when q_lora_rank > 0)
  Tensor ckv, ckv_normed, ckv_rstd; // [N, kv_lora_rank] key/value latent
};

class Attention {
 public:
  virtual ~Attention() = default;
  virtual Tensor forward(const Tensor& x, const BatchLayout& batch, AttentionActs& acts) const = 0;
  // Returns dx [N, d]; accumulates parameter gradients.
  virtual Tensor backward(const Tensor& dy, const BatchLayout& batch, AttentionActs& acts) const = 0;
  // Generation: writes the rows' keys/values into this layer's cache, then attends over each row's
  // cached prefix. No activations are kept.
  virtual Tensor forward_cached(const Tensor& x, const CachedLayout& rows, Tensor& k_cache, Tensor& v_cache) const = 0;
  // Allocates this layer's cache tensors (v_cache left undefined when values live in the keys).
  virtual void make_cache(int64_t slots, int64_t capacity, DType dtype, Device device, Tensor& k_cache,
                          Tensor& v_cache) const = 0;
};

// Declares the attention parameters of layer `prefix` ("model.layers.3") in the store and returns the
// module (which reads the parameters from the store once it is allocated).
std::unique_ptr<Attention> make_attention(const ModelConfig& c, const std::string& prefix, ParamStore& store,
                                          const RopeTables& rope);

}  // namespace r1
