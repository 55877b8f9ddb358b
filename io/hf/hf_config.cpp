// config.json <-> ModelConfig (see hf_config.hpp): per-model_type defaults and fixed behaviours,
// checks of the settings r1 cannot reproduce, and the key list transformers expects on writing.
#include "io/hf/hf_config.hpp"

#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.hpp"
#include "io/hf/hf_config_fields.hpp"
#include "io/hf/hf_config_rope.hpp"

namespace r1 {

namespace {

namespace fs = std::filesystem;

// Keys of ModelConfig handled here rather than by the generic field mapping.
// from_hf is r1's pointer to the folder itself, never part of a config.json.
const std::set<std::string> kSpecialKeys = {"from_hf", "architecture", "attention_bias", "rope_interleave", "q_lora_rank",
                                            "head_dim", "num_key_value_heads", "rope_theta"};

// Keys a config must have for the model's shapes to be known.
const std::vector<std::string> kRequiredKeys = {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                                                "num_attention_heads"};
const std::vector<std::string> kRequiredDeepseekKeys = {"kv_lora_rank",     "qk_nope_head_dim",      "qk_rope_head_dim",
                                                        "v_head_dim",       "n_routed_experts",      "moe_intermediate_size",
                                                        "num_experts_per_tok"};

// The transformers class defaults of the keys that are not required.
ModelConfig hf_defaults(const std::string& model_type) {
  ModelConfig c;
  c.architecture = architecture_from_name(model_type).value();  // checked by the caller
  c.rms_norm_eps = 1e-6;
  c.initializer_range = 0.02;
  c.tie_word_embeddings = false;
  c.head_dim = 0;
  if (model_type == "deepseek_v3") {
    c.max_position_embeddings = 4096;
    c.q_lora_rank = 1536;
    c.n_shared_experts = 1;
    c.routed_scaling_factor = 2.5;
    c.n_group = 8;
    c.topk_group = 4;
    c.first_k_dense_replace = 3;
    c.norm_topk_prob = true;
    c.scoring_func = ScoringFunc::sigmoid;
    c.moe_layer_freq = 1;
    c.num_nextn_predict_layers = 0;
    c.rope_interleave = true;
    c.attention_bias = false;
  } else {
    c.max_position_embeddings = model_type == "llama" ? 2048 : 32768;
    c.rope_interleave = false;
    c.attention_bias = model_type == "qwen2";
    if (model_type == "qwen3") c.head_dim = 128;  // Qwen3Config's default (Qwen3-MoE derives it)
    if (model_type == "qwen3_moe") {  // Qwen3MoeConfig's defaults
      c.n_routed_experts = 128;
      c.num_experts_per_tok = 8;
      c.moe_intermediate_size = 768;
      c.norm_topk_prob = false;
    }
  }
  return c;
}

std::string architectures_name(const std::string& model_type) {
  if (model_type == "deepseek_v3") return "DeepseekV3ForCausalLM";
  if (model_type == "qwen2") return "Qwen2ForCausalLM";
  if (model_type == "qwen3") return "Qwen3ForCausalLM";
  if (model_type == "qwen3_moe") return "Qwen3MoeForCausalLM";
  return "LlamaForCausalLM";
}

// Reads `key` as an integer or null (null -> `if_null`); absent leaves `value`.
void read_nullable_int(const nlohmann::json& j, const char* key, int64_t if_null, int64_t& value,
                       std::set<std::string>& consumed, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return;
  consumed.insert(key);
  if (it->is_null()) {
    value = if_null;
    return;
  }
  R1_INPUT_CHECK(it->is_number_integer() && it->get<int64_t>() >= 0, where, ": key '", key,
                 "' must be a non-negative integer or null, got ", it->dump());
  value = it->get<int64_t>();
}

// A key that must hold `expected` (when present) because r1 implements only that behaviour.
void require_value(const nlohmann::json& j, const char* key, const nlohmann::json& expected, const std::string& why,
                   std::set<std::string>& consumed, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return;
  consumed.insert(key);
  bool same = (it->is_number() && expected.is_number()) ? it->get<double>() == expected.get<double>() : *it == expected;
  R1_INPUT_CHECK(same, where, ": key '", key, "' = ", it->dump(), " is not supported: ", why);
}

// Checks of keys that describe behaviour r1 does not implement.
void check_unsupported(const nlohmann::json& j, const std::string& model_type, std::set<std::string>& consumed,
                       const std::string& where) {
  require_value(j, "hidden_act", "silu", "r1's MLPs use SiLU (SwiGLU)", consumed, where);
  require_value(j, "attention_dropout", 0.0, "r1 has no attention dropout", consumed, where);
  require_value(j, "mlp_bias", false, "r1's MLPs have no biases", consumed, where);
  require_value(j, "use_sliding_window", false, "r1 has no sliding-window attention", consumed, where);
  require_value(j, "partial_rotary_factor", 1.0, "r1 rotates the whole rotary head dimension", consumed, where);
  if (model_type == "deepseek_v3")
    require_value(j, "topk_method", "noaux_tc",
                  "r1's router is DeepSeek-V3's (sigmoid or softmax scores, bias-corrected group-limited top-k)",
                  consumed, where);
  if (auto it = j.find("layer_types"); it != j.end()) {
    consumed.insert("layer_types");
    R1_INPUT_CHECK(it->is_array(), where, ": key 'layer_types' must be a list");
    for (const nlohmann::json& t : *it)
      R1_INPUT_CHECK(t == "full_attention", where, ": key 'layer_types' holds ", t.dump(),
                     ": only full_attention layers are supported");
  }
  // Sliding-window settings are inert while use_sliding_window is false (checked above).
  for (const char* key : {"sliding_window", "max_window_layers"})
    if (j.contains(key)) consumed.insert(key);
}

// DeepSeek-V3/R1's block-wise FP8 (transformers' FineGrainedFP8Config): read into the block size.
void read_quantization(const nlohmann::json& j, HfConfigImport& out, std::set<std::string>& consumed,
                       const std::string& where) {
  auto it = j.find("quantization_config");
  if (it == j.end() || it->is_null()) {
    if (it != j.end()) consumed.insert("quantization_config");
    return;
  }
  consumed.insert("quantization_config");
  const std::string at = where + ": quantization_config";
  R1_INPUT_CHECK(it->is_object(), at, " must be an object, got ", it->dump());
  const nlohmann::json& q = *it;
  const std::string supported = " (r1 imports block-wise FP8 only: quant_method fp8, fmt e4m3, activation_scheme "
                                "dynamic, weight_block_size [rows, cols])";
  R1_INPUT_CHECK(q.value("quant_method", nlohmann::json()) == "fp8", at, ".quant_method: ",
                 q.value("quant_method", nlohmann::json()).dump(), " is not supported", supported);
  for (auto k = q.begin(); k != q.end(); ++k) {
    const std::string& key = k.key();
    if (key == "quant_method") continue;
    if (key == "fmt") {
      R1_INPUT_CHECK(*k == "e4m3", at, ".fmt: ", k->dump(), " is not supported", supported);
    } else if (key == "activation_scheme") {
      R1_INPUT_CHECK(*k == "dynamic", at, ".activation_scheme: ", k->dump(),
                     " is not supported (r1 dequantizes the weights and computes in bf16/f32)");
    } else if (key == "weight_block_size") {
      R1_INPUT_CHECK(k->is_array() && k->size() == 2 && (*k)[0].is_number_integer() && (*k)[1].is_number_integer() &&
                         (*k)[0].get<int64_t>() >= 1 && (*k)[1].get<int64_t>() >= 1,
                     at, ".weight_block_size must be two positive integers, got ", k->dump());
      out.fp8_block_rows = (*k)[0].get<int64_t>();
      out.fp8_block_cols = (*k)[1].get<int64_t>();
    } else if (key == "modules_to_not_convert" || key == "dequantize") {
      // Which modules were left unquantized shows in the weights themselves (no _scale_inv); dequantize
      // is what r1 does anyway.
    } else {
      throw InputError(at + "." + key + ": not supported" + supported);
    }
  }
  R1_INPUT_CHECK(out.fp8_block_rows > 0, at, ".weight_block_size is missing", supported);
}

}  // namespace

HfConfigImport hf_config_from_json(const nlohmann::json& j, const std::string& where) {
  R1_INPUT_CHECK(j.is_object(), where, ": not a JSON object");
  std::set<std::string> consumed;
  auto model_type_it = j.find("model_type");
  R1_INPUT_CHECK(model_type_it != j.end() && model_type_it->is_string(), where, ": key 'model_type' is missing");
  const std::string model_type = model_type_it->get<std::string>();
  R1_INPUT_CHECK(architecture_from_name(model_type).has_value(), where, ": model_type '", model_type, "' is not supported (deepseek_v3, qwen2, llama, qwen3, qwen3_moe)");
  consumed.insert("model_type");
  std::vector<std::string> required = kRequiredKeys;
  if (model_type == "deepseek_v3") required.insert(required.end(), kRequiredDeepseekKeys.begin(), kRequiredDeepseekKeys.end());
  for (const std::string& key : required) R1_INPUT_CHECK(j.contains(key), where, ": key '", key, "' is missing");

  HfConfigImport result;
  ModelConfig& c = result.model;
  c = hf_defaults(model_type);
  hf::read_model_fields(j, kSpecialKeys, c, consumed, where);
  check_unsupported(j, model_type, consumed, where);
  read_quantization(j, result, consumed, where);
  if (model_type == "qwen3_moe") {
    // Published Qwen3-MoE configs say num_experts; transformers 5 saves it as num_local_experts.
    read_nullable_int(j, "num_experts", 0, c.n_routed_experts, consumed, where);
    if (j.contains("num_local_experts")) {
      const int64_t named = c.n_routed_experts;
      read_nullable_int(j, "num_local_experts", 0, c.n_routed_experts, consumed, where);
      R1_INPUT_CHECK(!j.contains("num_experts") || named == c.n_routed_experts, where,
                     ": keys 'num_experts' and 'num_local_experts' disagree (", named, " vs ", c.n_routed_experts, ")");
    }
    require_value(j, "decoder_sparse_step", 1, "r1 makes every Qwen3-MoE layer sparse", consumed, where);
    if (auto it = j.find("mlp_only_layers"); it != j.end()) {
      consumed.insert("mlp_only_layers");
      R1_INPUT_CHECK(it->is_null() || (it->is_array() && it->empty()), where, ": key 'mlp_only_layers' = ", it->dump(),
                     " is not supported: r1 makes every Qwen3-MoE layer sparse (mlp_only_layers [])");
    }
  }

  c.num_key_value_heads = c.num_attention_heads;
  read_nullable_int(j, "num_key_value_heads", c.num_attention_heads, c.num_key_value_heads, consumed, where);
  R1_INPUT_CHECK(c.num_key_value_heads >= 1, where, ": key 'num_key_value_heads' must be >= 1");
  read_nullable_int(j, "head_dim", 0, c.head_dim, consumed, where);
  read_nullable_int(j, "q_lora_rank", 0, c.q_lora_rank, consumed, where);
  if (model_type == "deepseek_v3") {
    if (auto it = j.find("qk_head_dim"); it != j.end()) {
      consumed.insert("qk_head_dim");
      R1_INPUT_CHECK(*it == c.qk_nope_head_dim + c.qk_rope_head_dim, where, ": key 'qk_head_dim' = ", it->dump(),
                     " differs from qk_nope_head_dim + qk_rope_head_dim = ", c.qk_nope_head_dim + c.qk_rope_head_dim);
    }
    if (auto it = j.find("rope_interleave"); it != j.end()) {
      consumed.insert("rope_interleave");
      R1_INPUT_CHECK(it->is_boolean(), where, ": key 'rope_interleave' must be true or false");
      c.rope_interleave = it->get<bool>();
    }
    require_value(j, "attention_bias", false, "r1's MLA projections have no biases", consumed, where);
  } else {
    require_value(j, "rope_interleave", false, "transformers' Qwen2/Llama rotate halves", consumed, where);
    if (model_type == "qwen3" || model_type == "qwen3_moe")
      require_value(j, "attention_bias", false,
                    "Qwen3's attention_bias also adds an o_proj bias, which r1 lacks", consumed, where);
    else if (model_type == "qwen2")
      require_value(j, "attention_bias", true,
                    "transformers' Qwen2 always has q/k/v biases (use model_type llama for a bias-free model)",
                    consumed, where);
    else
      require_value(j, "attention_bias", false,
                    "Llama's attention_bias also adds an o_proj bias, which r1 lacks (Qwen2 has q/k/v biases only)",
                    consumed, where);
  }
  hf::read_rope(j, c, consumed, where);
  for (const char* key : {"torch_dtype", "dtype"}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    consumed.insert(key);
    if (it->is_string()) result.torch_dtype = it->get<std::string>();
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!consumed.count(it.key())) result.ignored_keys.push_back(it.key());
  c.validate(where);
  return result;
}

HfConfigImport read_hf_config(const std::string& path) {
  std::error_code ec;
  const std::string file = fs::is_directory(path, ec) ? (fs::path(path) / "config.json").string() : path;
  std::ifstream in(file);
  R1_INPUT_CHECK(in, file, ": cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(file + ": not valid JSON: " + e.what());
  }
  return hf_config_from_json(j, file);
}

nlohmann::ordered_json hf_config_to_json(const ModelConfig& c, const std::string& torch_dtype) {
  const std::string& type = to_string(c.architecture);
  const bool mla = type == "deepseek_v3", qwen3 = type == "qwen3" || type == "qwen3_moe";
  auto cannot = [&](const std::string& key, const std::string& why) {
    throw InputError("model." + key + ": cannot be written as a Hugging Face " + type + " config: " + why);
  };
  if (c.vocab_size <= 0) cannot("vocab_size", "resolve it to the tokenizer's size first");
  if (mla) {
    if (c.attention_bias) cannot("attention_bias", "r1's MLA has no projection biases but transformers would add them");
    if (c.moe_layer_freq != 1) cannot("moe_layer_freq", "transformers' DeepseekV3 makes every layer after the dense ones MoE");
    if (c.scoring_func != ScoringFunc::sigmoid) cannot("scoring_func", "transformers' DeepseekV3 router uses sigmoid scores");
    if (c.n_routed_experts == 0 && c.first_k_dense_replace < c.num_hidden_layers)
      cannot("n_routed_experts", "a dense DeepseekV3 needs first_k_dense_replace = num_hidden_layers in transformers");
  } else {
    if (c.rope_interleave) cannot("rope_interleave", "transformers' Qwen2/Llama rotate halves (set rope_interleave: false)");
    if (type == "qwen2" && !c.attention_bias)
      cannot("attention_bias", "transformers' Qwen2 always has q/k/v biases (use architecture llama)");
    if ((type == "llama" || qwen3) && c.attention_bias)
      cannot("attention_bias", "transformers' " + type + " would add an o_proj bias (use architecture qwen2)");
  }

  const nlohmann::ordered_json fields = hf::model_fields_to_json(c);
  const nlohmann::ordered_json defaults = hf::model_fields_to_json(ModelConfig{});
  nlohmann::ordered_json out;
  out["architectures"] = {architectures_name(type)};
  out["model_type"] = type;
  out["torch_dtype"] = torch_dtype;
  for (const char* key : {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                          "num_key_value_heads"})
    out[key] = fields.at(key);
  if (c.head_dim > 0 || qwen3) out["head_dim"] = c.gqa_head_dim();  // Qwen3Config's default is 128, not derived
  if (mla || c.q_lora_rank > 0)
    out["q_lora_rank"] = c.q_lora_rank > 0 ? nlohmann::ordered_json(c.q_lora_rank) : nlohmann::ordered_json(nullptr);
  if (mla)
    for (const char* key : {"kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "n_routed_experts",
                            "n_shared_experts", "num_experts_per_tok", "moe_intermediate_size", "n_group", "topk_group",
                            "routed_scaling_factor", "norm_topk_prob", "scoring_func", "first_k_dense_replace",
                            "moe_layer_freq", "num_nextn_predict_layers"})
      out[key] = fields.at(key);
  if (type == "qwen3_moe") {
    out["num_experts"] = c.n_routed_experts;
    for (const char* key : {"num_experts_per_tok", "moe_intermediate_size", "norm_topk_prob"}) out[key] = fields.at(key);
    out["decoder_sparse_step"] = 1;
    out["mlp_only_layers"] = nlohmann::ordered_json::array();
  }
  for (const char* key : {"rms_norm_eps", "max_position_embeddings", "tie_word_embeddings", "initializer_range"})
    out[key] = fields.at(key);
  // Behaviour the transformers classes fix or r1 supports in one form only.
  out["hidden_act"] = "silu";
  out["attention_dropout"] = 0.0;
  if (mla) {
    out["topk_method"] = "noaux_tc";
    out["rope_interleave"] = c.rope_interleave;
  }
  if (type == "qwen2" || qwen3) out["use_sliding_window"] = false;
  if (type != "qwen2") out["attention_bias"] = false;
  if (type == "llama") out["mlp_bias"] = false;
  out["use_cache"] = true;
  hf::write_rope(c, out);
  // Every other ModelConfig field under its own name when it differs from ModelConfig's default
  // (Qwen3-MoE's fixed router settings are implied by its model_type and not written).
  const std::set<std::string> implied =
      type == "qwen3_moe" ? std::set<std::string>{"n_routed_experts", "n_shared_experts", "scoring_func",
                                                  "routed_scaling_factor", "n_group", "topk_group",
                                                  "first_k_dense_replace", "moe_layer_freq"}
                          : std::set<std::string>{};
  for (auto it = fields.begin(); it != fields.end(); ++it)
    if (!out.contains(it.key()) && !kSpecialKeys.count(it.key()) && !implied.count(it.key()) &&
        it.value() != defaults.at(it.key()))
      out[it.key()] = it.value();
  return out;
}

void write_hf_config(const ModelConfig& c, const std::string& path, const std::string& torch_dtype) {
  std::error_code ec;
  const std::string file = fs::is_directory(path, ec) ? (fs::path(path) / "config.json").string() : path;
  const std::string text = hf_config_to_json(c, torch_dtype).dump(2) + "\n";
  {
    std::ofstream out(file + ".tmp");
    R1_INPUT_CHECK(out, file, ".tmp: cannot create");
    out << text;
    out.close();
    R1_INPUT_CHECK(out, file, ".tmp: write failed");
  }
  fs::rename(file + ".tmp", file, ec);
  R1_INPUT_CHECK(!ec, file, ": cannot rename into place: ", ec.message());
}

}  // namespace r1
