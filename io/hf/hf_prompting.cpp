// Reading a Hugging Face folder's prompting files (see hf_prompting.hpp).
#include "io/hf/hf_prompting.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace r1 {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<json> read_optional_json(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path);
  R1_INPUT_CHECK(in, path.string(), ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw InputError(path.string() + ": not valid JSON: " + e.what());
  }
}

// A token field: a string, or an AddedToken object {"content": ...}, or null.
std::string token_text(const json& config, const char* key, const std::string& file) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  throw InputError(file + ": field '" + key + "': expected a string or an object with \"content\"");
}

// chat_template: a string, or a list of {name, template} (the "default" one is used).
std::string chat_template_of(const json& value, const std::string& file) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    for (const json& entry : value)
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry["template"].is_string())
        return entry["template"].get<std::string>();
    throw InputError(file + ": field 'chat_template': a list of templates without one named \"default\"");
  }
  throw InputError(file + ": field 'chat_template': expected a string or a list of {name, template}");
}

// The special token a TemplateProcessing post-processor puts before a single sequence, or "".
std::string post_processor_prefix(const json& post, const std::string& file) {
  if (!post.is_object()) return "";
  const std::string type = post.value("type", "");
  if (type == "Sequence" && post.contains("processors") && post["processors"].is_array()) {
    for (const json& p : post["processors"])
      if (std::string prefix = post_processor_prefix(p, file); !prefix.empty()) return prefix;
    return "";
  }
  if (type != "TemplateProcessing") return "";
  auto single = post.find("single");
  if (single == post.end() || !single->is_array() || single->empty()) return "";
  const json& first = (*single)[0];
  if (!first.is_object() || !first.contains("SpecialToken")) return "";
  const json& special = first["SpecialToken"];
  R1_INPUT_CHECK(special.is_object() && special.contains("id") && special["id"].is_string(), file,
                 ": field 'post_processor.single[0].SpecialToken.id': expected a string");
  return special["id"].get<std::string>();
}

}  // namespace

HfPrompting read_hf_prompting(const std::string& folder) {
  HfPrompting p;
  p.folder = folder;
  const fs::path dir(folder);
  const fs::path config_path = dir / "tokenizer_config.json";
  bool add_bos = false;
  if (auto config = read_optional_json(config_path)) {
    const std::string file = config_path.string();
    R1_INPUT_CHECK(config->is_object(), file, ": expected a JSON object");
    p.bos_token = token_text(*config, "bos_token", file);
    p.eos_token = token_text(*config, "eos_token", file);
    if (config->contains("chat_template") && !(*config)["chat_template"].is_null()) {
      p.chat_template = chat_template_of((*config)["chat_template"], file);
      p.chat_template_file = file + ": chat_template";
    }
    if (auto it = config->find("add_bos_token"); it != config->end() && !it->is_null()) {
      R1_INPUT_CHECK(it->is_boolean(), file, ": field 'add_bos_token': expected true or false");
      add_bos = it->get<bool>();
    }
  }
  const fs::path jinja_path = dir / "chat_template.jinja";
  std::error_code ec;
  if (p.chat_template.empty() && fs::is_regular_file(jinja_path, ec)) {
    std::ifstream in(jinja_path);
    std::stringstream text;
    text << in.rdbuf();
    p.chat_template = text.str();
    p.chat_template_file = jinja_path.string();
  }
  const fs::path tokenizer_path = dir / "tokenizer.json";
  if (fs::is_regular_file(tokenizer_path, ec)) {
    // Only the post-processor matters here; the tokenizer itself is read by io/tokenizer.
    if (auto tok = read_optional_json(tokenizer_path); tok && tok->is_object() && tok->contains("post_processor"))
      p.bos_prefix = post_processor_prefix((*tok)["post_processor"], tokenizer_path.string());
  }
  if (p.bos_prefix.empty() && add_bos) p.bos_prefix = p.bos_token;

  const fs::path generation_path = dir / "generation_config.json";
  if (auto gen = read_optional_json(generation_path)) {
    const std::string file = generation_path.string();
    R1_INPUT_CHECK(gen->is_object(), file, ": expected a JSON object");
    if (auto it = gen->find("eos_token_id"); it != gen->end() && !it->is_null()) {
      auto take = [&](const json& v) {
        R1_INPUT_CHECK(v.is_number_integer() && v.get<int64_t>() >= 0, file,
                       ": field 'eos_token_id': expected a non-negative integer or a list of them, found ", v.dump());
        p.eos_token_ids.push_back(v.get<int64_t>());
      };
      if (it->is_array())
        for (const json& v : *it) take(v);
      else
        take(*it);
    }
    auto number = [&](const char* key) -> std::optional<double> {
      auto it = gen->find(key);
      if (it == gen->end() || it->is_null()) return std::nullopt;
      R1_INPUT_CHECK(it->is_number(), file, ": field '", key, "': expected a number, found ", it->dump());
      return it->get<double>();
    };
    p.temperature = number("temperature");
    p.top_p = number("top_p");
    if (auto k = number("top_k")) p.top_k = int64_t(*k);
  }
  return p;
}

}  // namespace r1
