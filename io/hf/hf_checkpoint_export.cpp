// r1 checkpoint -> Hugging Face folder (see hf_checkpoint_export.hpp).
#include "io/hf/hf_checkpoint_export.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/config_yaml.hpp"
#include "core/error.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "io/hf/hf_config.hpp"

namespace r1 {

namespace fs = std::filesystem;

namespace {

const std::string kModelGroup = "/model/";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Tensor to_bf16(const Tensor& f32) {
  Tensor out = Tensor::empty(f32.shape(), DType::bf16);
  const float* src = f32.data<float>();
  bf16* dst = out.data<bf16>();
  for (int64_t i = 0; i < f32.numel(); ++i) dst[i] = bf16(src[i]);
  return out;
}

Tensor dataset_as_f32(const Tensor& t) {
  if (t.dtype() == DType::f32) return t;
  Tensor out = Tensor::empty(t.shape(), DType::f32);
  std::vector<float> v = to_f32_vector(t);
  std::copy(v.begin(), v.end(), out.data<float>());
  return out;
}

// The tokenizer.json to copy: the explicit one (a file or a folder holding tokenizer.json, which
// must exist), else <checkpoint dir>/../tokenizer.json when present, else none.
std::string find_tokenizer(const std::string& checkpoint_path, const std::string& explicit_path) {
  std::error_code ec;
  if (!explicit_path.empty()) {
    fs::path p = explicit_path;
    if (fs::is_directory(p, ec)) p /= "tokenizer.json";
    R1_INPUT_CHECK(fs::is_regular_file(p, ec), explicit_path, ": no tokenizer.json there (--tokenizer)");
    return p.string();
  }
  fs::path guess = fs::absolute(checkpoint_path, ec).parent_path().parent_path() / "tokenizer.json";
  return fs::is_regular_file(guess, ec) ? guess.string() : std::string();
}

// Copies tokenizer.json (and the tokenizer_config.json beside it, if any) into `folder`; without a
// tokenizer_config.json, writes one naming the generic fast tokenizer class so AutoTokenizer loads
// tokenizer.json whatever the model type. The other prompting files beside it (generation config,
// chat_template.jinja, special_tokens_map.json: a run started from a Hugging Face folder keeps
// them in its run_dir) are copied too, so the export prompts and stops as the original did.
void copy_tokenizer(const std::string& tokenizer_json, const std::string& folder, std::vector<std::string>& files) {
  std::error_code ec;
  const fs::path out = fs::path(folder) / "tokenizer.json";
  fs::copy_file(tokenizer_json, out, fs::copy_options::overwrite_existing, ec);
  R1_INPUT_CHECK(!ec, tokenizer_json, ": cannot copy to ", out.string(), ": ", ec.message());
  files.push_back(out.string());
  const fs::path config_in = fs::path(tokenizer_json).parent_path() / "tokenizer_config.json";
  const fs::path config_out = fs::path(folder) / "tokenizer_config.json";
  if (fs::is_regular_file(config_in, ec)) {
    fs::copy_file(config_in, config_out, fs::copy_options::overwrite_existing, ec);
    R1_INPUT_CHECK(!ec, config_in.string(), ": cannot copy to ", config_out.string(), ": ", ec.message());
  } else {
    std::ofstream f(config_out);
    f << nlohmann::ordered_json{{"tokenizer_class", "PreTrainedTokenizerFast"}}.dump(2) << "\n";
    R1_INPUT_CHECK(f, config_out.string(), ": write failed");
  }
  files.push_back(config_out.string());
  for (const char* name : {"generation_config.json", "chat_template.jinja", "special_tokens_map.json"}) {
    const fs::path in = fs::path(tokenizer_json).parent_path() / name, copy = fs::path(folder) / name;
    if (!fs::is_regular_file(in, ec)) continue;
    fs::copy_file(in, copy, fs::copy_options::overwrite_existing, ec);
    R1_INPUT_CHECK(!ec, in.string(), ": cannot copy to ", copy.string(), ": ", ec.message());
    files.push_back(copy.string());
  }
}

// Checks the checkpoint's /model against the parameter list: every parameter present with its
// shape, nothing else. InputError listing every difference.
void check_model_group(const CheckpointReader& reader, const std::vector<HfParam>& params) {
  std::vector<std::string> problems;
  std::set<std::string> expected;
  for (const HfParam& p : params) {
    expected.insert(kModelGroup + p.name);
    auto info = reader.find(kModelGroup + p.name);
    if (!info) problems.push_back(p.name + ": missing (the model config declares " + shape_str(p.shape) + ")");
    else if (info->is_text || info->shape != p.shape)
      problems.push_back(p.name + ": " + (info->is_text ? std::string("text") : shape_str(info->shape)) +
                         " in the checkpoint, the model config declares " + shape_str(p.shape));
  }
  for (const DatasetInfo& d : reader.datasets())
    if (d.path.compare(0, kModelGroup.size(), kModelGroup) == 0 && !expected.count(d.path))
      problems.push_back(d.path.substr(kModelGroup.size()) + ": in the checkpoint but not a parameter of the model config");
  if (problems.empty()) return;
  std::string msg = reader.path() + ": /model does not match /state/model_config (" + std::to_string(problems.size()) +
                    " problems):";
  for (size_t i = 0; i < problems.size() && i < 40; ++i) msg += "\n  " + problems[i];
  throw InputError(msg);
}

}  // namespace

HfExportDType parse_hf_export_dtype(const std::string& text, const std::string& where) {
  if (text == "f32" || text == "float32") return HfExportDType::f32;
  if (text == "bf16" || text == "bfloat16") return HfExportDType::bf16;
  throw InputError(where + ": dtype '" + text + "' is not one of f32, bf16");
}

std::vector<std::string> write_hf_model_folder(const ModelConfig& config, const std::function<Tensor(const HfParam&)>& read_param,
                                               const std::string& folder, const HfExportOptions& options) {
  const std::vector<HfParam> params = model_parameter_list(config);
  // Every tensor is read and converted when its shard is written, so the export holds one at a time.
  std::vector<SafetensorsTensor> tensors;
  std::map<std::string, const HfParam*> by_name;
  for (const HfParam& p : params) by_name[p.name] = &p;
  auto add = [&](const std::string& name, const HfParam& p) {
    const bool keep_f32 = options.dtype == HfExportDType::f32 || ends_with(p.name, ".e_score_correction_bias");
    auto produce = [&read_param, &p, keep_f32]() {
      Tensor values = read_param(p);
      R1_CHECK(values.dtype() == DType::f32 && values.shape() == p.shape, "hf export: ", p.name, " read as ",
               values.describe(), ", expected f32", shape_str(p.shape));
      return keep_f32 ? values : to_bf16(values);
    };
    tensors.push_back({name, Tensor(), keep_f32 ? SafetensorsDType::F32 : SafetensorsDType::BF16, p.shape, produce});
  };
  for (const HfParam& p : params) add(p.name, p);
  // DeepSeek-V3 MTP layers carry their own copies of the embedding and the LM head.
  const std::string head = config.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  for (int64_t k = 0; k < config.num_nextn_predict_layers; ++k) {
    const int64_t layer = config.num_hidden_layers + k;
    add(mtp_copy_name(layer, MtpCopy::embedding), *by_name.at("model.embed_tokens.weight"));
    add(mtp_copy_name(layer, MtpCopy::head), *by_name.at(head));
  }
  std::vector<std::string> files = write_safetensors_folder(folder, tensors, options.max_shard_bytes);
  write_hf_config(config, folder, options.dtype == HfExportDType::bf16 ? "bfloat16" : "float32");
  files.insert(files.begin(), (fs::path(folder) / "config.json").string());
  return files;
}

HfExportSummary export_hf_model(const std::string& checkpoint_path, const std::string& out_dir, const HfExportOptions& options) {
  CheckpointReader reader(checkpoint_path);
  R1_INPUT_CHECK(reader.find("/state/model_config"), checkpoint_path,
                 ": not an r1 checkpoint with a model (no /state/model_config)");
  ModelConfig config;
  read_config(ConfigSource{checkpoint_path + ":/state/model_config", reader.read_string("/state/model_config"), {}}, config);
  const std::vector<HfParam> params = model_parameter_list(config);
  check_model_group(reader, params);
  const std::string tokenizer = find_tokenizer(checkpoint_path, options.tokenizer);

  std::error_code ec;
  const fs::path out = fs::path(out_dir);
  R1_INPUT_CHECK(!out.filename().empty(), out_dir, ": give the folder without a trailing '/'");
  R1_INPUT_CHECK(!fs::exists(out, ec) || (fs::is_directory(out, ec) && fs::is_empty(out, ec)), out_dir,
                 ": exists and is not an empty folder; choose another --out or remove it");
  const fs::path tmp = out.string() + ".tmp";
  R1_INPUT_CHECK(!fs::exists(tmp, ec), tmp.string(), ": exists (left by an interrupted export?); remove it first");
  fs::create_directories(tmp, ec);
  R1_INPUT_CHECK(!ec, tmp.string(), ": cannot create: ", ec.message());

  HfExportSummary summary;
  try {
    for (const HfParam& p : params) summary.parameters += shape_numel(p.shape);
    auto read_param = [&](const HfParam& p) { return dataset_as_f32(reader.read(kModelGroup + p.name)); };
    std::vector<std::string> files = write_hf_model_folder(config, read_param, tmp.string(), options);
    summary.tensors = int64_t(params.size()) + 2 * config.num_nextn_predict_layers;
    if (!tokenizer.empty()) {
      copy_tokenizer(tokenizer, tmp.string(), files);
      summary.tokenizer_from = tokenizer;
    }
    if (fs::exists(out, ec)) fs::remove(out, ec);  // an empty folder (checked above)
    fs::rename(tmp, out, ec);
    R1_INPUT_CHECK(!ec, tmp.string(), ": cannot rename to ", out_dir, ": ", ec.message());
    for (const std::string& f : files) summary.files.push_back((out / fs::path(f).filename()).string());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  return summary;
}

}  // namespace r1
