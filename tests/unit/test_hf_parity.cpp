// Hugging Face interop against transformers itself. Parity: tiny random DeepSeek-V3 (MLA with and
// without q_lora_rank, MoE with group-limited biased routing, YaRN, and block-quantized FP8 weights as
// published), Qwen2 (GQA, biases, tied), Llama (GQA, explicit head_dim; Llama-3.1 RoPE scaling),
// Qwen3 (per-head q/k norms) and Qwen3-MoE (softmax top-k experts) models saved by transformers' save_pretrained
// (tests/data/hf_parity, made by tests/data/make_hf_parity_golden.py; F32 per-expert and BF16 fused
// expert layouts) are imported through HfModelSource into a float64 r1 model, whose next-token
// log-probs (sequences from position 0 and one from position 1900, where rotary angles magnify any
// frequency rounding difference) must match transformers' float64 values to 1e-6 and its float32
// values to 1e-4. Mapping: export -> import gives back the same bits (f32; bf16 rounds to nearest
// even), sharded or not; DeepSeek-V3 MTP layers round-trip with their embedding/head copies, a
// differing copy is refused, missing MTP layers are imported as fewer; unknown, missing and
// mis-shaped tensors are refused, all listed.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_support.hpp"
#include "core/error.hpp"
#include "io/hf/hf_checkpoint_export.hpp"
#include "io/hf/hf_checkpoint_import.hpp"
#include "io/hf/hf_config.hpp"
#include "model/model.hpp"

using namespace r1;
using namespace r1::test;
namespace fs = std::filesystem;

