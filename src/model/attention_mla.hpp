// MlaAttention: DeepSeek's Multi-head Latent Attention. Queries go through an optional low-rank
// bottleneck (q_a_proj -> RMSNorm -> q_b_proj); keys and values come from one compressed latent
// (kv_a_proj_with_mqa -> RMSNorm -> kv_b_proj) plus a decoupled rotary key shared by all heads.
// The latent and the rotary key are what a KV cache stores for generation.
#pragma once
#include "kernels/ops_types.hpp"
#include "model/attention.hpp"

namespace r1 {

// The latent norms (q_a_layernorm, kv_a_layernorm) use a fixed epsilon in DeepSeek-V3's reference
// implementation (RMSNorm's default), not rms_norm_eps.
constexpr double kMlaLatentNormEps = 1e-6;

class MlaAttention final : public Attention {
 public:
  MlaAttention(const ModelConfig& c, const std::string& prefix, ParamStore& store, const RopeTables& rope);
  Tensor forward(const Tensor& x, const BatchLayout& batch, AttentionActs& acts) const override;
  Tensor backward(const Tensor& dy, const BatchLayout& batch, AttentionActs& acts) const override;
  Tensor forward_cached(const Tensor& x, const CachedLayout& rows, Tensor& k_cache, Tensor& v_cache) const override;
  void make_cache(int64_t slots, int64_t capacity, DType dtype, Device device, Tensor& k_cache,
                  Tensor& v_cache) const override;

 private:
  ParamStore& store_;
  const RopeTables& rope_;
  int64_t hidden_ = 0, heads_ = 0, q_rank_ = 0, kv_rank_ = 0, nope_ = 0, rope_dim_ = 0, v_dim_ = 0;
  double scale_ = 1;
  ops::RopeLayout layout_ = ops::RopeLayout::interleaved;
  int q_proj_ = -1, q_a_ = -1, q_a_norm_ = -1, q_b_ = -1, kv_a_ = -1, kv_a_norm_ = -1, kv_b_ = -1, o_ = -1;
};

}  // namespace r1
