// tokenizer.json normalizer / pre_tokenizer / decoder readers. Nested Sequences are flattened; a
// ByteLevel pre-tokenizer must come last (its output is the byte-level model's input).
#include "io/tokenizer/tokenizer_json_pipeline.hpp"

#include "io/tokenizer/bpe_utf8.hpp"

namespace r1::bpe {
namespace {

using nlohmann::json;
using namespace json_field;

// A {"Regex": ...} or {"String": ...} pattern object at `key`.
Regex read_pattern(const json& object, const std::string& key, const Field& field) {
  auto pattern_it = object.find(key);
  if (pattern_it == object.end()) field[key].fail("missing");
  const Field pattern_field = field[key];
  expect_object(*pattern_it, pattern_field);
  if (pattern_it->size() != 1) pattern_field.fail("expected exactly one of \"Regex\" or \"String\"");
  PatternSyntax syntax;
  if (pattern_it->contains("Regex"))
    syntax = PatternSyntax::regex;
  else if (pattern_it->contains("String"))
    syntax = PatternSyntax::literal;
  else
    pattern_field.fail("expected \"Regex\" or \"String\", found \"" + pattern_it->begin().key() + "\"");
  const std::string name = syntax == PatternSyntax::regex ? "Regex" : "String";
  const std::string pattern = get_string(*pattern_it, name, pattern_field);
  if (pattern.empty()) pattern_field[name].fail("empty pattern");
  const Field where = pattern_field[name];
  return Regex(pattern, syntax, where.file + ": field '" + where.path + "'");
}

size_t get_count(const json& object, const std::string& key, const Field& field) {
  auto it = object.find(key);
  if (it == object.end()) field[key].fail("missing");
  if (!it->is_number_unsigned()) field[key].fail("expected a non-negative integer, found " + it->dump());
  return it->get<size_t>();
}

// A single-character string (Metaspace replacement, Strip content).
std::string get_character(const json& object, const std::string& key, const Field& field) {
  const std::string text = get_string(object, key, field);
  size_t pos = 0;
  if (!text.empty()) next_code_point(text, pos);
  if (text.empty() || pos != text.size()) field[key].fail("expected exactly one character, found \"" + text + "\"");
  return text;
}

PrependScheme read_prepend_scheme(const json& step, const Field& field) {
  if (step.contains("prepend_scheme")) {
    const std::string scheme = get_string(step, "prepend_scheme", field);
    if (scheme == "always") return PrependScheme::always;
    if (scheme == "first") return PrependScheme::first;
    if (scheme == "never") return PrependScheme::never;
    field["prepend_scheme"].fail("unsupported value \"" + scheme + "\" (supported: always, first, never)");
  }
  // Files written before tokenizers 0.15: add_prefix_space true means "always".
  return get_bool(step, "add_prefix_space", true, field) ? PrependScheme::always : PrependScheme::never;
}

void read_normalizer_into(const json& value, const Field& field, Normalizer& out) {
  const std::string type = get_type(value, field);
  NormalizerStep step;
  if (type == "Sequence") {
    expect_known_keys(value, {"type", "normalizers"}, field);
    auto it = value.find("normalizers");
    if (it == value.end() || !it->is_array()) field["normalizers"].fail("expected an array of normalizers");
    for (size_t i = 0; i < it->size(); ++i) read_normalizer_into((*it)[i], field["normalizers"][i], out);
    return;
  }
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    expect_known_keys(value, {"type"}, field);
    step.kind = NormalizerStep::Kind::unicode;
    step.form = type == "NFC" ? UnicodeForm::nfc : type == "NFD" ? UnicodeForm::nfd
              : type == "NFKC" ? UnicodeForm::nfkc : UnicodeForm::nfkd;
  } else if (type == "Lowercase") {
    expect_known_keys(value, {"type"}, field);
    step.kind = NormalizerStep::Kind::lowercase;
  } else if (type == "Strip") {
    expect_known_keys(value, {"type", "strip_left", "strip_right"}, field);
    step.kind = NormalizerStep::Kind::strip;
    step.strip_left = get_bool(value, "strip_left", true, field);
    step.strip_right = get_bool(value, "strip_right", true, field);
  } else if (type == "Replace") {
    expect_known_keys(value, {"type", "pattern", "content"}, field);
    step.kind = NormalizerStep::Kind::replace;
    step.pattern = read_pattern(value, "pattern", field);
    step.content = get_string(value, "content", field);
  } else if (type == "Prepend") {
    expect_known_keys(value, {"type", "prepend"}, field);
    step.kind = NormalizerStep::Kind::prepend;
    step.content = get_string(value, "prepend", field);
  } else {
    field["type"].fail("unsupported normalizer \"" + type +
                       "\" (supported: NFC, NFD, NFKC, NFKD, Lowercase, Strip, Replace, Prepend, Sequence)");
  }
  out.steps.push_back(std::move(step));
}

SplitStep read_split(const json& step, const Field& field) {
  expect_known_keys(step, {"type", "pattern", "behavior", "invert"}, field);
  Regex pattern = read_pattern(step, "pattern", field);
  const std::string name = get_string(step, "behavior", field);
  SplitBehavior behavior;
  if (name == "Isolated")
    behavior = SplitBehavior::isolated;
  else if (name == "Removed")
    behavior = SplitBehavior::removed;
  else if (name == "MergedWithPrevious")
    behavior = SplitBehavior::merged_with_previous;
  else if (name == "MergedWithNext")
    behavior = SplitBehavior::merged_with_next;
  else if (name == "Contiguous")
    behavior = SplitBehavior::contiguous;
  else
    field["behavior"].fail("unsupported value \"" + name +
                           "\" (supported: Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous)");
  return SplitStep{std::move(pattern), behavior, get_bool(step, "invert", false, field)};
}

// Reads one pre-tokenizer (flattening Sequences) into `out`; `last` says whether nothing follows it.
void read_pre_tokenizer_into(const json& value, const Field& field, bool last, PreTokenizer& out) {
  const std::string type = get_type(value, field);
  if (out.byte_level)
    field["type"].fail("pre-tokenizer \"" + type + "\" after ByteLevel is not supported (ByteLevel must come last)");
  if (type == "Sequence") {
    expect_known_keys(value, {"type", "pretokenizers"}, field);
    auto it = value.find("pretokenizers");
    const Field steps_field = field["pretokenizers"];
    if (it == value.end() || !it->is_array() || it->empty())
      steps_field.fail("expected a non-empty array of pre-tokenizers");
    for (size_t i = 0; i < it->size(); ++i)
      read_pre_tokenizer_into((*it)[i], steps_field[i], last && i + 1 == it->size(), out);
  } else if (type == "ByteLevel") {
    expect_known_keys(value, {"type", "add_prefix_space", "trim_offsets", "use_regex"}, field);
    if (!last) field["type"].fail("ByteLevel followed by other pre-tokenizers is not supported (it must come last)");
    out.byte_level = true;
    out.add_prefix_space = get_bool(value, "add_prefix_space", false, field);
    out.use_regex = get_bool(value, "use_regex", true, field);
    get_bool(value, "trim_offsets", true, field);  // affects offsets only
  } else if (type == "Split") {
    out.steps.push_back(read_split(value, field));
  } else if (type == "Digits") {
    expect_known_keys(value, {"type", "individual_digits"}, field);
    // Hugging Face splits on char::is_numeric (general categories Nd, Nl, No) = \p{N}.
    const bool individual = get_bool(value, "individual_digits", false, field);
    out.steps.push_back(SplitStep{Regex("\\p{N}", PatternSyntax::regex, field.file + ": field '" + field.path + "'"),
                                  individual ? SplitBehavior::isolated : SplitBehavior::contiguous, false});
  } else if (type == "Metaspace") {
    expect_known_keys(value, {"type", "replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"}, field);
    MetaspaceStep step;
    step.replacement = get_character(value, "replacement", field);
    step.prepend_scheme = read_prepend_scheme(value, field);
    step.split = get_bool(value, "split", true, field);
    out.steps.push_back(std::move(step));
  } else {
    field["type"].fail("unsupported pre-tokenizer \"" + type +
                       "\" (supported: ByteLevel, Split, Digits, Metaspace, Sequence)");
  }
}

void read_decoder_into(const json& value, const Field& field, Decoder& out) {
  const std::string type = get_type(value, field);
  DecoderStep step;
  if (type == "Sequence") {
    expect_known_keys(value, {"type", "decoders"}, field);
    auto it = value.find("decoders");
    if (it == value.end() || !it->is_array()) field["decoders"].fail("expected an array of decoders");
    for (size_t i = 0; i < it->size(); ++i) read_decoder_into((*it)[i], field["decoders"][i], out);
    return;
  }
  if (type == "ByteLevel") {
    expect_known_keys(value, {"type", "add_prefix_space", "trim_offsets", "use_regex"}, field);
    step.kind = DecoderStep::Kind::byte_level;
  } else if (type == "Metaspace") {
    expect_known_keys(value, {"type", "replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"}, field);
    step.kind = DecoderStep::Kind::metaspace;
    step.text = get_character(value, "replacement", field);
    step.prepend_scheme = read_prepend_scheme(value, field);
  } else if (type == "ByteFallback" || type == "Fuse") {
    expect_known_keys(value, {"type"}, field);
    step.kind = type == "Fuse" ? DecoderStep::Kind::fuse : DecoderStep::Kind::byte_fallback;
  } else if (type == "Strip") {
    expect_known_keys(value, {"type", "content", "start", "stop"}, field);
    step.kind = DecoderStep::Kind::strip;
    step.text = get_character(value, "content", field);
    step.start = get_count(value, "start", field);
    step.stop = get_count(value, "stop", field);
  } else if (type == "Replace") {
    expect_known_keys(value, {"type", "pattern", "content"}, field);
    step.kind = DecoderStep::Kind::replace;
    step.pattern = read_pattern(value, "pattern", field);
    step.text = get_string(value, "content", field);
  } else if (type == "WordPiece") {
    expect_known_keys(value, {"type", "prefix", "cleanup"}, field);
    step.kind = DecoderStep::Kind::word_piece;
    step.text = value.contains("prefix") ? get_string(value, "prefix", field) : "##";
    step.cleanup = get_bool(value, "cleanup", true, field);
  } else if (type == "BPEDecoder") {
    expect_known_keys(value, {"type", "suffix"}, field);
    step.kind = DecoderStep::Kind::bpe_suffix;
    step.text = value.contains("suffix") ? get_string(value, "suffix", field) : "</w>";
  } else {
    field["type"].fail("unsupported decoder \"" + type +
                       "\" (supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, WordPiece, "
                       "BPEDecoder, Sequence)");
  }
  out.steps.push_back(std::move(step));
}

}  // namespace

Normalizer read_normalizer(const json& value, const Field& field) {
  Normalizer normalizer;
  if (!value.is_null()) read_normalizer_into(value, field, normalizer);
  return normalizer;
}

PreTokenizer read_pre_tokenizer(const json& value, const Field& field) {
  PreTokenizer pre;
  pre.byte_level = false;
  if (!value.is_null()) read_pre_tokenizer_into(value, field, true, pre);
  return pre;
}

Decoder read_decoder(const json& value, const Field& field) {
  Decoder decoder;
  if (value.is_null()) return decoder;
  decoder.present = true;
  read_decoder_into(value, field, decoder);
  return decoder;
}

}  // namespace r1::bpe
