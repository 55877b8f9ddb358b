// The BPE model: token strings with their ids, and the ranked merge rules. In a byte-level
// tokenizer the tokens are in the byte-level alphabet and a pre-token is raw bytes, one symbol per
// byte; otherwise (SentencePiece-converted vocabularies) a pre-token is text, one symbol per
// character, with Hugging Face's continuing_subword_prefix, end_of_word_suffix, byte_fallback
// (<0xNN> tokens) and unk_token / fuse_unk for characters without a token. encode_word then
// repeatedly applies the lowest-ranked merge among adjacent symbols (leftmost first on ties),
// exactly as Hugging Face tokenizers' BPE does, in O(n log n) for a pre-token of n symbols.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace r1::bpe {

// Transparent hashing so maps keyed by std::string can be searched with a std::string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class BpeModel {
 public:
  // Adds a token with the given id; false (nothing added) when the string or the id is taken.
  bool add_token(const std::string& token, int32_t id);
  // Appends the next-ranked merge rule `left right`; returns an error text when a part or the
  // result (left + right without its continuing_subword_prefix) is not a token. Set
  // continuing_subword_prefix first.
  std::optional<std::string> add_merge(std::string_view left, std::string_view right);
  // Call after all tokens are added: returns the first byte whose byte-level symbol is not a
  // token (every byte must have one so any text can be encoded), or -1 when all are present.
  int index_byte_symbols();
  // Call after all tokens are added to a model that is not byte-level: looks up the <0xNN> tokens.
  void index_byte_fallback_tokens();

  // Appends the ids of `word` to `ids`: raw bytes, not yet byte-level mapped, when byte_level is
  // set, else text.
  void encode_word(std::string_view word, std::vector<int32_t>& ids) const;

  int32_t token_id(std::string_view token) const;  // -1 when absent
  // The token string of `id`; empty for an id without a token (a gap in the id range).
  const std::string& token(int32_t id) const;
  int32_t id_limit() const { return int32_t(id_to_token_.size()); }  // largest id + 1
  int64_t token_count() const { return int64_t(token_to_id_.size()); }
  // Merge rules by rank, as (left id, right id).
  const std::vector<std::pair<int32_t, int32_t>>& merges() const { return merge_list_; }

  // Hugging Face `ignore_merges`: a pre-token that is itself a token is emitted as that token.
  bool ignore_merges = false;
  bool byte_level = true;  // symbols are the bytes of the pre-token (index_byte_symbols was called)
  bool byte_fallback = false;
  bool fuse_unk = false;
  std::string unk_token;  // "" = none: a character without a token is dropped, as in Hugging Face
  int32_t unk_id = -1;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;

 private:
  struct Merge {
    int32_t rank;
    int32_t result_id;
  };
  static uint64_t pair_key(int32_t left, int32_t right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }
  const Merge* find_merge(int32_t left, int32_t right) const;
  // The initial symbols of a text word: one token per character (with prefix / suffix), byte
  // fallback tokens or unk where a character has no token.
  void text_symbols(std::string_view word, std::vector<int32_t>& symbols) const;
  void merge_symbols(std::vector<int32_t>& symbols, std::vector<int32_t>& ids) const;

  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> token_to_id_;
  std::vector<std::string> id_to_token_;  // [id_limit] "" where no token has that id
  std::array<int32_t, 256> byte_id_{};    // byte -> id of its byte-level symbol
  std::array<int32_t, 256> fallback_id_{};  // byte -> id of its <0xNN> token, or -1
  std::unordered_map<uint64_t, Merge> merges_;
  std::vector<std::pair<int32_t, int32_t>> merge_list_;
};

}  // namespace r1::bpe
