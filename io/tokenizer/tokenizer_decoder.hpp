// Decoders of Hugging Face tokenizer.json: turn the token strings of an id sequence back into text.
// Supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, WordPiece, BPEDecoder, and
// Sequences of them (flattened). Each step maps the token list to a new token list, as Hugging
// Face's decode_chain; the result is the concatenation of the final list.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "io/tokenizer/bpe_pretokenizer.hpp"
#include "io/tokenizer/bpe_regex.hpp"

namespace r1::bpe {

struct DecoderStep {
  enum class Kind { byte_level, metaspace, byte_fallback, fuse, strip, replace, word_piece, bpe_suffix };
  Kind kind = Kind::byte_level;
  std::string text;                     // metaspace: replacement; strip: content; word_piece: prefix;
                                        // bpe_suffix: suffix; replace: the replacement
  PrependScheme prepend_scheme = PrependScheme::always;  // metaspace
  size_t start = 0, stop = 0;           // strip: at most this many leading / trailing `text` characters
  bool cleanup = false;                 // word_piece: undo the spaces BERT puts around punctuation
  std::optional<Regex> pattern;         // replace
};

class Decoder {
 public:
  std::vector<DecoderStep> steps;
  bool present = false;  // tokenizer.json had a decoder (without one tokens are joined with spaces)

  // Exactly one ByteLevel step: each token decodes to its own bytes, so Tokenizer can cache them.
  bool is_byte_level() const { return steps.size() == 1 && steps[0].kind == DecoderStep::Kind::byte_level; }
  std::string decode(std::vector<std::string> tokens) const;
};

}  // namespace r1::bpe
