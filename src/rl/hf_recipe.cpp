// Hugging Face model folders in recipes (see hf_recipe.hpp).
#include "rl/hf_recipe.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "io/hf/hf_config.hpp"

namespace r1 {

namespace {

namespace fs = std::filesystem;

void resolve_model(ModelConfig& model, const std::string& where) {
  if (model.from_hf.empty()) return;
  std::error_code ec;
  R1_INPUT_CHECK(fs::is_directory(model.from_hf, ec), where, ": from_hf: '", model.from_hf, "' is not a folder");
  ModelConfig resolved = read_hf_config(model.from_hf).model;
  resolved.from_hf = model.from_hf;
  resolved.router_bias_update_speed = model.router_bias_update_speed;
  resolved.seq_aux_loss_alpha = model.seq_aux_loss_alpha;
  resolved.mtp_loss_weight = model.mtp_loss_weight;
  model = resolved;
}

}  // namespace

void resolve_hf_models(RunConfig& config, const std::string& where) {
  resolve_model(config.model, where + ": model");
  for (StageConfig& s : config.stages)
    if (s.kind == StageKind::distill) resolve_model(s.distill.student, where + ": stages." + s.display_name() + ".distill.student");
  if (!config.model.from_hf.empty() && config.tokenizer.source == TokenizerSource::train) {
    config.tokenizer.source = TokenizerSource::path;
    config.tokenizer.path = config.model.from_hf;
  }
}

HfPrompting tokenizer_folder_prompting(const std::string& tokenizer_path) {
  std::error_code ec;
  fs::path folder(tokenizer_path);
  if (!fs::is_directory(folder, ec)) folder = folder.parent_path();
  return read_hf_prompting(folder.string());
}

std::optional<HfPrompting> run_prompting(const RunConfig& config) {
  if (config.tokenizer.source != TokenizerSource::path) return std::nullopt;
  return tokenizer_folder_prompting(config.tokenizer.path);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(begin, end - begin);
    const size_t first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
    begin = end + 1;
  }
  return items;
}

void apply_stop_ids(Tokenizer& tokenizer, const HfPrompting& prompting) {
  std::vector<int32_t> stops;
  for (int64_t id : prompting.eos_token_ids) {
    R1_INPUT_CHECK(id < tokenizer.vocab_size(), prompting.folder, "/generation_config.json: field 'eos_token_id': ", id,
                   " is outside the tokenizer's vocabulary (", tokenizer.vocab_size(), " ids)");
    stops.push_back(int32_t(id));
  }
  if (stops.empty() && !prompting.eos_token.empty()) {
    const int32_t id = tokenizer.token_id(prompting.eos_token);
    R1_INPUT_CHECK(id >= 0, prompting.folder, "/tokenizer_config.json: field 'eos_token': '", prompting.eos_token,
                   "' is not in the tokenizer's vocabulary");
    stops.push_back(id);
  }
  if (stops.empty() && tokenizer.eos_id() >= 0) stops.push_back(tokenizer.eos_id());
  tokenizer.set_stop_ids(stops);
}

void copy_prompting_files(const HfPrompting& prompting, const std::string& run_dir) {
  for (const char* name : {"tokenizer_config.json", "generation_config.json", "chat_template.jinja",
                           "special_tokens_map.json"}) {
    const fs::path from = fs::path(prompting.folder) / name, to = fs::path(run_dir) / name;
    std::error_code ec;
    if (!fs::is_regular_file(from, ec)) continue;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    R1_INPUT_CHECK(!ec, from.string(), ": cannot copy to ", to.string(), ": ", ec.message());
  }
}

PromptTemplate run_prompt_template(const RunConfig& config, const Tokenizer& tokenizer,
                                   const std::optional<HfPrompting>& prompting, const std::string& where) {
  PromptTemplateSettings settings{config.prompt_template, config.template_system, config.template_variables};
  const std::string end = tokenizer.eos_id() >= 0 ? tokenizer.token_string(tokenizer.eos_id()) : "";
  PromptTemplate t = PromptTemplate::make(settings, prompting ? &*prompting : nullptr, end, where);
  for (const std::string& token : t.required_tokens())
    R1_INPUT_CHECK(tokenizer.token_id(token) >= 0, where, ": template: '", config.prompt_template,
                   "' writes the token ", token, ", which the tokenizer lacks; use template: hf or r1_zero with a "
                   "pretrained tokenizer (or list the tokens in tokenizer.add_tokens)");
  return t;
}

}  // namespace r1
