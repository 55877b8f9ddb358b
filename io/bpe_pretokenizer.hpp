// Pre-tokenization for byte-level BPE, as Hugging Face tokenizers does it: optional Split steps
// (a regex or literal pattern taken from tokenizer.json, e.g. the Qwen2 / Llama-3 patterns)
// followed by the ByteLevel step (optional prefix space, optional split by the GPT-2 pattern).
// The output pieces are raw bytes; mapping them to the byte-level alphabet is the BPE model's job.
#pragma once
#include <functional>
#include <string_view>
#include <vector>

#include "io/bpe_regex.hpp"

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
  isolated,  // matches and the gaps between them all become pieces
  removed,   // matches are dropped, gaps become pieces
};

struct SplitStep {
  Regex pattern;
  SplitBehavior behavior = SplitBehavior::isolated;
  bool invert = false;  // the pattern describes the pieces to keep rather than the delimiters
};

struct PreTokenizer {
  std::vector<SplitStep> splits;  // applied in order, before the ByteLevel step
  bool add_prefix_space = false;  // ByteLevel: prepend ' ' to each piece that does not start with one
  bool use_regex = true;          // ByteLevel: split each piece with kGpt2Pattern

  // Calls piece(bytes) for each non-empty pre-token of `text` (valid UTF-8), in order.
  void split(std::string_view text, const std::function<void(std::string_view)>& piece) const;

  // The compiled kGpt2Pattern, shared by every tokenizer.
  static const Regex& gpt2_regex();
};

}  // namespace r1::bpe
