// tokenizer.json reader. Supported: model type BPE (vocab; merges as "a b" strings or ["a", "b"]
// pairs; ignore_merges), pre_tokenizer ByteLevel or a Sequence of Split steps ending in
// ByteLevel, added_tokens, decoder ByteLevel, no normalizer. post_processor is kept verbatim
// (encode never adds BOS/EOS); truncation and padding are per-call encode settings and are
// ignored. Anything else throws InputError naming the file and the JSON field.
#include <fstream>
#include <set>

#include "core/error.hpp"
#include "io/tokenizer_files.hpp"

namespace r1::bpe {
namespace {

using nlohmann::json;

// Location of a JSON value inside a file, for error messages: "FILE: field 'model.vocab'".
struct Field {
  const std::string& file;
  std::string path;

  Field operator[](const std::string& key) const { return {file, path.empty() ? key : path + "." + key}; }
  Field operator[](size_t index) const { return {file, path + "[" + std::to_string(index) + "]"}; }
  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(file + ": field '" + path + "': " + message);
  }
};

const char* type_name(const json& value) { return value.type_name(); }

void expect_object(const json& value, const Field& field) {
  if (!value.is_object()) field.fail(std::string("expected an object, found ") + type_name(value));
}

// Fails on keys outside `known`, so unsupported options are reported rather than ignored.
void expect_known_keys(const json& object, const std::set<std::string>& known, const Field& field) {
  for (const auto& [key, value] : object.items())
    if (known.count(key) == 0) field[key].fail("unsupported field");
}

std::string get_string(const json& object, const std::string& key, const Field& field) {
  auto it = object.find(key);
  if (it == object.end()) field[key].fail("missing");
  if (!it->is_string()) field[key].fail(std::string("expected a string, found ") + type_name(*it));
  return it->get<std::string>();
}

bool get_bool(const json& object, const std::string& key, bool default_value, const Field& field) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return default_value;
  if (!it->is_boolean()) field[key].fail(std::string("expected true or false, found ") + type_name(*it));
  return it->get<bool>();
}

int32_t get_id(const json& value, const Field& field) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > INT32_MAX)
    field.fail("expected a non-negative 32-bit integer id, found " + value.dump());
  return int32_t(value.get<int64_t>());
}

// Fails unless `key` is absent or holds the value that means "feature not used".
void expect_unused(const json& object, const std::string& key, const Field& field) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null() || (it->is_boolean() && !it->get<bool>()) ||
      (it->is_string() && it->get<std::string>().empty()) || (it->is_number() && it->get<double>() == 0.0))
    return;
  field[key].fail("unsupported value " + it->dump());
}

std::string get_type(const json& object, const Field& field) {
  expect_object(object, field);
  return get_string(object, "type", field);
}

void read_byte_level(const json& step, const Field& field, PreTokenizer& pre) {
  expect_known_keys(step, {"type", "add_prefix_space", "trim_offsets", "use_regex"}, field);
  pre.add_prefix_space = get_bool(step, "add_prefix_space", false, field);
  pre.use_regex = get_bool(step, "use_regex", true, field);
  get_bool(step, "trim_offsets", true, field);  // affects offsets only
}

SplitStep read_split(const json& step, const Field& field) {
  expect_known_keys(step, {"type", "pattern", "behavior", "invert"}, field);
  auto pattern_it = step.find("pattern");
  if (pattern_it == step.end()) field["pattern"].fail("missing");
  const Field pattern_field = field["pattern"];
  expect_object(*pattern_it, pattern_field);
  if (pattern_it->size() != 1) pattern_field.fail("expected exactly one of \"Regex\" or \"String\"");
  PatternSyntax syntax;
  if (pattern_it->contains("Regex"))
    syntax = PatternSyntax::regex;
  else if (pattern_it->contains("String"))
    syntax = PatternSyntax::literal;
  else
    pattern_field.fail("expected \"Regex\" or \"String\", found \"" + pattern_it->begin().key() + "\"");
  const std::string key = syntax == PatternSyntax::regex ? "Regex" : "String";
  const std::string pattern = get_string(*pattern_it, key, pattern_field);
  if (pattern.empty()) pattern_field[key].fail("empty pattern");
  const std::string behavior_name = get_string(step, "behavior", field);
  SplitBehavior behavior;
  if (behavior_name == "Isolated")
    behavior = SplitBehavior::isolated;
  else if (behavior_name == "Removed")
    behavior = SplitBehavior::removed;
  else
    field["behavior"].fail("unsupported value \"" + behavior_name + "\" (supported: Isolated, Removed)");
  const Field where = pattern_field[key];
  return SplitStep{Regex(pattern, syntax, where.file + ": field '" + where.path + "'"), behavior,
                   get_bool(step, "invert", false, field)};
}

