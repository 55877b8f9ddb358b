// Names and shapes shared by Hugging Face import and export: the parameter set an r1::Model of a
// config declares (its names are the Hugging Face names), and the Hugging Face tensors that are
// not r1 parameters — DeepSeek-V3's per-MTP-layer copies of the embedding and LM head, the fused
// expert tensors transformers 5 can save (mlp.experts.gate_up_proj [E, 2I, d], mlp.experts.down_proj
// [E, d, I]) and the rotary inv_freq buffers older checkpoints carry.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "model/model_config.hpp"

namespace r1 {

struct HfParam {
  std::string name;  // "model.layers.0.self_attn.q_a_proj.weight"
  Shape shape;
};

// Every parameter of a whole Model of `config`, in declaration order (embedding, decoder layers,
// final norm, LM head, MTP modules), declared without allocating any tensor (Model::declared_parameters).
std::vector<HfParam> model_parameter_list(const ModelConfig& config);

// "model.layers.<i>.<rest>" -> i (nullopt for other names or a malformed index).
std::optional<int64_t> hf_layer_index(const std::string& name);

// The MTP layer copies DeepSeek-V3 checkpoints carry: model.layers.<i>.embed_tokens.weight (equal to
// model.embed_tokens.weight) and model.layers.<i>.shared_head.head.weight (equal to the LM head).
enum class MtpCopy { embedding, head };
std::string mtp_copy_name(int64_t layer, MtpCopy what);

// transformers 5's fused expert tensors of one MoE layer.
enum class FusedExpertKind { gate_up, down };
struct FusedExpertName {
  int64_t layer = 0;
  FusedExpertKind kind = FusedExpertKind::gate_up;
};
std::optional<FusedExpertName> parse_fused_expert_name(const std::string& name);
std::string fused_expert_name(int64_t layer, FusedExpertKind kind);
// The per-expert name "model.layers.<l>.mlp.experts.<e>.<gate_proj|up_proj|down_proj>.weight" ->
// (layer, expert, which); nullopt for other names.
struct ExpertParamName {
  int64_t layer = 0, expert = 0;
  std::string projection;  // gate_proj | up_proj | down_proj
};
std::optional<ExpertParamName> parse_expert_param_name(const std::string& name);

// Rotary-embedding buffers (…rotary_emb.inv_freq): derived from config.json, never imported.
bool is_rotary_buffer_name(const std::string& name);

// Orders names as people read them: digit runs compare as numbers (layers.2 before layers.10).
bool natural_name_less(const std::string& a, const std::string& b);

}  // namespace r1
