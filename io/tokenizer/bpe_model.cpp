// BPE vocabulary, merge ranks and the per-word merge loop (a min-heap of candidate merges keyed by
// (rank, position) over a doubly linked list of symbols; stale heap entries are skipped).
#include "io/tokenizer/bpe_model.hpp"

#include <algorithm>
#include <queue>

#include "core/error.hpp"
#include "io/tokenizer/bpe_byte_level.hpp"
#include "io/tokenizer/bpe_utf8.hpp"

namespace r1::bpe {

bool BpeModel::add_token(const std::string& token, int32_t id) {
  R1_CHECK(id >= 0, "token id must be non-negative, got ", id);
  if (token_to_id_.count(token) != 0) return false;
  if (size_t(id) < id_to_token_.size() && !id_to_token_[size_t(id)].empty()) return false;
  if (size_t(id) >= id_to_token_.size()) id_to_token_.resize(size_t(id) + 1);
  id_to_token_[size_t(id)] = token;
  token_to_id_.emplace(token, id);
  return true;
}

std::optional<std::string> BpeModel::add_merge(std::string_view left, std::string_view right) {
  const int32_t left_id = token_id(left), right_id = token_id(right);
  if (left_id < 0) return "merge part '" + std::string(left) + "' is not in the vocabulary";
  if (right_id < 0) return "merge part '" + std::string(right) + "' is not in the vocabulary";
  // Hugging Face drops the prefix length from the right part unconditionally.
  const size_t cut = std::min(continuing_subword_prefix.size(), right.size());
  std::string joined = std::string(left) + std::string(right.substr(cut));
  const int32_t result_id = token_id(joined);
  if (result_id < 0) return "merge result '" + joined + "' is not in the vocabulary";
  // A repeated rule takes the later rank, as Hugging Face tokenizers does when it builds its map.
  merges_.insert_or_assign(pair_key(left_id, right_id), Merge{int32_t(merge_list_.size()), result_id});
  merge_list_.emplace_back(left_id, right_id);
  return std::nullopt;
}

int BpeModel::index_byte_symbols() {
  for (int b = 0; b < 256; ++b) {
    byte_id_[size_t(b)] = token_id(byte_level_symbol(static_cast<unsigned char>(b)));
    if (byte_id_[size_t(b)] < 0) return b;
  }
  return -1;
}

void BpeModel::index_byte_fallback_tokens() {
  static const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const std::string name = std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
    fallback_id_[size_t(b)] = token_id(name);
  }
}

int32_t BpeModel::token_id(std::string_view token) const {
  auto it = token_to_id_.find(token);
  return it == token_to_id_.end() ? -1 : it->second;
}

const std::string& BpeModel::token(int32_t id) const {
  R1_CHECK(id >= 0 && id < id_limit(), "token id ", id, " out of range [0, ", id_limit(), ")");
  return id_to_token_[size_t(id)];
}

const BpeModel::Merge* BpeModel::find_merge(int32_t left, int32_t right) const {
  auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::text_symbols(std::string_view word, std::vector<int32_t>& symbols) const {
  int32_t pending_unk = 0;  // fused unknown characters not yet emitted (0 or 1 unk token)
  std::string symbol;
  size_t pos = 0;
  while (pos < word.size()) {
    const size_t begin = pos;
    next_code_point(word, pos);
    symbol.clear();
    if (begin > 0) symbol += continuing_subword_prefix;
    symbol.append(word, begin, pos - begin);
    if (pos == word.size()) symbol += end_of_word_suffix;
    const int32_t id = token_id(symbol);
    if (id >= 0) {
      if (pending_unk > 0) symbols.push_back(unk_id), pending_unk = 0;
      symbols.push_back(id);
      continue;
    }
    if (byte_fallback) {
      bool all = true;
      for (char c : symbol) all = all && fallback_id_[static_cast<unsigned char>(c)] >= 0;
      if (all) {  // as Hugging Face: a pending unk is not flushed before the byte tokens
        for (char c : symbol) symbols.push_back(fallback_id_[static_cast<unsigned char>(c)]);
        continue;
      }
    }
    if (unk_id >= 0) {
      if (pending_unk > 0 && !fuse_unk) symbols.push_back(unk_id);
      pending_unk = 1;
    }
  }
  if (pending_unk > 0) symbols.push_back(unk_id);
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  const bool plain_bytes = byte_level && continuing_subword_prefix.empty() && end_of_word_suffix.empty();
  std::string mapped;
  if (byte_level && !plain_bytes) mapped = to_byte_level(word);
  const std::string_view text = byte_level && !plain_bytes ? std::string_view(mapped) : word;
  if (ignore_merges) {
    const int32_t whole = byte_level ? token_id(plain_bytes ? to_byte_level(word) : mapped) : token_id(word);
    if (whole >= 0) {
      ids.push_back(whole);
      return;
    }
  }
  std::vector<int32_t> symbols;
  if (plain_bytes) {
    if (word.size() == 1) {
      ids.push_back(byte_id_[static_cast<unsigned char>(word[0])]);
      return;
    }
    symbols.resize(word.size());
    for (size_t i = 0; i < word.size(); ++i) symbols[i] = byte_id_[static_cast<unsigned char>(word[i])];
  } else {
    text_symbols(text, symbols);
  }
  merge_symbols(symbols, ids);
}

void BpeModel::merge_symbols(std::vector<int32_t>& initial, std::vector<int32_t>& ids) const {
  const int32_t n = int32_t(initial.size());
  if (n == 0) return;
  if (n == 1) {
    ids.push_back(initial[0]);
    return;
  }
  struct Symbol {
    int32_t id;
    int32_t prev;  // index of the previous live symbol, -1 at the start
    int32_t next;  // index of the next live symbol, -1 at the end
  };
  std::vector<Symbol> symbols(static_cast<size_t>(n));  // [n] one per initial symbol; merged ones get id -1
  for (int32_t i = 0; i < n; ++i) symbols[size_t(i)] = {initial[size_t(i)], i - 1, i + 1 < n ? i + 1 : -1};
  struct Candidate {
    int32_t rank;
    int32_t position;  // index of the left symbol
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : position > o.position; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto push_candidate = [&](int32_t left) {
    const int32_t right = symbols[size_t(left)].next;
    if (right < 0) return;
    if (const Merge* m = find_merge(symbols[size_t(left)].id, symbols[size_t(right)].id))
      queue.push({m->rank, left});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push_candidate(i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& left = symbols[size_t(c.position)];
    if (left.id < 0 || left.next < 0) continue;  // merged away, or now the last symbol
    Symbol& right = symbols[size_t(left.next)];
    const Merge* m = find_merge(left.id, right.id);
    if (m == nullptr || m->rank != c.rank) continue;  // the pair changed since this entry was queued
    left.id = m->result_id;
    const int32_t after = right.next;
    right.id = -1;
    left.next = after;
    if (after >= 0) symbols[size_t(after)].prev = c.position;
    if (left.prev >= 0) push_candidate(left.prev);
    push_candidate(c.position);
  }
  for (int32_t i = 0; i >= 0; i = symbols[size_t(i)].next) ids.push_back(symbols[size_t(i)].id);
}

}  // namespace r1::bpe