PreTokenizer read_pre_tokenizer(const json& value, const Field& field) {
  if (value.is_null()) field.fail("missing: a byte-level BPE needs a ByteLevel pre-tokenizer");
  PreTokenizer pre;
  const std::string type = get_type(value, field);
  if (type == "ByteLevel") {
    read_byte_level(value, field, pre);
    return pre;
  }
  if (type != "Sequence") field["type"].fail("unsupported pre-tokenizer \"" + type + "\" (supported: ByteLevel, Sequence)");
  expect_known_keys(value, {"type", "pretokenizers"}, field);
  auto steps_it = value.find("pretokenizers");
  const Field steps_field = field["pretokenizers"];
  if (steps_it == value.end() || !steps_it->is_array() || steps_it->empty())
    steps_field.fail("expected a non-empty array of pre-tokenizers");
  for (size_t i = 0; i < steps_it->size(); ++i) {
    const json& step = (*steps_it)[i];
    const Field step_field = steps_field[i];
    const std::string step_type = get_type(step, step_field);
    const bool last = i + 1 == steps_it->size();
    if (step_type == "Split" && !last) {
      pre.splits.push_back(read_split(step, step_field));
    } else if (step_type == "ByteLevel" && last) {
      read_byte_level(step, step_field, pre);
    } else {
      step_field["type"].fail("unsupported pre-tokenizer \"" + step_type +
                              "\" here (supported: Split steps followed by one final ByteLevel)");
    }
  }
  return pre;
}

void read_normalizer(const json& value, const Field& field) {
  if (value.is_null()) return;
  const std::string type = get_type(value, field);
  // An empty Sequence is a no-op (some converted tokenizers carry one).
  if (type == "Sequence" && value.contains("normalizers") && value["normalizers"].is_array() &&
      value["normalizers"].empty())
    return;
  field["type"].fail("unsupported normalizer \"" + type + "\" (only no normalizer is supported)");
}

void read_decoder(const json& value, const Field& field) {
  if (value.is_null()) return;  // byte-level decoding is the only inverse of this encoder anyway
  const std::string type = get_type(value, field);
  if (type != "ByteLevel") field["type"].fail("unsupported decoder \"" + type + "\" (supported: ByteLevel)");
}

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

BpeModel read_model(const json& value, const Field& field) {
  const std::string type = get_type(value, field);
  if (type != "BPE") field["type"].fail("unsupported model \"" + type + "\" (supported: BPE)");
  expect_known_keys(value,
                    {"type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk",
                     "byte_fallback", "ignore_merges", "vocab", "merges"},
                    field);
  for (const char* key : {"dropout", "continuing_subword_prefix", "end_of_word_suffix", "byte_fallback"})
    expect_unused(value, key, field);
  // unk_token and fuse_unk never apply: every byte has a token (checked below).
  BpeModel model;
  model.ignore_merges = get_bool(value, "ignore_merges", false, field);
  auto vocab_it = value.find("vocab");
  const Field vocab_field = field["vocab"];
  if (vocab_it == value.end()) vocab_field.fail("missing");
  expect_object(*vocab_it, vocab_field);
  for (const auto& [token, id_value] : vocab_it->items()) {
    const int32_t id = get_id(id_value, vocab_field[token]);
    if (!model.add_token(token, id)) vocab_field[token].fail("id " + std::to_string(id) + " is used twice");
  }
  const int missing_byte = model.index_byte_symbols();
  if (missing_byte >= 0)
    vocab_field.fail("no token for byte " + std::to_string(missing_byte) + " (a byte-level vocabulary needs all 256)");
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
    for (const char* key : {"single_word", "lstrip", "rstrip"}) expect_unused(entry, key, entry_field);
    if (!entry.contains("id")) entry_field["id"].fail("missing");
    AddedToken token{get_string(entry, "content", entry_field), get_id(entry["id"], entry_field["id"]),
                     get_bool(entry, "special", false, entry_field)};
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
  parts.model = read_model(root["model"], top["model"]);
  read_normalizer(root.value("normalizer", json()), top["normalizer"]);
  parts.pre_tokenizer = read_pre_tokenizer(root.value("pre_tokenizer", json()), top["pre_tokenizer"]);
  read_decoder(root.value("decoder", json()), top["decoder"]);
  read_added_tokens(root.value("added_tokens", json()), top["added_tokens"], parts);
  parts.post_processor_json = root.value("post_processor", json()).dump();
  return parts;
}

}  // namespace r1::bpe
