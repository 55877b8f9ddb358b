// The BPE model of a byte-level tokenizer: token strings (in the byte-level alphabet) with their
// ids, and the ranked merge rules. encode_word turns one pre-token into ids by repeatedly
// applying the lowest-ranked merge among adjacent symbols (leftmost first on ties), exactly as
// Hugging Face tokenizers' BPE does, in O(n log n) for a pre-token of n bytes.
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
  // concatenation is not a token.
  std::optional<std::string> add_merge(std::string_view left, std::string_view right);
  // Call after all tokens are added: returns the first byte whose byte-level symbol is not a
  // token (every byte must have one so any text can be encoded), or -1 when all are present.
  int index_byte_symbols();

  // Appends the ids of pre-token `bytes` (raw bytes, not yet byte-level mapped) to `ids`.
  void encode_word(std::string_view bytes, std::vector<int32_t>& ids) const;

  int32_t token_id(std::string_view token) const;  // -1 when absent
  // The token string of `id`; empty for an id without a token (a gap in the id range).
  const std::string& token(int32_t id) const;
  int32_t id_limit() const { return int32_t(id_to_token_.size()); }  // largest id + 1
  int64_t token_count() const { return int64_t(token_to_id_.size()); }
  // Merge rules by rank, as (left id, right id).
  const std::vector<std::pair<int32_t, int32_t>>& merges() const { return merge_list_; }

  // Hugging Face `ignore_merges`: a pre-token that is itself a token is emitted as that token.
  bool ignore_merges = false;

 private:
  struct Merge {
    int32_t rank;
    int32_t result_id;
  };
  static uint64_t pair_key(int32_t left, int32_t right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }
  const Merge* find_merge(int32_t left, int32_t right) const;

  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> token_to_id_;
  std::vector<std::string> id_to_token_;  // [id_limit] "" where no token has that id
  std::array<int32_t, 256> byte_id_{};    // byte -> id of its byte-level symbol
  std::unordered_map<uint64_t, Merge> merges_;
  std::vector<std::pair<int32_t, int32_t>> merge_list_;
};

}  // namespace r1::bpe
