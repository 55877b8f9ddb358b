// Byte-level BPE tokenizer, compatible with GPT-2 and Hugging Face `tokenizers` (the ByteLevel
// pre-tokenizer with the bytes_to_unicode alphabet, BPE merges applied by rank). Loads
// tokenizer.json (BPE model, ByteLevel pre-tokenizer, optionally after Split steps carrying the
// model's own regex as in Qwen2 / Llama-3, added tokens) or GPT-2's vocab.json + merges.txt;
// trains small tokenizers for toy runs and saves them as a tokenizer.json that Hugging Face
// `tokenizers` can load.
//
// encode returns the ids of the text only: it never adds BOS/EOS (a tokenizer.json
// post_processor is kept for save() but not applied). decode is the exact inverse of encode on
// bytes: decode(encode(x)) == x for every valid UTF-8 x (unless the tokenizer.json asks for
// ByteLevel add_prefix_space, whose added spaces decode as spaces, as in Hugging Face).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/bpe_added_tokens.hpp"
#include "io/bpe_model.hpp"
#include "io/bpe_pretokenizer.hpp"
#include "io/bpe_word_cache.hpp"

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

  int32_t token_id(std::string_view token) const;  // -1 when absent (byte-level form for BPE tokens)
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

 private:
  Tokenizer(bpe::BpeModel model, bpe::PreTokenizer pre_tokenizer);

  // Registers an added token with a fixed id (tokenizer.json); throws InputError naming `where`
  // when it conflicts with an existing token.
  void add_token_with_id(bpe::AddedToken token, const std::string& where);
  void rebuild_added_token_tables();
  void encode_ordinary_text(std::string_view text, std::vector<int32_t>& ids) const;
  void encode_piece(std::string_view piece, std::vector<int32_t>& ids) const;

  bpe::BpeModel model_;
  bpe::PreTokenizer pre_tokenizer_;
  std::vector<bpe::AddedToken> added_tokens_;
  bpe::AddedTokenMatcher added_token_matcher_;
  std::vector<std::string> id_bytes_;     // [vocab_size] raw bytes each id decodes to
  std::vector<int32_t> added_token_index_;  // [vocab_size] index into added_tokens_, or -1
  std::string post_processor_json_ = "null";  // tokenizer.json post_processor, written back by save()
  int32_t eos_id_ = -1;
  std::vector<int32_t> stop_ids_;  // empty: {eos_id_}
  mutable bpe::WordCache cache_;
};

}  // namespace r1
