// ModelConfig schema, validation and derived quantities.
#include "model/model_config.hpp"

#include <cmath>

#include "core/error.hpp"

namespace r1 {

const EnumNames<Architecture>& architecture_names() {
  static const EnumNames<Architecture> t = {{Architecture::deepseek_v3, "deepseek_v3"}, {Architecture::qwen2, "qwen2"},
                                            {Architecture::llama, "llama"},             {Architecture::qwen3, "qwen3"},
                                            {Architecture::qwen3_moe, "qwen3_moe"}};
  return t;
}

const EnumNames<RopeScalingType>& rope_scaling_type_names() {
  static const EnumNames<RopeScalingType> t = {{RopeScalingType::none, "none"}, {RopeScalingType::linear, "linear"},
                                               {RopeScalingType::yarn, "yarn"}, {RopeScalingType::llama3, "llama3"}};
  return t;
}

const EnumNames<ScoringFunc>& scoring_func_names() {
  static const EnumNames<ScoringFunc> t = {{ScoringFunc::sigmoid, "sigmoid"}, {ScoringFunc::softmax, "softmax"}};
  return t;
}

std::optional<Architecture> architecture_from_name(const std::string& name) {
  for (const auto& [e, spelling] : architecture_names())
    if (spelling == name) return e;
  return std::nullopt;
}

void RopeScalingConfig::visit(ConfigVisitor& v) {
  choice(v, "type", type, rope_scaling_type_names(), "RoPE context-extension method");
  v.field("factor", factor, "scaling factor (positions / factor for linear; YaRN's s)", at_least(1.0));
  v.field("original_max_position_embeddings", original_max_position_embeddings, "YaRN, llama3: pre-extension context",
          at_least(1));
  v.field("low_freq_factor", low_freq_factor, "llama3: wavelengths above original / low_freq_factor are divided by factor",
          greater_than(0));
  v.field("high_freq_factor", high_freq_factor, "llama3: wavelengths below original / high_freq_factor are kept",
          greater_than(0));
  v.field("beta_fast", beta_fast, "YaRN: high-frequency boundary (rotations)", greater_than(0));
  v.field("beta_slow", beta_slow, "YaRN: low-frequency boundary (rotations)", greater_than(0));
  v.field("mscale", mscale, "YaRN: magnitude scale of cos/sin", at_least(0));
  v.field("mscale_all_dim", mscale_all_dim, "DeepSeek YaRN: attention softmax scale term (0 = off)", at_least(0));
}

void ModelConfig::visit(ConfigVisitor& v) {
  v.field("from_hf", from_hf, "Hugging Face model folder: architecture, weights, tokenizer and chat template from it");
  choice(v, "architecture", architecture, architecture_names(), "model family (HF model_type)");
  // Qwen3-MoE's router is softmax top-k without shared experts: its defaults, as transformers'.
  if (v.reading() && architecture == Architecture::qwen3_moe) {
    scoring_func = ScoringFunc::softmax;
    n_shared_experts = 0;
    routed_scaling_factor = 1.0;
    n_group = topk_group = 1;
    first_k_dense_replace = 0;
    moe_layer_freq = 1;
  }
  v.field("vocab_size", vocab_size, "vocabulary size (0 = the tokenizer's)", at_least(0));
  v.field("hidden_size", hidden_size, "residual stream width", at_least(1));
  v.field("intermediate_size", intermediate_size, "dense SwiGLU width", at_least(1));
  v.field("num_hidden_layers", num_hidden_layers, "decoder layers", at_least(1));
  v.field("num_attention_heads", num_attention_heads, "attention heads", at_least(1));
  v.field("num_key_value_heads", num_key_value_heads, "GQA key/value heads", at_least(1));
  v.field("head_dim", head_dim, "GQA head width (0 = hidden_size / heads)", at_least(0));
  v.field("attention_bias", attention_bias, "q/k/v projection bias (qwen2)");
  v.field("q_lora_rank", q_lora_rank, "MLA query compression rank (0 = none)", at_least(0));
  v.field("kv_lora_rank", kv_lora_rank, "MLA key/value latent width", at_least(1));
  v.field("qk_nope_head_dim", qk_nope_head_dim, "MLA per-head non-rotary q/k width", at_least(1));
  v.field("qk_rope_head_dim", qk_rope_head_dim, "MLA decoupled rotary width", at_least(2));
  v.field("v_head_dim", v_head_dim, "MLA per-head value width", at_least(1));
  v.field("n_routed_experts", n_routed_experts, "routed experts per MoE layer (0 = dense model)", at_least(0));
  v.field("n_shared_experts", n_shared_experts, "shared experts per MoE layer", at_least(0));
  v.field("num_experts_per_tok", num_experts_per_tok, "routed experts per token (top-k)", at_least(1));
  v.field("moe_intermediate_size", moe_intermediate_size, "expert SwiGLU width", at_least(1));
  v.field("n_group", n_group, "expert groups for group-limited routing", at_least(1));
  v.field("topk_group", topk_group, "groups kept per token", at_least(1));
  v.field("routed_scaling_factor", routed_scaling_factor, "scale of routed expert weights", greater_than(0));
  v.field("norm_topk_prob", norm_topk_prob, "normalise the top-k weights");
  choice(v, "scoring_func", scoring_func, scoring_func_names(), "router affinity function");
  v.field("first_k_dense_replace", first_k_dense_replace, "leading layers with a dense FFN", at_least(0));
  v.field("moe_layer_freq", moe_layer_freq, "every k-th layer after the dense ones is MoE", at_least(1));
  v.field("router_bias_update_speed", router_bias_update_speed, "aux-loss-free balancing bias step (gamma)", at_least(0));
  v.field("seq_aux_loss_alpha", seq_aux_loss_alpha, "sequence-wise balance loss weight (0 = off)", at_least(0));
  v.field("num_nextn_predict_layers", num_nextn_predict_layers, "multi-token prediction depth (0 = off)", at_least(0));
  v.field("mtp_loss_weight", mtp_loss_weight, "weight of the MTP loss (lambda)", at_least(0));
  v.field("rms_norm_eps", rms_norm_eps, "RMSNorm epsilon", greater_than(0));
  v.field("rope_theta", rope_theta, "RoPE base", greater_than(1));
  // Default follows the architecture read above: DeepSeek pairs, Qwen2/Llama halves.
  if (v.reading()) rope_interleave = architecture == Architecture::deepseek_v3;
  v.field("rope_interleave", rope_interleave, "rotate adjacent pairs (default for deepseek_v3) instead of halves");
  section(v, "rope_scaling", rope_scaling, "RoPE scaling");
  v.field("max_position_embeddings", max_position_embeddings, "longest position", at_least(1));
  v.field("tie_word_embeddings", tie_word_embeddings, "share the embedding and the LM head");
  v.field("initializer_range", initializer_range, "std of normal weight init", greater_than(0));
}

bool ModelConfig::is_moe_layer(int64_t layer) const {
  return n_routed_experts > 0 && layer >= first_k_dense_replace && (layer % moe_layer_freq == 0);
}

double ModelConfig::softmax_scale() const {
  double s = 1.0 / std::sqrt(double(is_mla() ? qk_head_dim() : gqa_head_dim()));
  if (is_mla() && rope_scaling.type == RopeScalingType::yarn && rope_scaling.mscale_all_dim > 0 && rope_scaling.factor > 1) {
    double m = 0.1 * rope_scaling.mscale_all_dim * std::log(rope_scaling.factor) + 1.0;
    s *= m * m;
  }
  return s;
}

void ModelConfig::validate(const std::string& where) const {
  auto fail = [&](const std::string& msg) { throw InputError(where + ": model." + msg); };
  if (!is_mla()) {
    if (hidden_size % num_attention_heads != 0 && head_dim == 0)
      fail("num_attention_heads: " + std::to_string(num_attention_heads) + " does not divide hidden_size " +
           std::to_string(hidden_size) + " (set head_dim)");
    if (num_attention_heads % num_key_value_heads != 0)
      fail("num_key_value_heads: " + std::to_string(num_key_value_heads) + " does not divide num_attention_heads " +
           std::to_string(num_attention_heads));
    if (gqa_head_dim() % 2) fail("head_dim: must be even for RoPE");
    if (n_routed_experts > 0 && architecture != Architecture::qwen3_moe)
      fail("n_routed_experts: MoE layers need architecture deepseek_v3 or qwen3_moe (got " + to_string(architecture) + ")");
    if (num_nextn_predict_layers > 0) fail("num_nextn_predict_layers: MTP needs architecture deepseek_v3");
  } else if (qk_rope_head_dim % 2) {
    fail("qk_rope_head_dim: must be even");
  }
  if (n_routed_experts > 0) {
    if (num_experts_per_tok > n_routed_experts)
      fail("num_experts_per_tok: " + std::to_string(num_experts_per_tok) + " exceeds n_routed_experts " +
           std::to_string(n_routed_experts));
    if (n_routed_experts % n_group != 0)
      fail("n_group: " + std::to_string(n_group) + " does not divide n_routed_experts " + std::to_string(n_routed_experts));
    if (topk_group > n_group) fail("topk_group: exceeds n_group");
    if (topk_group * (n_routed_experts / n_group) < num_experts_per_tok)
      fail("topk_group: the kept groups hold fewer experts than num_experts_per_tok");
    if (n_group > 1 && n_routed_experts / n_group < 2)
      fail("n_group: group-limited routing needs at least 2 experts per group");
  }
  if (first_k_dense_replace > num_hidden_layers) fail("first_k_dense_replace: exceeds num_hidden_layers");
  if (architecture == Architecture::qwen3_moe) {
    // transformers' Qwen3MoeSparseMoeBlock: softmax over all experts, top-k, optional renormalisation.
    auto fixed = [&](bool ok, const std::string& key, const std::string& want) {
      if (!ok) fail(key + ": must be " + want + " for architecture qwen3_moe (Qwen3-MoE's router)");
    };
    fixed(scoring_func == ScoringFunc::softmax, "scoring_func", "softmax");
    fixed(n_shared_experts == 0, "n_shared_experts", "0 (no shared experts)");
    fixed(routed_scaling_factor == 1.0, "routed_scaling_factor", "1");
    fixed(n_group == 1 && topk_group == 1, "n_group", "1 with topk_group 1 (no group-limited routing)");
    fixed(first_k_dense_replace == 0 && moe_layer_freq == 1, "first_k_dense_replace",
          "0 with moe_layer_freq 1 (every layer MoE: decoder_sparse_step 1, mlp_only_layers [])");
  }
  if (rope_scaling.type != RopeScalingType::none && rope_scaling.factor < 1) fail("rope_scaling.factor: must be >= 1");
  if (rope_scaling.type == RopeScalingType::llama3 && !(rope_scaling.high_freq_factor > rope_scaling.low_freq_factor))
    fail("rope_scaling.high_freq_factor: must exceed low_freq_factor (llama3)");
}

}  // namespace r1