namespace {

struct TempFolder {
  fs::path path;
  explicit TempFolder(const std::string& name)
      : path(fs::temp_directory_path() / ("r1_hf_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempFolder() { fs::remove_all(path); }
  std::string sub(const std::string& name) const {
    fs::create_directories(path / name);
    return (path / name).string();
  }
};

nlohmann::json golden() {
  std::ifstream in(test_data_path("hf_parity/golden.json"));
  BOOST_REQUIRE(in);
  return nlohmann::json::parse(in);
}

// The sequences packed into one batch: positions from `first`, target = next token, -1 at the end.
TokenBatch batch_of(const std::vector<std::vector<int32_t>>& seqs, const std::vector<int32_t>& first) {
  TokenBatch b;
  b.seqs.push_back(0);
  for (size_t k = 0; k < seqs.size(); ++k) {
    const auto& s = seqs[k];
    for (size_t i = 0; i < s.size(); ++i) {
      b.tokens.push_back(s[i]);
      b.positions.push_back(first[k] + int32_t(i));
      b.targets.push_back(i + 1 < s.size() ? s[i + 1] : -1);
    }
    b.seqs.push_back(int64_t(b.tokens.size()));
  }
  return b;
}

struct ParityResult {
  double max_diff_f64 = 0, max_diff_f32 = 0;
  int64_t compared = 0;
};

ParityResult parity_of(const std::string& name, const nlohmann::json& g, std::vector<std::string>* notes = nullptr) {
  HfModelSource source = HfModelSource::open(test_data_path("hf_parity/" + g.at("folder").get<std::string>()));
  if (notes) *notes = source.notes();
  Model model(source.config(), DType::f64, Device::host);
  load_hf_weights(source, model);
  auto seqs = g.at("sequences").get<std::vector<std::vector<int32_t>>>();
  auto ref64 = g.at("logp_f64").get<std::vector<std::vector<double>>>();
  auto ref32 = g.at("logp_f32").get<std::vector<std::vector<double>>>();
  TokenBatch batch = batch_of(seqs, g.at("first_positions").get<std::vector<int32_t>>());
  ModelActs acts;
  std::vector<double> logp = to_f64_vector(model.forward(batch, acts, ForwardMode::inference).logp);
  ParityResult r;
  size_t row = 0;
  for (size_t s = 0; s < seqs.size(); ++s) {
    BOOST_REQUIRE_EQUAL(ref64[s].size() + 1, seqs[s].size());
    for (size_t i = 0; i < seqs[s].size(); ++i, ++row) {
      if (i + 1 == seqs[s].size()) continue;
      r.max_diff_f64 = std::max(r.max_diff_f64, std::abs(logp[row] - ref64[s][i]));
      r.max_diff_f32 = std::max(r.max_diff_f32, std::abs(logp[row] - ref32[s][i]));
      ++r.compared;
    }
  }
  BOOST_TEST_MESSAGE(name << ": " << r.compared << " log-probs, max |r1 - transformers f64| = " << r.max_diff_f64
                          << ", max |r1 - transformers f32| = " << r.max_diff_f32);
  return r;
}

// Bitwise equality of every parameter of two sources.
void check_same_values(const HfModelSource& a, const HfModelSource& b) {
  BOOST_REQUIRE_EQUAL(a.parameters().size(), b.parameters().size());
  for (size_t i = 0; i < a.parameters().size(); ++i) {
    const HfParam& p = a.parameters()[i];
    BOOST_REQUIRE_EQUAL(p.name, b.parameters()[i].name);
    Tensor x = a.read(p), y = b.read(b.parameters()[i]);
    BOOST_REQUIRE(x.shape() == y.shape());
    BOOST_TEST(std::memcmp(x.raw(), y.raw(), x.nbytes()) == 0, p.name << " differs after the round trip");
  }
}

std::function<Tensor(const HfParam&)> reader_of(const HfModelSource& s) {
  return [&s](const HfParam& p) { return s.read(p); };
}

// A model's parameters as f32 tensors by name.
std::function<Tensor(const HfParam&)> reader_of(const Model& m) {
  return [&m](const HfParam& p) {
    const Tensor& v = m.params().value(m.params().find(p.name));
    Tensor out = Tensor::empty(p.shape, DType::f32);
    std::vector<float> f = to_f32_vector(v);
    std::copy(f.begin(), f.end(), out.data<float>());
    return out;
  };
}

ModelConfig deepseek_with_mtp(int64_t mtp) {
  ModelConfig c = HfModelSource::open(test_data_path("hf_parity/deepseek_v3")).config();
  c.num_nextn_predict_layers = mtp;
  return c;
}

// Writes `tensors` with config.json of `config` into a fresh folder.
std::string write_folder(const TempFolder& tmp, const std::string& name, const ModelConfig& config,
                         const std::vector<SafetensorsTensor>& tensors) {
  std::string folder = tmp.sub(name);
  write_hf_config(config, folder, "float32");
  write_safetensors_folder(folder, tensors);
  return folder;
}

std::vector<SafetensorsTensor> tensors_of(const std::string& folder) {
  SafetensorsFolder f = SafetensorsFolder::open(folder);
  std::vector<SafetensorsTensor> out;
  for (const std::string& n : f.names()) out.push_back({n, f.read(n), std::nullopt});
  return out;
}

std::string import_error(const std::string& folder) {
  try {
    HfModelSource::open(folder);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(test_hf_parity)

BOOST_AUTO_TEST_CASE(log_probs_match_transformers) {
  nlohmann::json g = golden();
  BOOST_TEST_MESSAGE("golden from transformers " << g.at("transformers_version").get<std::string>() << ", torch "
                                                 << g.at("torch_version").get<std::string>());
  for (const char* name :
       {"deepseek_v3", "deepseek_v3_yarn", "qwen2", "llama", "llama3_rope", "qwen3", "qwen3_moe", "deepseek_v3_fp8"}) {
    BOOST_TEST_CONTEXT(name) {
      ParityResult r = parity_of(name, g.at("models").at(name));
      BOOST_TEST(r.compared >= 80);
      BOOST_TEST(r.max_diff_f64 < 1e-6);
      BOOST_TEST(r.max_diff_f32 < 1e-4);
    }
  }
}

BOOST_AUTO_TEST_CASE(transformers_checkpoints_import_as_expected) {
  // transformers 5 writes num_nextn_predict_layers: 1 but no MTP weights: imported without MTP.
  HfModelSource ds = HfModelSource::open(test_data_path("hf_parity/deepseek_v3"));
  BOOST_TEST(ds.config().num_nextn_predict_layers == 0);
  BOOST_TEST(contains(ds.notes().at(0), "announces 1 MTP layer(s)"));
  BOOST_TEST(ds.source("model.layers.1.mlp.experts.3.up_proj.weight").expert == -1);
  // The fused BF16 folder: experts split per expert, gate = rows [0, I), up = rows [I, 2I).
  HfModelSource fused = HfModelSource::open(test_data_path("hf_parity/deepseek_v3_yarn"));
  const HfTensorSource& up = fused.source("model.layers.2.mlp.experts.5.up_proj.weight");
  BOOST_TEST(up.tensor == "model.layers.2.mlp.experts.gate_up_proj");
  BOOST_TEST(up.expert == 5);
  BOOST_TEST(up.row_begin == fused.config().moe_intermediate_size);
  BOOST_TEST(fused.stored_dtypes().count("BF16") == 1);
  BOOST_TEST(fused.stored_dtypes().count("F32") == 0);
  // Qwen2 is tied: r1 has no lm_head.weight, and transformers saved none.
  HfModelSource qwen = HfModelSource::open(test_data_path("hf_parity/qwen2"));
  for (const HfParam& p : qwen.parameters()) BOOST_TEST(p.name != "lm_head.weight");
  BOOST_TEST(qwen.dropped_copies().empty());
  // Qwen3-MoE: per-head norms, a router without balancing bias, no shared experts.
  HfModelSource moe = HfModelSource::open(test_data_path("hf_parity/qwen3_moe"));
  BOOST_TEST((moe.config().architecture == Architecture::qwen3_moe));
  BOOST_TEST(moe.config().n_routed_experts == 8);
  BOOST_TEST((moe.config().scoring_func == ScoringFunc::softmax));
  BOOST_TEST(moe.config().n_shared_experts == 0);
  int64_t norms = 0;
  for (const HfParam& p : moe.parameters()) {
    BOOST_TEST(!contains(p.name, "e_score_correction_bias"));
    BOOST_TEST(!contains(p.name, "shared_experts"));
    norms += contains(p.name, "q_norm.weight") || contains(p.name, "k_norm.weight");
  }
  BOOST_TEST(norms == 4);
  // FP8 DeepSeek-V3: every quantized weight dequantized with its block scales.
  HfModelSource fp8 = HfModelSource::open(test_data_path("hf_parity/deepseek_v3_fp8"));
  BOOST_TEST(fp8.stored_dtypes().at("F8_E4M3") > 30);
  BOOST_TEST(fp8.source("model.layers.0.mlp.down_proj.weight").scale_inv == "model.layers.0.mlp.down_proj.weight_scale_inv");
  BOOST_TEST(fp8.source("model.embed_tokens.weight").scale_inv.empty());
  bool noted = false;
  for (const std::string& n : fp8.notes()) noted = noted || contains(n, "F8_E4M3 weight(s) dequantized");
  BOOST_TEST(noted);
}

BOOST_AUTO_TEST_CASE(fp8_folders_with_bad_scales_are_refused) {
  // The FP8 weights as they are, under a config.json without quantization_config or with another
  // block size: refused, naming the tensors.
  TempFolder tmp("fp8");
  const fs::path ds = test_data_path("hf_parity/deepseek_v3_fp8");
  std::ifstream in(ds / "config.json");
  const nlohmann::json config = nlohmann::json::parse(in);
  auto folder_with = [&](const std::string& name, const nlohmann::json& c) {
    std::string folder = tmp.sub(name);
    fs::copy_file(ds / "model.safetensors", fs::path(folder) / "model.safetensors");
    std::ofstream(fs::path(folder) / "config.json") << c.dump(2);
    return folder;
  };
  nlohmann::json unquantized = config;
  unquantized.erase("quantization_config");
  std::string msg = import_error(folder_with("unquantized", unquantized));
  BOOST_TEST(contains(msg, "model.layers.0.mlp.down_proj.weight: element type F8_E4M3, but config.json has no "
                           "quantization_config"), msg);
  nlohmann::json small_blocks = config;
  small_blocks["quantization_config"]["weight_block_size"] = {64, 64};
  msg = import_error(folder_with("small_blocks", small_blocks));
  BOOST_TEST(contains(msg, "model.layers.0.mlp.down_proj.weight_scale_inv: shape [1, 2] in the file, r1 expects [1, 4] "
                           "(64x64 blocks of [32, 200])"), msg);
}

BOOST_AUTO_TEST_CASE(export_then_import_is_bit_exact) {
  TempFolder tmp("roundtrip");
  for (const char* name :
       {"deepseek_v3", "deepseek_v3_yarn", "qwen2", "llama", "llama3_rope", "qwen3", "qwen3_moe", "deepseek_v3_fp8"}) {
    BOOST_TEST_CONTEXT(name) {
      HfModelSource original = HfModelSource::open(test_data_path(std::string("hf_parity/") + name));
      HfExportOptions single;
      std::string one = tmp.sub(std::string(name) + "_one");
      auto files = write_hf_model_folder(original.config(), reader_of(original), one, single);
      BOOST_TEST(files.size() == 2u);  // config.json, model.safetensors
      check_same_values(original, HfModelSource::open(one));
      // Sharded: a few KB per shard gives several shards and an index.
      HfExportOptions sharded;
      sharded.max_shard_bytes = 20000;
      std::string many = tmp.sub(std::string(name) + "_many");
      files = write_hf_model_folder(original.config(), reader_of(original), many, sharded);
      BOOST_TEST(files.size() > 3u);
      BOOST_TEST(contains(files.back(), kSafetensorsIndexFile));
      check_same_values(original, HfModelSource::open(many));
      // bf16: every value rounded to nearest even, the router bias kept f32.
      HfExportOptions half;
      half.dtype = HfExportDType::bf16;
      std::string h = tmp.sub(std::string(name) + "_bf16");
      write_hf_model_folder(original.config(), reader_of(original), h, half);
      HfModelSource rounded = HfModelSource::open(h);
      for (const HfParam& p : original.parameters()) {
        Tensor a = original.read(p), b = rounded.read(p);
        const bool bias = contains(p.name, "e_score_correction_bias");
        int64_t wrong = 0;
        for (int64_t i = 0; i < a.numel(); ++i) {
          float want = bias ? a.data<float>()[i] : float(bf16(a.data<float>()[i]));
          wrong += std::memcmp(&want, b.data<float>() + i, sizeof(float)) != 0;
        }
        BOOST_TEST(wrong == 0, p.name << ": " << wrong << " values not rounded to nearest even bf16");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(mtp_layers_round_trip_and_copies_are_checked) {
  TempFolder tmp("mtp");
  ModelConfig c = deepseek_with_mtp(2);
  Model m(c, DType::f32, Device::host);
  m.init_weights(5);
  std::string folder = tmp.sub("mtp2");
  write_hf_model_folder(c, reader_of(m), folder, {});
  HfModelSource two = HfModelSource::open(folder);
  BOOST_TEST(two.config().num_nextn_predict_layers == 2);
  BOOST_TEST(two.dropped_copies().size() == 4u);  // embed_tokens + shared_head.head per MTP layer
  Model back(two.config(), DType::f32, Device::host);
  load_hf_weights(two, back);
  BOOST_TEST(std::memcmp(back.params().flat_values().raw(), m.params().flat_values().raw(),
                         m.params().flat_values().nbytes()) == 0);

  // config.json announcing 3 MTP layers over weights holding 2: imported with 2, and said so.
  std::vector<SafetensorsTensor> tensors = tensors_of(folder);
  std::string announced3 = write_folder(tmp, "announced3", deepseek_with_mtp(3), tensors);
  HfModelSource fewer = HfModelSource::open(announced3);
  BOOST_TEST(fewer.config().num_nextn_predict_layers == 2);
  BOOST_TEST(contains(fewer.notes().at(0), "announces 3 MTP layer(s)"));
  BOOST_TEST(contains(fewer.notes().at(0), "hold 2"));

  // An MTP layer's head copy that differs from the LM head is refused when loading.
  const int64_t L = c.num_hidden_layers;
  for (auto& t : tensors)
    if (t.name == mtp_copy_name(L + 1, MtpCopy::head)) {
      t.tensor = t.tensor.clone();
      t.tensor.data<float>()[7] += 1.0f;
    }
  std::string bad_copy = write_folder(tmp, "bad_copy", c, tensors);
  HfModelSource differing = HfModelSource::open(bad_copy);
  Model target(differing.config(), DType::f32, Device::host);
  try {
    load_hf_weights(differing, target);
    BOOST_ERROR("a differing MTP head copy was accepted");
  } catch (const InputError& e) {
    BOOST_TEST(contains(e.what(), mtp_copy_name(L + 1, MtpCopy::head) + ": differs from lm_head.weight at element 7"));
  }
}

BOOST_AUTO_TEST_CASE(bad_folders_are_refused_with_every_problem_listed) {
  TempFolder tmp("bad");
  const std::string llama = test_data_path("hf_parity/llama");
  ModelConfig c = HfModelSource::open(llama).config();
  std::vector<SafetensorsTensor> tensors = tensors_of(llama);
  std::vector<SafetensorsTensor> broken;
  for (auto t : tensors) {
    if (t.name == "model.layers.1.mlp.up_proj.weight") continue;  // missing
    if (t.name == "model.norm.weight") t.tensor = Tensor::zeros({31}, DType::f32);  // wrong shape
    broken.push_back(t);
  }
  broken.push_back({"model.layers.1.self_attn.rotary_emb.inv_freq", Tensor::zeros({8}, DType::f32), std::nullopt});
  broken.push_back({"model.layers.0.mlp.extra.weight", Tensor::zeros({2}, DType::f32), std::nullopt});  // unknown
  broken.push_back({"model.layers.2.input_layernorm.weight", Tensor::zeros({32}, DType::f32), std::nullopt});
  broken.push_back({"model.layers.0.token_ids", Tensor::zeros({2}, DType::i32), std::nullopt});
  std::string msg = import_error(write_folder(tmp, "broken", c, broken));
  BOOST_TEST_MESSAGE(msg);
  BOOST_TEST(contains(msg, "cannot import the weights (5 problems)"));
  BOOST_TEST(contains(msg, "model.layers.1.mlp.up_proj.weight: missing (r1 expects [64, 32])"));
  BOOST_TEST(contains(msg, "model.norm.weight: shape [31] in the file, r1 expects [32]"));
  BOOST_TEST(contains(msg, "model.layers.0.mlp.extra.weight: unknown tensor"));
  BOOST_TEST(contains(msg, "model.layers.2.input_layernorm.weight: unknown tensor (layer 2 is beyond"));
  BOOST_TEST(contains(msg, "model.layers.0.token_ids: unknown tensor"));
  BOOST_TEST(!contains(msg, "inv_freq"));  // rotary buffers are dropped, not refused

  // Both expert layouts at once, and a fused tensor of the wrong shape.
  const std::string ds = test_data_path("hf_parity/deepseek_v3");
  ModelConfig dc = HfModelSource::open(ds).config();
  std::vector<SafetensorsTensor> both = tensors_of(ds);
  both.push_back({fused_expert_name(1, FusedExpertKind::down), Tensor::zeros({8, 32, 8}, DType::f32), std::nullopt});
  std::vector<SafetensorsTensor> fused_bad;
  for (auto& t : tensors_of(ds))
    if (!contains(t.name, "layers.2.mlp.experts.")) fused_bad.push_back(t);
  fused_bad.push_back({fused_expert_name(2, FusedExpertKind::gate_up), Tensor::zeros({8, 8, 32}, DType::f32), std::nullopt});
  fused_bad.push_back({fused_expert_name(2, FusedExpertKind::down), Tensor::zeros({8, 32, 8}, DType::f32), std::nullopt});
  msg = import_error(write_folder(tmp, "both", dc, both));
  BOOST_TEST(contains(msg, "model.layers.1.mlp.experts.down_proj: the folder holds layer 1's experts both fused and per expert"));
  msg = import_error(write_folder(tmp, "fused_bad", dc, fused_bad));
  BOOST_TEST(contains(msg, "model.layers.2.mlp.experts.gate_up_proj: shape [8, 8, 32] in the file, r1 expects [8, 16, 32]"));
  BOOST_TEST(contains(msg, "(1 problem)"));

  // A tied model's lm_head.weight must equal the embedding.
  const std::string qwen = test_data_path("hf_parity/qwen2");
  ModelConfig qc = HfModelSource::open(qwen).config();
  std::vector<SafetensorsTensor> with_head = tensors_of(qwen);
  Tensor embed;
  for (auto& t : with_head)
    if (t.name == "model.embed_tokens.weight") embed = t.tensor;
  with_head.push_back({"lm_head.weight", embed, std::nullopt});
  HfModelSource tied = HfModelSource::open(write_folder(tmp, "tied_ok", qc, with_head));
  BOOST_TEST(tied.dropped_copies().size() == 1u);
  Model tm(tied.config(), DType::f32, Device::host);
  load_hf_weights(tied, tm);
  with_head.back().tensor = Tensor::zeros(embed.shape(), DType::f32);
  HfModelSource tied_bad = HfModelSource::open(write_folder(tmp, "tied_bad", qc, with_head));
  BOOST_CHECK_THROW(load_hf_weights(tied_bad, tm), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
