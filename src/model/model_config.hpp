// ModelConfig: the architecture, with Hugging Face config.json key names so import/export and
// outside comparisons are a direct mapping. One code path covers DeepSeek-V3 (MLA attention, MoE
// with shared + routed experts and sigmoid routing, first_k_dense_replace dense layers, multi-token
// prediction), dense Qwen2/Llama (GQA, optional q/k/v bias, tied embeddings), Qwen3 (GQA with a
// per-head RMSNorm of q and k before RoPE) and Qwen3-MoE (Qwen3 attention, softmax-routed experts
// on every layer, no shared experts and no balancing bias).
#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "core/config_visitor.hpp"

namespace r1 {

// The model's enumerated choices, spelled as Hugging Face spells them (model_type, rope_type,
// scoring_func); one table each (model_config.cpp).
enum class Architecture { deepseek_v3, qwen2, llama, qwen3, qwen3_moe };
enum class RopeScalingType { none, linear, yarn, llama3 };
enum class ScoringFunc { sigmoid, softmax };
const EnumNames<Architecture>& architecture_names();
const EnumNames<RopeScalingType>& rope_scaling_type_names();
const EnumNames<ScoringFunc>& scoring_func_names();
inline const std::string& to_string(Architecture e) { return enum_name(e, architecture_names()); }
inline const std::string& to_string(RopeScalingType e) { return enum_name(e, rope_scaling_type_names()); }
inline const std::string& to_string(ScoringFunc e) { return enum_name(e, scoring_func_names()); }
inline std::ostream& operator<<(std::ostream& os, Architecture e) { return os << to_string(e); }
// The architecture a Hugging Face model_type names, if r1 implements it.
std::optional<Architecture> architecture_from_name(const std::string& name);

struct RopeScalingConfig {
  RopeScalingType type = RopeScalingType::none;
  double factor = 1.0;
  int64_t original_max_position_embeddings = 4096;  // YaRN and llama3: the pre-extension context
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3's wavelength bounds
  double beta_fast = 32.0, beta_slow = 1.0;
  double mscale = 1.0, mscale_all_dim = 0.0;  // DeepSeek's YaRN attention-scale terms
  void visit(ConfigVisitor& v);
};

struct ModelConfig {
  // A Hugging Face model folder: its config.json sets every architecture key below (the recipe's own
  // training keys router_bias_update_speed, seq_aux_loss_alpha and mtp_loss_weight stay the
  // recipe's), and the run starts from its weights, tokenizer and generation settings
  // (rl/hf_recipe.hpp). "" = the architecture is the keys below.
  std::string from_hf;
  Architecture architecture = Architecture::deepseek_v3;
  int64_t vocab_size = 512;
  int64_t hidden_size = 64;
  int64_t intermediate_size = 128;  // dense SwiGLU width (first_k_dense_replace layers, dense models)
  int64_t num_hidden_layers = 2;
  int64_t num_attention_heads = 4;
  int64_t num_key_value_heads = 4;  // GQA (qwen2/llama)
  int64_t head_dim = 0;             // GQA head width; 0 = hidden_size / num_attention_heads
  bool attention_bias = false;      // q/k/v bias (qwen2: true)
  // Multi-head Latent Attention (deepseek_v3)
  int64_t q_lora_rank = 0;  // 0 = full-rank q_proj
  int64_t kv_lora_rank = 32;
  int64_t qk_nope_head_dim = 16;
  int64_t qk_rope_head_dim = 8;
  int64_t v_head_dim = 16;
  // Mixture of experts (deepseek_v3, qwen3_moe); n_routed_experts = 0 makes every layer dense
  int64_t n_routed_experts = 0;
  int64_t n_shared_experts = 1;
  int64_t num_experts_per_tok = 2;
  int64_t moe_intermediate_size = 32;
  int64_t n_group = 1, topk_group = 1;
  double routed_scaling_factor = 1.0;
  bool norm_topk_prob = true;
  ScoringFunc scoring_func = ScoringFunc::sigmoid;
  int64_t first_k_dense_replace = 0;
  int64_t moe_layer_freq = 1;
  // Balance: aux-loss-free bias step and optional sequence-wise auxiliary loss weight
  double router_bias_update_speed = 0.001;
  double seq_aux_loss_alpha = 0.0;
  // Multi-token prediction
  int64_t num_nextn_predict_layers = 0;
  double mtp_loss_weight = 0.3;
  // Positions and norms
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  bool rope_interleave = true;  // DeepSeek-V3 pairs (x0,x1); false = rotate_half (Qwen2/Llama)
  RopeScalingConfig rope_scaling;
  int64_t max_position_embeddings = 2048;
  bool tie_word_embeddings = false;
  double initializer_range = 0.02;

  void visit(ConfigVisitor& v);
  // Cross-field rules; throws InputError naming `where` (file) and the keys involved.
  void validate(const std::string& where) const;

  bool is_mla() const { return architecture == Architecture::deepseek_v3; }
  // Qwen3: q_norm / k_norm ([head_dim] RMSNorm weights) applied to every q and k head before RoPE.
  bool has_qk_norm() const { return architecture == Architecture::qwen3 || architecture == Architecture::qwen3_moe; }
  // DeepSeek's aux-loss-free balancing bias (gate.e_score_correction_bias); Qwen3-MoE has none.
  bool router_has_bias() const { return architecture != Architecture::qwen3_moe; }
  bool is_moe_layer(int64_t layer) const;
  int64_t gqa_head_dim() const { return head_dim > 0 ? head_dim : hidden_size / num_attention_heads; }
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  int64_t rope_dim() const { return is_mla() ? qk_rope_head_dim : gqa_head_dim(); }
  double softmax_scale() const;  // including DeepSeek's YaRN mscale^2 term
};

}  // namespace r1
