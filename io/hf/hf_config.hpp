// Hugging Face config.json <-> r1::ModelConfig for model_type deepseek_v3, qwen2, llama, qwen3 and
// qwen3_moe (num_experts <-> n_routed_experts; decoder_sparse_step 1 and mlp_only_layers [] only).
// ModelConfig uses config.json's key names, so most keys map one to one; this file handles the
// Hugging Face specific forms and behaviours:
//   - model_type <-> architecture; `q_lora_rank: null` <-> 0; `head_dim: null` <-> 0;
//     `num_key_value_heads` absent/null = num_attention_heads;
//   - RoPE as transformers 5 writes it (`rope_parameters` {rope_type, rope_theta, ...}) or as
//     transformers 4 / the original checkpoints do (`rope_theta` + `rope_scaling` {type|rope_type,
//     ...}); rope types default, linear, yarn and llama3, with YaRN's attention factor as
//     transformers computes it;
//   - `quantization_config` of block-wise FP8 checkpoints (DeepSeek-V3/R1 as published: quant_method
//     fp8, fmt e4m3, weight_block_size [128, 128], activation_scheme dynamic) is accepted and reported
//     in fp8_weight_block; the weights are dequantized on import (hf_checkpoint_source.cpp);
//   - behaviour fixed by the transformers class: Qwen2 always has q/k/v biases (attention_bias is
//     true whatever the file says, and `false` is rejected), Qwen2/Llama rotate halves (no
//     interleave), DeepSeek-V3 routes with sigmoid scores and bias correction (topk_method noaux_tc);
//   - missing keys take the transformers class defaults, except the shape-defining ones, which are
//     required.
// Settings r1 cannot reproduce (sliding windows in use, unknown rope types, attention dropout,
// activations other than silu, quantized weights, Llama's o_proj/MLP biases, ...) throw InputError
// naming the key. Keys that do not affect the model (use_cache, token ids, ...) are listed in
// `ignored_keys` for the caller to log.
//
// Writing produces a config.json transformers loads into the same architecture (model_type,
// architectures, torch_dtype, every key of the class; RoPE in both the transformers-5 and the
// legacy form) and throws InputError for settings the transformers class cannot express. Keys of
// ModelConfig that the class does not have (r1 training settings such as mtp_loss_weight, or
// fields of another family) are written under their own names when they differ from ModelConfig's
// defaults, so config -> json -> config is exact.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model_config.hpp"

namespace r1 {

struct HfConfigImport {
  ModelConfig model;
  std::string torch_dtype;                // "bfloat16", "float32", ... ("" when absent)
  std::vector<std::string> ignored_keys;  // keys present that do not affect the model
  // Block-wise FP8 weights: the [rows, cols] block of each <name>_scale_inv entry; {0, 0} = not quantized.
  int64_t fp8_block_rows = 0, fp8_block_cols = 0;
};

// `json` is a parsed config.json; `where` names it in errors. The result passes ModelConfig::validate.
HfConfigImport hf_config_from_json(const nlohmann::json& json, const std::string& where);
// `path` is a config.json file or a folder holding one.
HfConfigImport read_hf_config(const std::string& path);

nlohmann::ordered_json hf_config_to_json(const ModelConfig& config, const std::string& torch_dtype = "bfloat16");
// Writes `path` (a config.json file, or a folder that gets one) through a .tmp file.
void write_hf_config(const ModelConfig& config, const std::string& path, const std::string& torch_dtype = "bfloat16");

}  // namespace r1
