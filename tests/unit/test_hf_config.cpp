// Hugging Face config.json mapping (io/hf/hf_config.hpp) against files made by transformers' config
// classes (tests/data/make_hf_config_golden.py): each golden file read into ModelConfig must give
// the values transformers resolves for it (tests/data/hf/expected.json); config -> json -> config is
// exact; the writer's output equals the committed tests/data/hf/r1_written_*.json, which the script
// loads with transformers (the loadability check lives there); unsupported settings are InputErrors
// naming the key.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/test_support.hpp"
#include "core/error.hpp"
#include "io/hf/hf_config.hpp"
#include "io/hf/hf_config_fields.hpp"

using namespace r1;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kGoldens = {"deepseek_v3_tiny", "deepseek_v3_legacy", "qwen2_tiny", "llama_tiny"};

nlohmann::json load_json(const std::string& relative) {
  std::ifstream in(test::test_data_path(relative));
  return nlohmann::json::parse(in);
}

std::string golden_path(const std::string& stem) { return test::test_data_path("hf/" + stem + ".json"); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// All fields of a ModelConfig, rope_scaling included, as one JSON object.
nlohmann::ordered_json all_fields(const ModelConfig& c) {
  nlohmann::ordered_json j = hf::model_fields_to_json(c);
  const RopeScalingConfig& r = c.rope_scaling;
  j["rope_scaling"] = {{"type", r.type}, {"factor", r.factor},
                       {"original_max_position_embeddings", r.original_max_position_embeddings},
                       {"beta_fast", r.beta_fast}, {"beta_slow", r.beta_slow}, {"mscale", r.mscale},
                       {"mscale_all_dim", r.mscale_all_dim}};
  return j;
}

std::string import_error(const nlohmann::json& j) {
  try {
    hf_config_from_json(j, "edited/config.json");
  } catch (const InputError& e) {
    return e.what();
  }
  BOOST_FAIL("no InputError for " << j.dump());
  return "";
}

std::string export_error(const ModelConfig& c) {
  try {
    hf_config_to_json(c);
  } catch (const InputError& e) {
    return e.what();
  }
  BOOST_FAIL("no InputError writing the config");
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_hf_config)

BOOST_AUTO_TEST_CASE(golden_configs_resolve_like_transformers) {
  const nlohmann::json expected = load_json("hf/expected.json");
  for (const std::string& stem : kGoldens) {
    BOOST_TEST_CONTEXT("config " << stem) {
      HfConfigImport imported = read_hf_config(golden_path(stem));
      const ModelConfig& c = imported.model;
      const nlohmann::json& want = expected[stem];
      const nlohmann::ordered_json got = hf::model_fields_to_json(c);
      BOOST_TEST(to_string(c.architecture) == want["model_type"].get<std::string>());
      for (auto it = want.begin(); it != want.end(); ++it) {
        const std::string& key = it.key();
        if (key == "model_type" || key == "rope" || key == "mlp_bias" || key == "use_sliding_window") continue;
        BOOST_TEST_CONTEXT("key " << key) {
          if (key == "q_lora_rank") {
            BOOST_TEST(c.q_lora_rank == (it->is_null() ? 0 : it->get<int64_t>()));
          } else if (key == "head_dim") {
            BOOST_TEST(c.gqa_head_dim() == it->get<int64_t>());
          } else if (it->is_number_float()) {
            BOOST_TEST(got.at(key).get<double>() == it->get<double>());
          } else {
            BOOST_TEST(got.at(key).dump() == it->dump());
          }
        }
      }
      const nlohmann::json& rope = want["rope"];
      BOOST_TEST(c.rope_theta == rope["rope_theta"].get<double>());
      const std::string type = rope["rope_type"];
      BOOST_TEST(to_string(c.rope_scaling.type) == (type == "default" ? std::string("none") : type));
      const nlohmann::json& p = rope["parameters"];
      if (p.contains("factor")) BOOST_TEST(c.rope_scaling.factor == p["factor"].get<double>());
      if (type == "yarn") {
        BOOST_TEST(double(c.rope_scaling.original_max_position_embeddings) ==
                   p["original_max_position_embeddings"].get<double>());
        BOOST_TEST(c.rope_scaling.beta_fast == p["beta_fast"].get<double>());
        BOOST_TEST(c.rope_scaling.beta_slow == p["beta_slow"].get<double>());
        BOOST_TEST(c.rope_scaling.mscale == p["mscale"].get<double>());
        BOOST_TEST(c.rope_scaling.mscale_all_dim == p["mscale_all_dim"].get<double>());
      }
      // Behaviour fixed by the transformers modeling code rather than by keys: Qwen2Attention builds
      // q/k/v with bias=True; Qwen2/Llama apply rotate_half RoPE.
      if (c.architecture == Architecture::qwen2) BOOST_TEST(c.attention_bias);
      if (c.architecture != Architecture::deepseek_v3) BOOST_TEST(!c.rope_interleave);
    }
  }
  // The original checkpoint layout: extra keys are reported, the dtype is kept.
  HfConfigImport legacy = read_hf_config(golden_path("deepseek_v3_legacy"));
  BOOST_TEST(legacy.torch_dtype == "bfloat16");
  for (const char* key : {"auto_map", "aux_loss_alpha", "ep_size", "seq_aux", "bos_token_id", "use_cache"})
    BOOST_TEST((std::find(legacy.ignored_keys.begin(), legacy.ignored_keys.end(), key) != legacy.ignored_keys.end()),
               "ignored_keys lacks " << key);
  BOOST_TEST((std::find(legacy.ignored_keys.begin(), legacy.ignored_keys.end(), "hidden_size") == legacy.ignored_keys.end()));
  BOOST_TEST(legacy.model.num_nextn_predict_layers == 1);
  BOOST_TEST(legacy.model.moe_layer_freq == 1);
  BOOST_TEST((legacy.model.scoring_func == ScoringFunc::sigmoid));
}

BOOST_AUTO_TEST_CASE(config_json_config_round_trip_is_exact) {
  std::vector<ModelConfig> configs;
  for (const std::string& stem : kGoldens) configs.push_back(read_hf_config(golden_path(stem)).model);
  // r1-only training settings and fields of another family survive through their own keys.
  ModelConfig with_extras = configs[0];
  with_extras.mtp_loss_weight = 0.1 + 0.2;
  with_extras.router_bias_update_speed = 1.0 / 3.0;
  with_extras.seq_aux_loss_alpha = 1e-4;
  with_extras.rope_scaling.mscale = 0.707;
  with_extras.initializer_range = 0.006;
  configs.push_back(with_extras);
  ModelConfig qwen_extras = configs[2];
  qwen_extras.kv_lora_rank = 64;
  qwen_extras.q_lora_rank = 12;
  qwen_extras.head_dim = 32;
  qwen_extras.rms_norm_eps = 1.234567890123e-7;
  configs.push_back(qwen_extras);
  for (size_t i = 0; i < configs.size(); ++i) {
    BOOST_TEST_CONTEXT("config " << i) {
      const nlohmann::ordered_json written = hf_config_to_json(configs[i]);
      const ModelConfig back = hf_config_from_json(nlohmann::json::parse(written.dump()), "written").model;
      BOOST_TEST(all_fields(back).dump() == all_fields(configs[i]).dump());
    }
  }
  BOOST_TEST(hf_config_to_json(with_extras).contains("mtp_loss_weight"));
  BOOST_TEST(!hf_config_to_json(configs[0]).contains("mtp_loss_weight"));
  BOOST_TEST(hf_config_to_json(qwen_extras)["kv_lora_rank"] == 64);
  BOOST_TEST(hf_config_to_json(configs[0])["q_lora_rank"].is_null());
}

BOOST_AUTO_TEST_CASE(writer_output_is_the_transformers_checked_file) {
  // tests/data/make_hf_config_golden.py loads tests/data/hf/r1_written_*.json with transformers and
  // checks they resolve like the golden inputs; here the writer must still produce those bytes.
  for (const std::string& stem : kGoldens) {
    BOOST_TEST_CONTEXT("config " << stem) {
      const ModelConfig c = read_hf_config(golden_path(stem)).model;
      const std::string text = hf_config_to_json(c).dump(2) + "\n";
      const std::string committed_path = test::test_data_path("hf/r1_written_" + stem + ".json");
      std::ifstream in(committed_path);
      const std::string committed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (text != committed) {
        const std::string actual = (fs::temp_directory_path() / ("r1_written_" + stem + ".json")).string();
        std::ofstream(actual) << text;
        BOOST_ERROR("writer output differs from " << committed_path << "; new output in " << actual
                    << " (copy it over and rerun tests/data/make_hf_config_golden.py --check-only)");
      }
      // write_hf_config writes the same text into a folder's config.json.
      const fs::path dir = fs::temp_directory_path() / ("r1-test-hf-" + stem);
      fs::create_directories(dir);
      write_hf_config(c, dir.string());
      std::ifstream written(dir / "config.json");
      BOOST_TEST(std::string((std::istreambuf_iterator<char>(written)), std::istreambuf_iterator<char>()) == text);
      fs::remove_all(dir);
    }
  }
}

BOOST_AUTO_TEST_CASE(unsupported_settings_name_the_key) {
  const nlohmann::json qwen = load_json("hf/qwen2_tiny.json");
  const nlohmann::json llama = load_json("hf/llama_tiny.json");
  const nlohmann::json deepseek = load_json("hf/deepseek_v3_tiny.json");
  const nlohmann::json legacy = load_json("hf/deepseek_v3_legacy.json");
  struct Case {
    std::string name;
    nlohmann::json config;
    std::vector<std::string> must_contain;
  };
  auto with = [](nlohmann::json j, const std::string& key, const nlohmann::json& value) {
    j[key] = value;
    return j;
  };
  auto without = [](nlohmann::json j, const std::string& key) {
    j.erase(key);
    return j;
  };
  nlohmann::json llama3 = llama;
  llama3["rope_parameters"]["rope_type"] = "llama3";
  nlohmann::json attention_factor = deepseek;
  attention_factor["rope_parameters"]["attention_factor"] = 1.2;
  nlohmann::json legacy_dynamic = legacy;
  legacy_dynamic["rope_scaling"]["type"] = "dynamic";
  nlohmann::json legacy_longrope = legacy;
  legacy_longrope["rope_scaling"]["type"] = "longrope";
  nlohmann::json llama3_inverted = llama3;
  llama3_inverted["rope_parameters"].update({{"factor", 8.0}, {"original_max_position_embeddings", 256},
                                             {"low_freq_factor", 4.0}, {"high_freq_factor", 1.0}});
  auto qwen3 = with(llama, "model_type", "qwen3");
  auto qwen3_moe = with(with(qwen3, "model_type", "qwen3_moe"), "num_experts", 4);
  const nlohmann::json fp8 = {{"quant_method", "fp8"}, {"fmt", "e4m3"}, {"weight_block_size", {128, 128}},
                        {"activation_scheme", "dynamic"}};
  nlohmann::json mscale_alone = deepseek;
  mscale_alone["rope_parameters"].erase("mscale");
  const std::vector<Case> cases = {
      {"qwen2 without bias", with(qwen, "attention_bias", false), {"attention_bias", "Qwen2"}},
      {"sliding window", with(qwen, "use_sliding_window", true), {"use_sliding_window"}},
      {"sliding layers", with(qwen, "layer_types", {"full_attention", "sliding_attention"}), {"layer_types"}},
      {"llama3 rope without its keys", llama3, {"rope_parameters.original_max_position_embeddings", "llama3"}},
      {"llama3 frequency factors", llama3_inverted, {"low_freq_factor", "high_freq_factor"}},
      {"legacy dynamic rope", legacy_dynamic, {"rope_scaling.rope_type", "dynamic", "default, linear, yarn and llama3"}},
      {"longrope", legacy_longrope, {"rope_scaling.rope_type", "longrope", "llama3"}},
      {"qwen3 bias", with(qwen3, "attention_bias", true), {"attention_bias", "o_proj"}},
      {"qwen3_moe dense layers", with(qwen3_moe, "mlp_only_layers", {0}), {"mlp_only_layers"}},
      {"qwen3_moe sparse step", with(qwen3_moe, "decoder_sparse_step", 2), {"decoder_sparse_step"}},
      {"fp8 e5m2", with(legacy, "quantization_config", with(fp8, "fmt", "e5m2")),
       {"quantization_config.fmt", "e5m2"}},
      {"attention factor", attention_factor, {"rope_parameters.attention_factor"}},
      {"mscale_all_dim without mscale", mscale_alone, {"rope_parameters.mscale"}},
      {"topk method", with(legacy, "topk_method", "greedy"), {"topk_method", "greedy"}},
      {"fp8 without block size", with(legacy, "quantization_config", {{"quant_method", "fp8"}}),
       {"quantization_config.weight_block_size"}},
      {"other quantization", with(legacy, "quantization_config", {{"quant_method", "bitsandbytes"}}),
       {"quantization_config.quant_method", "bitsandbytes"}},
      {"activation", with(qwen, "hidden_act", "gelu"), {"hidden_act"}},
      {"dropout", with(qwen, "attention_dropout", 0.1), {"attention_dropout"}},
      {"llama bias", with(llama, "attention_bias", true), {"attention_bias", "o_proj"}},
      {"llama mlp bias", with(llama, "mlp_bias", true), {"mlp_bias"}},
      {"mla bias", with(deepseek, "attention_bias", true), {"attention_bias"}},
      {"missing key", without(qwen, "hidden_size"), {"hidden_size", "missing"}},
      {"missing mla key", without(deepseek, "kv_lora_rank"), {"kv_lora_rank", "missing"}},
      {"model type", with(qwen, "model_type", "mistral"), {"model_type", "mistral"}},
      {"wrong type", with(qwen, "hidden_size", "64"), {"hidden_size", "integer"}},
      {"out of range", with(qwen, "num_hidden_layers", 0), {"num_hidden_layers", ">= 1"}},
      {"cross-field rule", with(deepseek, "num_experts_per_tok", 9), {"num_experts_per_tok"}},
      {"qk_head_dim", with(deepseek, "qk_head_dim", 30), {"qk_head_dim"}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("case " << c.name) {
      const std::string e = import_error(c.config);
      BOOST_TEST(contains(e, "edited/config.json"), e);
      for (const std::string& part : c.must_contain) BOOST_TEST(contains(e, part), e);
    }
  }
  // Settings the transformers classes cannot express are refused on writing.
  ModelConfig q = read_hf_config(golden_path("qwen2_tiny")).model;
  ModelConfig interleaved = q;
  interleaved.rope_interleave = true;
  BOOST_TEST(contains(export_error(interleaved), "rope_interleave"));
  ModelConfig d = read_hf_config(golden_path("deepseek_v3_tiny")).model;
  ModelConfig sparse_moe = d;
  sparse_moe.moe_layer_freq = 2;
  BOOST_TEST(contains(export_error(sparse_moe), "moe_layer_freq"));
  ModelConfig lone_mscale = d;
  lone_mscale.rope_scaling.mscale_all_dim = 0;
  lone_mscale.rope_scaling.mscale = 0.5;
  BOOST_TEST(contains(export_error(lone_mscale), "mscale"));
  ModelConfig unresolved = q;
  unresolved.vocab_size = 0;
  BOOST_TEST(contains(export_error(unresolved), "vocab_size"));
}

BOOST_AUTO_TEST_SUITE_END()
