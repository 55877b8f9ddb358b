// Tokenizer::train_bpe: byte-level BPE training for toy runs. Pre-tokens are counted once; each
// step merges the most frequent adjacent pair (ties: smallest (left bytes, right bytes)) in
// every word that holds it, left to right, and updates pair counts incrementally from the words
// that changed. A merge whose result already exists as a token (another merge order reached the
// same bytes) reuses that token's id, as Hugging Face's trainer does.
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "io/tokenizer/bpe_byte_level.hpp"
#include "io/tokenizer/bpe_utf8.hpp"
#include "io/tokenizer/tokenizer.hpp"

namespace r1 {
namespace {

uint64_t pair_key(int32_t left, int32_t right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }
int32_t key_left(uint64_t key) { return int32_t(key >> 32); }
int32_t key_right(uint64_t key) { return int32_t(key & 0xFFFFFFFFu); }

struct Word {
  std::vector<int32_t> symbols;  // token ids, one per byte at first
  int64_t count = 0;             // occurrences in the corpus
};

struct PairCandidate {
  int64_t count;
  int32_t left, right;
};

// Orders candidates best first: higher count, then smaller (left bytes, right bytes).
struct BestPairFirst {
  const std::vector<std::string>* token_bytes;
  bool operator()(const PairCandidate& a, const PairCandidate& b) const {
    if (a.count != b.count) return a.count > b.count;
    const auto& bytes = *token_bytes;
    if (a.left != b.left) return bytes[size_t(a.left)] < bytes[size_t(b.left)];
    return bytes[size_t(a.right)] < bytes[size_t(b.right)];
  }
};

class PairStatistics {
 public:
  explicit PairStatistics(const std::vector<std::string>& token_bytes) : queue_(BestPairFirst{&token_bytes}) {}

  void add(uint64_t key, int64_t delta) {
    if (delta == 0) return;
    int64_t& count = counts_[key];
    if (count > 0) queue_.erase(PairCandidate{count, key_left(key), key_right(key)});
    count += delta;
    R1_CHECK(count >= 0, "pair count went negative");
    if (count > 0) queue_.insert(PairCandidate{count, key_left(key), key_right(key)});
  }
  bool empty() const { return queue_.empty(); }
  const PairCandidate& best() const { return *queue_.begin(); }

 private:
  std::unordered_map<uint64_t, int64_t> counts_;
  std::set<PairCandidate, BestPairFirst> queue_;
};

// Replaces each non-overlapping (left, right) in `symbols`, scanning left to right, by `merged`.
bool merge_pair(std::vector<int32_t>& symbols, int32_t left, int32_t right, int32_t merged) {
  size_t out = 0;
  bool changed = false;
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
      symbols[out++] = merged;
      ++i;
      changed = true;
    } else {
      symbols[out++] = symbols[i];
    }
  }
  symbols.resize(out);
  return changed;
}

}  // namespace

