// Pre-tokenization as Hugging Face tokenizers does it: Split steps (a regex or literal pattern from
// tokenizer.json, e.g. the Qwen2 / Llama-3 / DeepSeek-V3 patterns, or Digits as a \p{N} split) and
// Metaspace steps, optionally followed by the ByteLevel step (optional prefix space, optional split
// by the GPT-2 pattern). With ByteLevel the output pieces are raw bytes (mapping them to the
// byte-level alphabet is the BPE model's job); without it they are text.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "io/tokenizer/bpe_regex.hpp"

namespace r1::bpe {

// The GPT-2 pre-tokenization pattern (Hugging Face ByteLevel with use_regex = true).
inline constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// The Qwen2 pre-tokenization pattern (a Split step before a ByteLevel step without its own regex):
// like GPT-2's but numbers split into single digits, which makes arithmetic learnable digit by digit.
inline constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// What a Split step does with the pattern's matches (Hugging Face SplitDelimiterBehavior).
enum class SplitBehavior {
  isolated,              // matches and the gaps between them all become pieces
  removed,               // matches are dropped, gaps become pieces
  merged_with_previous,  // a match is glued to the gap before it
  merged_with_next,      // a match is glued to the gap after it
  contiguous,            // runs of adjacent matches become one piece
};

struct SplitStep {
  Regex pattern;
  SplitBehavior behavior = SplitBehavior::isolated;
  bool invert = false;  // the pattern describes the pieces to keep rather than the delimiters
};

// Metaspace: ' ' becomes `replacement` (U+2581 "▁" in SentencePiece vocabularies), the replacement
// is prepended (always, only to the piece at the start of the input, or never), and with `split`
// each piece is cut before every replacement character.
enum class PrependScheme { always, first, never };
struct MetaspaceStep {
  std::string replacement = "\xE2\x96\x81";
  PrependScheme prepend_scheme = PrependScheme::always;
  bool split = true;
};

using PreTokenizerStep = std::variant<SplitStep, MetaspaceStep>;

struct PreTokenizer {
  std::vector<PreTokenizerStep> steps;  // applied in order, before the ByteLevel step
  bool byte_level = true;         // a final ByteLevel step: pieces are raw bytes for the byte-level model
  bool add_prefix_space = false;  // ByteLevel: prepend ' ' to each piece that does not start with one
  bool use_regex = true;          // ByteLevel: split each piece with kGpt2Pattern

  // Calls piece(text) for each non-empty pre-token of `text` (valid UTF-8), in order.
  // `at_input_start`: `text` begins at offset 0 of the encoded input (Metaspace prepend_scheme first).
  void split(std::string_view text, bool at_input_start, const std::function<void(std::string_view)>& piece) const;
  void split(std::string_view text, const std::function<void(std::string_view)>& piece) const {
    split(text, true, piece);
  }

  // The compiled kGpt2Pattern, shared by every tokenizer.
  static const Regex& gpt2_regex();
};

}  // namespace r1::bpe
