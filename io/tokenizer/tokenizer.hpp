// BPE tokenizer equal to Hugging Face `tokenizers` for the BPE tokenizer.json files of real model
// families: byte-level ones (GPT-2, Qwen2.5 / Qwen3 with NFC, Llama-3, DeepSeek-V3: Split regexes
// then ByteLevel) and SentencePiece-converted ones (Llama-2 / Mistral: Prepend + Replace or
// Metaspace, byte_fallback, unk). Pipeline, as in Hugging Face: added tokens that are not
// `normalized` are cut out of the raw text; each remaining run is normalized; normalized added
// tokens are cut out of that; the rest is pre-tokenized and each pre-token goes through the word
// cache or the BPE merge loop. Also loads GPT-2's vocab.json + merges.txt; trains small
// byte-level tokenizers for toy runs and saves a tokenizer.json that Hugging Face loads alike.
//
// encode returns the ids of the text only: it never adds BOS/EOS (a tokenizer.json
// post_processor is kept for save() but not applied). decode runs the tokenizer.json decoder
// (skip_special_tokens false). For byte-level tokenizers without a normalizer decode is the exact
// inverse of encode on bytes: decode(encode(x)) == x for every valid UTF-8 x (unless the
// tokenizer.json asks for ByteLevel add_prefix_space, whose added spaces decode as spaces, as in
// Hugging Face); with NFC, for NFC text.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/tokenizer/bpe_added_tokens.hpp"
#include "io/tokenizer/bpe_model.hpp"
#include "io/tokenizer/bpe_pretokenizer.hpp"
#include "io/tokenizer/bpe_word_cache.hpp"
#include "io/tokenizer/tokenizer_decoder.hpp"
#include "io/tokenizer/tokenizer_normalizer.hpp"

namespace r1 {

// Whether special tokens written in the text are recognised (parse) or encoded as ordinary text.
enum class SpecialTokens { parse, plain };

class Tokenizer {
 public:
  // `path` is a folder holding tokenizer.json (preferred) or vocab.json + merges.txt, or a path to
  // a tokenizer.json file. In a folder, tokenizer_config.json's "eos_token" (when present and in
  // the vocabulary) sets eos_id(). Unreadable or unsupported files throw InputError naming the
  // file and the JSON field or line.
  static Tokenizer load(const std::string& path);

  // Trains a byte-level BPE on `texts` (pre-tokenized with the GPT-2 pattern; occurrences of the
  // special tokens are cut out of the texts first). Ids: 0..255 are the bytes (id = byte value),
  // then one id per new merged token in merge order, then the special tokens in the given order
  // (so Hugging Face, which numbers added tokens after the model vocabulary, assigns the same
  // ids). The most frequent adjacent pair is merged first; ties go to the pair whose
  // (left bytes, right bytes) is lexicographically smallest. Training stops at `vocab_size`
  // tokens in total, or earlier when no adjacent pair is left.
  // split_pattern: a pre-tokenizer regex applied as a Split step before the byte-level step (e.g.
  // bpe::kQwen2Pattern); empty = the GPT-2 pattern inside the byte-level step.
  static Tokenizer train_bpe(const std::vector<std::string>& texts, int64_t vocab_size,
                             const std::vector<std::string>& special_tokens, const std::string& split_pattern = "");

  // Writes a Hugging Face tokenizer.json to `path` (or to `path`/tokenizer.json when `path` is an
  // existing folder).
  void save(const std::string& path) const;

  // Throws InputError when `text` is not valid UTF-8.
  std::vector<int32_t> encode(std::string_view text, SpecialTokens special = SpecialTokens::parse) const;

  // Concatenated bytes of the tokens; ids outside the vocabulary (e.g. padding rows of an
  // embedding larger than the vocabulary) are skipped, as Hugging Face does. For arbitrary id
  // sequences the result may be invalid UTF-8 (Hugging Face would substitute U+FFFD).
  std::string decode(const std::vector<int32_t>& ids) const;
  std::string decode(std::span<const int32_t> ids) const;
  std::string decode(const int32_t* ids, size_t count) const;

  // Registers each token not already in the vocabulary as a special token with the next free id
  // (appended at the end); a token already present is marked special and keeps its id.
  void add_special_tokens(const std::vector<std::string>& tokens);

  // Added tokens first, then the BPE vocabulary; -1 when absent (byte-level form for BPE tokens).
  int32_t token_id(std::string_view token) const;
  // The token as stored: the byte-level form ("Ġthe") for BPE tokens, the content for added ones.
  const std::string& token_string(int32_t id) const;
  int64_t vocab_size() const;  // largest id + 1
  bool is_special(int32_t id) const;

  // The end-of-sequence id: tokenizer_config.json's eos_token, else <|endoftext|> when present,
  // else -1. set_eos_token throws InputError when the token is not in the vocabulary.
  int32_t eos_id() const { return eos_id_; }
  void set_eos_token(std::string_view token);

  // Ids that end a generated sequence: {eos_id()} unless set (a model's generation_config.json may
  // list several, e.g. Llama-3's <|end_of_text|>, <|eom_id|>, <|eot_id|>). set_stop_ids makes
  // ids[0] the eos_id(); every id must be in the vocabulary.
  std::vector<int32_t> stop_ids() const;
  void set_stop_ids(const std::vector<int32_t>& ids);
  bool is_stop(int32_t id) const;

  // The added tokens (content, id, special and the matching flags), in tokenizer.json order.
  const std::vector<bpe::AddedToken>& added_tokens() const { return added_tokens_; }

 private:
  Tokenizer(bpe::BpeModel model, bpe::PreTokenizer pre_tokenizer);

  // Registers an added token with a fixed id (tokenizer.json); throws InputError naming `where`
  // when it conflicts with an existing token.
  void add_token_with_id(bpe::AddedToken token, const std::string& where);
  void rebuild_added_token_tables();
  void encode_normalized(std::string_view text, bool parse_special, bool at_input_start,
                         std::vector<int32_t>& ids) const;
  void encode_ordinary_text(std::string_view text, bool at_input_start, std::vector<int32_t>& ids) const;
  bool decodes_bytes() const;  // decoding is per-token bytes (ByteLevel decoder)
  void encode_piece(std::string_view piece, std::vector<int32_t>& ids) const;

  bpe::BpeModel model_;
  bpe::Normalizer normalizer_;
  bpe::PreTokenizer pre_tokenizer_;
  bpe::Decoder decoder_;
  std::vector<bpe::AddedToken> added_tokens_;
  bpe::AddedTokenMatcher raw_token_matcher_;         // added tokens with normalized = false
  bpe::AddedTokenMatcher normalized_token_matcher_;  // added tokens with normalized = true
  std::vector<std::string> id_bytes_;     // [vocab_size] raw bytes each id decodes to (ByteLevel decoder)
  std::vector<int32_t> added_token_index_;  // [vocab_size] index into added_tokens_, or -1
  // [added_tokens_] the string decode uses: the normalized content for normalized tokens (as HF).
  std::vector<std::string> added_token_decoded_;
  // tokenizer.json parts written back by save() as loaded; empty = describe the parsed parts.
  std::string normalizer_json_, pre_tokenizer_json_, decoder_json_;
  std::string post_processor_json_ = "null";
  int32_t eos_id_ = -1;
  std::vector<int32_t> stop_ids_;  // empty: {eos_id_}
  mutable bpe::WordCache cache_;
};

}  // namespace r1
