// tokenizer.json reader: the BPE model (vocab; merges as "a b" strings or ["a", "b"] pairs;
// ignore_merges, byte_fallback, unk_token, fuse_unk, continuing_subword_prefix,
// end_of_word_suffix; dropout only null / 0) and added_tokens with all their flags; the
// normalizer, pre_tokenizer and decoder are read by tokenizer_json_pipeline.cpp. post_processor is
// kept verbatim (encode never adds BOS/EOS); truncation and padding are per-call encode settings
// and are ignored. Anything else throws InputError naming the file and the JSON field.
#include <fstream>
#include <set>

#include "core/error.hpp"
#include "io/tokenizer/tokenizer_files.hpp"
#include "io/tokenizer/tokenizer_json_pipeline.hpp"

namespace r1::bpe {
namespace {

using nlohmann::json;
using namespace json_field;

void read_merge(const json& merge, const Field& field, BpeModel& model) {
  std::string left, right;
  if (merge.is_string()) {
    const std::string& rule = merge.get_ref<const std::string&>();
    const size_t space = rule.find(' ');
    if (space == std::string::npos || rule.find(' ', space + 1) != std::string::npos)
      field.fail("expected \"left right\" with exactly one space, found \"" + rule + "\"");
    left = rule.substr(0, space), right = rule.substr(space + 1);
  } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
    left = merge[0].get<std::string>(), right = merge[1].get<std::string>();
  } else {
    field.fail("expected \"left right\" or [\"left\", \"right\"], found " + merge.dump());
  }
  if (auto error = model.add_merge(left, right)) field.fail(*error);
}

std::string get_optional_string(const json& object, const std::string& key, const Field& field) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return get_string(object, key, field);
}

BpeModel read_model(const json& value, const Field& field, bool byte_level) {
  const std::string type = get_type(value, field);
  if (type != "BPE") field["type"].fail("unsupported model \"" + type + "\" (supported: BPE)");
  expect_known_keys(value,
                    {"type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk",
                     "byte_fallback", "ignore_merges", "vocab", "merges"},
                    field);
  expect_unused(value, "dropout", field);  // BPE dropout is a training-time randomisation
  BpeModel model;
  model.byte_level = byte_level;
  model.ignore_merges = get_bool(value, "ignore_merges", false, field);
  model.byte_fallback = get_bool(value, "byte_fallback", false, field);
  model.fuse_unk = get_bool(value, "fuse_unk", false, field);
  model.unk_token = get_optional_string(value, "unk_token", field);
  model.continuing_subword_prefix = get_optional_string(value, "continuing_subword_prefix", field);
  model.end_of_word_suffix = get_optional_string(value, "end_of_word_suffix", field);
  auto vocab_it = value.find("vocab");
  const Field vocab_field = field["vocab"];
  if (vocab_it == value.end()) vocab_field.fail("missing");
  expect_object(*vocab_it, vocab_field);
  for (const auto& [token, id_value] : vocab_it->items()) {
    const int32_t id = get_id(id_value, vocab_field[token]);
    if (!model.add_token(token, id)) vocab_field[token].fail("id " + std::to_string(id) + " is used twice");
  }
  if (byte_level) {
    const int missing_byte = model.index_byte_symbols();
    if (missing_byte >= 0)
      vocab_field.fail("no token for byte " + std::to_string(missing_byte) +
                       " (a byte-level vocabulary needs all 256)");
  }
  model.index_byte_fallback_tokens();
  if (!model.unk_token.empty()) {
    model.unk_id = model.token_id(model.unk_token);
    if (model.unk_id < 0) field["unk_token"].fail("'" + model.unk_token + "' is not in the vocabulary");
  }
  auto merges_it = value.find("merges");
  const Field merges_field = field["merges"];
  if (merges_it == value.end() || !merges_it->is_array()) merges_field.fail("expected an array of merge rules");
  for (size_t i = 0; i < merges_it->size(); ++i) read_merge((*merges_it)[i], merges_field[i], model);
  return model;
}

void read_added_tokens(const json& value, const Field& field, TokenizerParts& parts) {
  if (value.is_null()) return;
  if (!value.is_array()) field.fail(std::string("expected an array, found ") + type_name(value));
  for (size_t i = 0; i < value.size(); ++i) {
    const json& entry = value[i];
    const Field entry_field = field[i];
    expect_object(entry, entry_field);
    expect_known_keys(entry, {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"},
                      entry_field);
    if (!entry.contains("id")) entry_field["id"].fail("missing");
    AddedToken token;
    token.content = get_string(entry, "content", entry_field);
    token.id = get_id(entry["id"], entry_field["id"]);
    token.special = get_bool(entry, "special", false, entry_field);
    token.lstrip = get_bool(entry, "lstrip", false, entry_field);
    token.rstrip = get_bool(entry, "rstrip", false, entry_field);
    token.single_word = get_bool(entry, "single_word", false, entry_field);
    // Hugging Face's default: special tokens are matched in raw text, others in normalized text.
    token.normalized = get_bool(entry, "normalized", !token.special, entry_field);
    parts.added_tokens.push_back(std::move(token));
    parts.added_token_fields.push_back(field.file + ": field '" + entry_field.path + "'");
  }
}

}  // namespace

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  R1_INPUT_CHECK(in, path, ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw InputError(path + ": not valid JSON: " + e.what());
  }
}

TokenizerParts read_tokenizer_json(const std::string& path) {
  const json root = read_json_file(path);
  const Field top{path, ""};
  if (!root.is_object()) throw InputError(path + ": expected a JSON object at the top level");
  expect_known_keys(root,
                    {"version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                     "post_processor", "decoder", "model"},
                    top);
  if (!root.contains("model")) top["model"].fail("missing");
  TokenizerParts parts;
  parts.normalizer = read_normalizer(root.value("normalizer", json()), top["normalizer"]);
  parts.pre_tokenizer = read_pre_tokenizer(root.value("pre_tokenizer", json()), top["pre_tokenizer"]);
  parts.decoder = read_decoder(root.value("decoder", json()), top["decoder"]);
  parts.model = read_model(root["model"], top["model"], parts.pre_tokenizer.byte_level);
  parts.normalizer_json = root.value("normalizer", json()).dump();
  parts.pre_tokenizer_json = root.value("pre_tokenizer", json()).dump();
  parts.decoder_json = root.value("decoder", json()).dump();
  read_added_tokens(root.value("added_tokens", json()), top["added_tokens"], parts);
  parts.post_processor_json = root.value("post_processor", json()).dump();
  return parts;
}

}  // namespace r1::bpe
