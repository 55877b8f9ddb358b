// Tokenizer::load: finds the tokenizer files at a path, assembles the Tokenizer, and picks the
// end-of-sequence token (tokenizer_config.json's eos_token, else <|endoftext|>).
#include <filesystem>

#include "core/error.hpp"
#include "io/tokenizer/tokenizer.hpp"
#include "io/tokenizer/tokenizer_files.hpp"

namespace r1 {
namespace {

namespace fs = std::filesystem;

// tokenizer_config.json "eos_token": a string, or an object with "content"; empty when absent.
std::string configured_eos_token(const fs::path& config_path) {
  std::error_code ec;
  if (!fs::is_regular_file(config_path, ec)) return "";
  const nlohmann::json config = bpe::read_json_file(config_path.string());
  auto it = config.find("eos_token");
  if (it == config.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  throw InputError(config_path.string() + ": field 'eos_token': expected a string or an object with \"content\"");
}

}  // namespace

Tokenizer Tokenizer::load(const std::string& path) {
  const fs::path location(path);
  std::error_code ec;
  bpe::TokenizerParts parts;
  std::string eos_token;
  if (fs::is_directory(location, ec)) {
    const fs::path json_path = location / "tokenizer.json";
    const fs::path vocab_path = location / "vocab.json", merges_path = location / "merges.txt";
    if (fs::is_regular_file(json_path, ec)) {
      parts = bpe::read_tokenizer_json(json_path.string());
    } else if (fs::is_regular_file(vocab_path, ec) && fs::is_regular_file(merges_path, ec)) {
      parts = bpe::read_vocab_and_merges(vocab_path.string(), merges_path.string());
    } else {
      throw InputError(path + ": folder has neither tokenizer.json nor vocab.json + merges.txt");
    }
    eos_token = configured_eos_token(location / "tokenizer_config.json");
  } else if (fs::is_regular_file(location, ec)) {
    parts = bpe::read_tokenizer_json(path);
  } else {
    throw InputError(path + ": no such tokenizer file or folder");
  }

  Tokenizer tokenizer(std::move(parts.model), std::move(parts.pre_tokenizer));
  tokenizer.normalizer_ = std::move(parts.normalizer);
  tokenizer.decoder_ = std::move(parts.decoder);
  tokenizer.normalizer_json_ = std::move(parts.normalizer_json);
  tokenizer.pre_tokenizer_json_ = std::move(parts.pre_tokenizer_json);
  tokenizer.decoder_json_ = std::move(parts.decoder_json);
  for (size_t i = 0; i < parts.added_tokens.size(); ++i)
    tokenizer.add_token_with_id(std::move(parts.added_tokens[i]), parts.added_token_fields[i]);
  tokenizer.rebuild_added_token_tables();
  tokenizer.post_processor_json_ = std::move(parts.post_processor_json);
  if (!eos_token.empty()) {
    const int32_t id = tokenizer.token_id(eos_token);
    R1_INPUT_CHECK(id >= 0, (location / "tokenizer_config.json").string(), ": field 'eos_token': '", eos_token,
                   "' is not in the tokenizer vocabulary");
    tokenizer.eos_id_ = id;
  } else {
    tokenizer.eos_id_ = tokenizer.token_id("<|endoftext|>");
  }
  return tokenizer;
}

}  // namespace r1
