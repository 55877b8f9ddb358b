// GqaAttention: multi-head / grouped-query attention with RoPE (Qwen2 and Llama layouts, and Qwen3's,
// which RMS-normalises every q and k head before RoPE).
#pragma once
#include "model/attention.hpp"
#include "kernels/ops_types.hpp"

namespace r1 {

class GqaAttention final : public Attention {
 public:
  GqaAttention(const ModelConfig& c, const std::string& prefix, ParamStore& store, const RopeTables& rope);
  Tensor forward(const Tensor& x, const BatchLayout& batch, AttentionActs& acts) const override;
  Tensor backward(const Tensor& dy, const BatchLayout& batch, AttentionActs& acts) const override;
  Tensor forward_cached(const Tensor& x, const CachedLayout& rows, Tensor& k_cache, Tensor& v_cache) const override;
  void make_cache(int64_t slots, int64_t capacity, DType dtype, Device device, Tensor& k_cache,
                  Tensor& v_cache) const override;

 private:
  int64_t qkv_width() const;
  // Qwen3: qkv (+ bias) split into q [N, H, D], k [N, Hkv, D], v [N, Hkv, D], q and k RMS-normalised
  // per head, then roped. The pre-norm q/k and their rstd go to `acts` when given (training).
  void split_norm_rope(Tensor& qkv, const Tensor& b_qkv, const Tensor& positions, Tensor& q, Tensor& k, Tensor& v,
                       AttentionActs* acts) const;
  ParamStore& store_;
  const RopeTables& rope_;
  int64_t heads_ = 0, kv_heads_ = 0, head_dim_ = 0, hidden_ = 0;
  double scale_ = 1;
  ops::RopeLayout layout_ = ops::RopeLayout::half;
  int q_w_ = -1, v_w_ = -1, q_b_ = -1, v_b_ = -1, o_w_ = -1;
  int q_norm_ = -1, k_norm_ = -1;  // Qwen3's per-head norms (-1: none)
  double eps_ = 1e-6;
};

}  // namespace r1
