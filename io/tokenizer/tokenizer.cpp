// Tokenizer encode/decode and vocabulary queries. Encoding: raw-matched added tokens are cut out
// of the text first; each remaining run is normalized, normalized added tokens are cut out of it,
// the rest is pre-tokenized, and each pre-token goes through the word cache or the BPE merge loop.
#include "io/tokenizer/tokenizer.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "io/tokenizer/bpe_byte_level.hpp"
#include "io/tokenizer/bpe_utf8.hpp"

namespace r1 {

Tokenizer::Tokenizer(bpe::BpeModel model, bpe::PreTokenizer pre_tokenizer)
    : model_(std::move(model)), pre_tokenizer_(std::move(pre_tokenizer)) {
  decoder_.present = true;
  decoder_.steps.push_back(bpe::DecoderStep{});  // ByteLevel
  rebuild_added_token_tables();
}

void Tokenizer::rebuild_added_token_tables() {
  int64_t size = model_.id_limit();
  for (const auto& t : added_tokens_) size = std::max<int64_t>(size, int64_t(t.id) + 1);
  id_bytes_.assign(size_t(size), std::string());
  added_token_index_.assign(size_t(size), -1);
  for (int32_t id = 0; id < model_.id_limit(); ++id) {
    const std::string& token = model_.token(id);
    // Every token of a byte-level vocabulary maps back to bytes; one that does not (possible only
    // in a hand-made file) decodes as its own text, like the Hugging Face ByteLevel decoder.
    if (!bpe::from_byte_level(token, id_bytes_[size_t(id)])) id_bytes_[size_t(id)] = token;
  }
  std::vector<bpe::AddedToken> raw, normalized;
  std::vector<std::string> normalized_patterns;
  added_token_decoded_.assign(added_tokens_.size(), std::string());
  for (size_t i = 0; i < added_tokens_.size(); ++i) {
    const bpe::AddedToken& t = added_tokens_[i];
    std::string& text = added_token_decoded_[i];
    text = t.content;
    if (t.normalized) {
      normalizer_.apply(text);
      normalized.push_back(t);
      normalized_patterns.push_back(text);
    } else {
      raw.push_back(t);
    }
    // Hugging Face runs added tokens through the decoder too: ByteLevel maps "<|im_end|>" to itself.
    id_bytes_[size_t(t.id)].clear();
    if (!bpe::from_byte_level(text, id_bytes_[size_t(t.id)])) id_bytes_[size_t(t.id)] = text;
    added_token_index_[size_t(t.id)] = int32_t(i);
  }
  raw_token_matcher_ = bpe::AddedTokenMatcher(raw);
  normalized_token_matcher_ = bpe::AddedTokenMatcher(normalized, normalized_patterns);
}

int64_t Tokenizer::vocab_size() const { return int64_t(id_bytes_.size()); }

int32_t Tokenizer::token_id(std::string_view token) const {
  for (const auto& t : added_tokens_)
    if (t.content == token) return t.id;
  return model_.token_id(token);
}

const std::string& Tokenizer::token_string(int32_t id) const {
  R1_CHECK(id >= 0 && id < vocab_size(), "token id ", id, " out of range [0, ", vocab_size(), ")");
  const int32_t added = added_token_index_[size_t(id)];
  if (added >= 0) return added_tokens_[size_t(added)].content;
  return model_.token(id);
}

bool Tokenizer::is_special(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return false;
  const int32_t added = added_token_index_[size_t(id)];
  return added >= 0 && added_tokens_[size_t(added)].special;
}

void Tokenizer::set_eos_token(std::string_view token) {
  const int32_t id = token_id(token);
  R1_INPUT_CHECK(id >= 0, "eos token '", token, "' is not in the tokenizer vocabulary");
  eos_id_ = id;
}

std::vector<int32_t> Tokenizer::stop_ids() const {
  if (!stop_ids_.empty()) return stop_ids_;
  if (eos_id_ >= 0) return {eos_id_};
  return {};
}

void Tokenizer::set_stop_ids(const std::vector<int32_t>& ids) {
  for (int32_t id : ids)
    R1_INPUT_CHECK(id >= 0 && id < vocab_size(), "stop token id ", id, " is outside the vocabulary (", vocab_size(), ")");
  stop_ids_ = ids;
  if (!ids.empty()) eos_id_ = ids[0];
}

bool Tokenizer::is_stop(int32_t id) const {
  if (stop_ids_.empty()) return id >= 0 && id == eos_id_;
  for (int32_t s : stop_ids_)
    if (s == id) return true;
  return false;
}

void Tokenizer::add_token_with_id(bpe::AddedToken token, const std::string& where) {
  R1_INPUT_CHECK(!token.content.empty(), where, ": added token content is empty");
  R1_INPUT_CHECK(token.id >= 0, where, ": added token '", token.content, "' has negative id ", token.id);
  for (const auto& t : added_tokens_) {
    R1_INPUT_CHECK(t.content != token.content, where, ": added token '", token.content, "' is listed twice");
    R1_INPUT_CHECK(t.id != token.id, where, ": added tokens '", t.content, "' and '", token.content,
                   "' share id ", token.id);
  }
  // The same id may name a BPE token only when it is the same text (as <|endoftext|> in GPT-2's
  // vocab.json), so decoding stays unambiguous.
  if (token.id < model_.id_limit() && !model_.token(token.id).empty()) {
    const std::string& model_token = model_.token(token.id);
    R1_INPUT_CHECK(model_token == token.content || model_token == bpe::to_byte_level(token.content), where,
                   ": added token '", token.content, "' has id ", token.id, ", which the BPE vocabulary gives to '",
                   model_token, "'");
  }
  added_tokens_.push_back(std::move(token));
}

void Tokenizer::add_special_tokens(const std::vector<std::string>& tokens) {
  for (const std::string& content : tokens) {
    R1_INPUT_CHECK(!content.empty(), "add_special_tokens: empty token");
    R1_INPUT_CHECK(bpe::find_invalid_utf8(content) == std::string_view::npos, "add_special_tokens: token '",
                   content, "' is not valid UTF-8");
    auto existing = std::find_if(added_tokens_.begin(), added_tokens_.end(),
                                 [&](const bpe::AddedToken& t) { return t.content == content; });
    if (existing != added_tokens_.end()) {
      existing->special = true;
    } else {
      const int32_t model_id = model_.token_id(content);
      int32_t next_id = model_.id_limit();
      for (const auto& t : added_tokens_) next_id = std::max(next_id, t.id + 1);
      bpe::AddedToken token;
      token.content = content;
      token.id = model_id >= 0 ? model_id : next_id;
      added_tokens_.push_back(std::move(token));
    }
  }
  rebuild_added_token_tables();
  if (eos_id_ < 0) eos_id_ = token_id("<|endoftext|>");
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, SpecialTokens special) const {
  const size_t bad = bpe::find_invalid_utf8(text);
  R1_INPUT_CHECK(bad == std::string_view::npos, "Tokenizer::encode: text is not valid UTF-8 (byte offset ", bad, ")");
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  const bool parse = special == SpecialTokens::parse;
  raw_token_matcher_.split(text, parse, [&](std::string_view part, int32_t added_id) {
    if (added_id >= 0) {
      ids.push_back(added_id);
      return;
    }
    const bool at_start = part.data() == text.data();
    if (normalizer_.empty()) {
      encode_normalized(part, parse, at_start, ids);
      return;
    }
    std::string normalized(part);
    normalizer_.apply(normalized);
    encode_normalized(normalized, parse, at_start, ids);
  });
  return ids;
}

void Tokenizer::encode_normalized(std::string_view text, bool parse_special, bool at_input_start,
                                  std::vector<int32_t>& ids) const {
  if (normalized_token_matcher_.empty()) {
    encode_ordinary_text(text, at_input_start, ids);
    return;
  }
  normalized_token_matcher_.split(text, parse_special, [&](std::string_view part, int32_t added_id) {
    if (added_id >= 0)
      ids.push_back(added_id);
    else
      encode_ordinary_text(part, at_input_start && part.data() == text.data(), ids);
  });
}

void Tokenizer::encode_ordinary_text(std::string_view text, bool at_input_start, std::vector<int32_t>& ids) const {
  pre_tokenizer_.split(text, at_input_start, [&](std::string_view piece) { encode_piece(piece, ids); });
}

void Tokenizer::encode_piece(std::string_view piece, std::vector<int32_t>& ids) const {
  if (cache_.find(piece, ids)) return;
  const size_t first = ids.size();
  model_.encode_word(piece, ids);
  cache_.insert(piece, ids.data() + first, ids.data() + ids.size());
}

bool Tokenizer::decodes_bytes() const {
  // Without a decoder Hugging Face joins the byte-level strings with spaces; r1 keeps decoding
  // byte-level vocabularies to their bytes (the only useful inverse).
  return decoder_.is_byte_level() || (!decoder_.present && pre_tokenizer_.byte_level);
}

std::string Tokenizer::decode(const int32_t* ids, size_t count) const {
  if (decodes_bytes()) {
    std::string text;
    for (size_t i = 0; i < count; ++i) {
      const int32_t id = ids[i];
      if (id >= 0 && size_t(id) < id_bytes_.size()) text += id_bytes_[size_t(id)];
    }
    return text;
  }
  std::vector<std::string> tokens;
  tokens.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const int32_t id = ids[i];
    if (id < 0 || id >= vocab_size()) continue;
    const int32_t added = added_token_index_[size_t(id)];
    const std::string& token = added >= 0 ? added_token_decoded_[size_t(added)] : model_.token(id);
    if (!token.empty()) tokens.push_back(token);
  }
  return decoder_.decode(std::move(tokens));
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const { return decode(ids.data(), ids.size()); }

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const { return decode(ids.data(), ids.size()); }

}  // namespace r1
