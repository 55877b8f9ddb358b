// Tokenizer::save: writes a Hugging Face tokenizer.json (format of tokenizers >= 0.20: merges as
// ["left", "right"] pairs). A loaded tokenizer writes back its file's normalizer, pre_tokenizer,
// decoder and post_processor as they were; a trained one gets no normalizer, a ByteLevel decoder
// and its pre-tokenizer (ByteLevel, or a Sequence of its Split steps followed by ByteLevel). The
// file is replaced atomically.
#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/checkpoint/checkpoint_fsync.hpp"
#include "io/tokenizer/tokenizer.hpp"

namespace r1 {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json byte_level_json(bool add_prefix_space, bool trim_offsets, bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"trim_offsets", trim_offsets},
          {"use_regex", use_regex}};
}

const char* behavior_name(bpe::SplitBehavior behavior) {
  switch (behavior) {
    case bpe::SplitBehavior::isolated: return "Isolated";
    case bpe::SplitBehavior::removed: return "Removed";
    case bpe::SplitBehavior::merged_with_previous: return "MergedWithPrevious";
    case bpe::SplitBehavior::merged_with_next: return "MergedWithNext";
    case bpe::SplitBehavior::contiguous: return "Contiguous";
  }
  return "Isolated";
}

// A part as loaded, else `generated`.
ordered_json loaded_or(const std::string& loaded, ordered_json generated) {
  return loaded.empty() ? std::move(generated) : ordered_json::parse(loaded);
}

ordered_json optional_string(const std::string& text) { return text.empty() ? ordered_json() : ordered_json(text); }

ordered_json pre_tokenizer_json(const bpe::PreTokenizer& pre) {
  ordered_json byte_level = byte_level_json(pre.add_prefix_space, true, pre.use_regex);
  if (pre.steps.empty()) return byte_level;
  ordered_json steps = ordered_json::array();
  for (const bpe::PreTokenizerStep& any_step : pre.steps) {
    const auto& step = std::get<bpe::SplitStep>(any_step);  // trained tokenizers have Split steps only
    const char* syntax = step.pattern.syntax() == bpe::PatternSyntax::regex ? "Regex" : "String";
    steps.push_back({{"type", "Split"},
                     {"pattern", {{syntax, step.pattern.pattern()}}},
                     {"behavior", behavior_name(step.behavior)},
                     {"invert", step.invert}});
  }
  steps.push_back(std::move(byte_level));
  return {{"type", "Sequence"}, {"pretokenizers", std::move(steps)}};
}

}  // namespace

void Tokenizer::save(const std::string& path) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string file = fs::is_directory(path, ec) ? (fs::path(path) / "tokenizer.json").string() : path;

  ordered_json added = ordered_json::array();
  std::vector<const bpe::AddedToken*> by_id;
  for (const auto& t : added_tokens_) by_id.push_back(&t);
  std::sort(by_id.begin(), by_id.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  for (const bpe::AddedToken* t : by_id)
    added.push_back({{"id", t->id},
                     {"content", t->content},
                     {"single_word", t->single_word},
                     {"lstrip", t->lstrip},
                     {"rstrip", t->rstrip},
                     {"normalized", t->normalized},
                     {"special", t->special}});

  // Appended straight to the ordered map's underlying vector: operator[] would search it for each
  // key (quadratic for a 150k-token vocabulary); the keys are unique already.
  ordered_json vocab = ordered_json::object();
  auto& vocab_entries = vocab.get_ref<ordered_json::object_t&>();
  vocab_entries.reserve(size_t(model_.token_count()));
  for (int32_t id = 0; id < model_.id_limit(); ++id)
    if (!model_.token(id).empty()) vocab_entries.emplace_back(model_.token(id), id);
  ordered_json merges = ordered_json::array();
  for (const auto& [left, right] : model_.merges()) merges.push_back({model_.token(left), model_.token(right)});

  ordered_json root;
  root["version"] = "1.0";
  root["truncation"] = nullptr;
  root["padding"] = nullptr;
  root["added_tokens"] = std::move(added);
  root["normalizer"] = loaded_or(normalizer_json_, nullptr);
  root["pre_tokenizer"] =
      pre_tokenizer_json_.empty() ? pre_tokenizer_json(pre_tokenizer_) : ordered_json::parse(pre_tokenizer_json_);
  root["post_processor"] = ordered_json::parse(post_processor_json_);
  root["decoder"] = loaded_or(decoder_json_, byte_level_json(true, true, true));
  root["model"] = {{"type", "BPE"},
                   {"dropout", nullptr},
                   {"unk_token", optional_string(model_.unk_token)},
                   {"continuing_subword_prefix", optional_string(model_.continuing_subword_prefix)},
                   {"end_of_word_suffix", optional_string(model_.end_of_word_suffix)},
                   {"fuse_unk", model_.fuse_unk},
                   {"byte_fallback", model_.byte_fallback},
                   {"ignore_merges", model_.ignore_merges},
                   {"vocab", std::move(vocab)},
                   {"merges", std::move(merges)}};

  // Atomic: a run killed while saving leaves the old file or none, never a truncated one that the
  // restarted run would fail to parse.
  replace_file_atomically(file, root.dump(2) + "\n");
}

}  // namespace r1