Tokenizer Tokenizer::train_bpe(const std::vector<std::string>& texts, int64_t vocab_size,
                               const std::vector<std::string>& special_tokens, const std::string& split_pattern) {
  const std::set<std::string> distinct_specials(special_tokens.begin(), special_tokens.end());
  R1_INPUT_CHECK(vocab_size >= 256 + int64_t(distinct_specials.size()), "train_bpe: vocab_size ", vocab_size,
                 " is below 256 byte tokens + ", distinct_specials.size(), " special tokens");
  bpe::PreTokenizer pre_tokenizer;  // GPT-2 pattern, no prefix space
  if (!split_pattern.empty()) {
    pre_tokenizer.steps.push_back(
        bpe::SplitStep{bpe::Regex(split_pattern, bpe::PatternSyntax::regex, "train_bpe split_pattern"),
                       bpe::SplitBehavior::isolated, false});
    pre_tokenizer.use_regex = false;
  }

  // Count pre-tokens, with the special tokens cut out of the texts. std::map keeps word order
  // (and so the whole run) independent of hashing.
  std::vector<bpe::AddedToken> specials;
  for (const std::string& s : distinct_specials) specials.push_back(bpe::AddedToken{s, 0});
  const bpe::AddedTokenMatcher special_matcher(specials);
  std::map<std::string, int64_t> word_counts;
  for (size_t t = 0; t < texts.size(); ++t) {
    const size_t bad = bpe::find_invalid_utf8(texts[t]);
    R1_INPUT_CHECK(bad == std::string_view::npos, "train_bpe: text ", t, " is not valid UTF-8 (byte offset ", bad, ")");
    special_matcher.split(texts[t], true, [&](std::string_view part, int32_t special_id) {
      if (special_id < 0) pre_tokenizer.split(part, [&](std::string_view piece) { ++word_counts[std::string(piece)]; });
    });
  }

  std::vector<std::string> token_bytes;  // [tokens] raw bytes of each token id
  std::unordered_map<std::string, int32_t> id_of_bytes;
  for (int b = 0; b < 256; ++b) {
    token_bytes.emplace_back(1, static_cast<char>(b));
    id_of_bytes.emplace(token_bytes.back(), b);
  }
  std::vector<Word> words;
  words.reserve(word_counts.size());
  for (const auto& [piece, count] : word_counts) {
    Word w;
    w.count = count;
    for (char c : piece) w.symbols.push_back(static_cast<unsigned char>(c));
    words.push_back(std::move(w));
  }

  PairStatistics pairs(token_bytes);
  std::unordered_map<uint64_t, std::vector<int32_t>> words_with_pair;  // may list a word more than once
  for (int32_t w = 0; w < int32_t(words.size()); ++w) {
    const auto& s = words[size_t(w)].symbols;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      pairs.add(pair_key(s[i], s[i + 1]), words[size_t(w)].count);
      words_with_pair[pair_key(s[i], s[i + 1])].push_back(w);
    }
  }

  const int64_t model_token_limit = vocab_size - int64_t(distinct_specials.size());
  std::vector<std::pair<int32_t, int32_t>> merges;
  std::vector<int64_t> last_visit(words.size(), -1);  // [words] last merge step that processed the word
  while (int64_t(token_bytes.size()) < model_token_limit && !pairs.empty()) {
    const PairCandidate best = pairs.best();
    const std::string merged_bytes = token_bytes[size_t(best.left)] + token_bytes[size_t(best.right)];
    auto [it, is_new] = id_of_bytes.emplace(merged_bytes, int32_t(token_bytes.size()));
    if (is_new) token_bytes.push_back(merged_bytes);
    const int32_t merged = it->second;
    const int64_t step = int64_t(merges.size());
    merges.emplace_back(best.left, best.right);

    std::unordered_map<uint64_t, int64_t> delta;
    const std::vector<int32_t> candidates = std::move(words_with_pair[pair_key(best.left, best.right)]);
    words_with_pair.erase(pair_key(best.left, best.right));
    for (int32_t w : candidates) {
      if (last_visit[size_t(w)] == step) continue;
      last_visit[size_t(w)] = step;
      Word& word = words[size_t(w)];
      std::vector<int32_t> before = word.symbols;
      if (!merge_pair(word.symbols, best.left, best.right, merged)) continue;
      for (size_t i = 0; i + 1 < before.size(); ++i) delta[pair_key(before[i], before[i + 1])] -= word.count;
      for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
        const uint64_t key = pair_key(word.symbols[i], word.symbols[i + 1]);
        delta[key] += word.count;
        if (word.symbols[i] == merged || word.symbols[i + 1] == merged) words_with_pair[key].push_back(w);
      }
    }
    for (const auto& [key, change] : delta) pairs.add(key, change);
  }

  bpe::BpeModel model;
  for (int32_t id = 0; id < int32_t(token_bytes.size()); ++id)
    R1_CHECK(model.add_token(bpe::to_byte_level(token_bytes[size_t(id)]), id), "duplicate trained token ", id);
  R1_CHECK(model.index_byte_symbols() < 0, "trained vocabulary lacks a byte token");
  for (const auto& [left, right] : merges) {
    auto error = model.add_merge(model.token(left), model.token(right));
    R1_CHECK(!error, "trained merge rejected: ", error.value_or(""));
  }
  Tokenizer tokenizer(std::move(model), std::move(pre_tokenizer));
  tokenizer.add_special_tokens(special_tokens);
  return tokenizer;
}

}  // namespace r1
