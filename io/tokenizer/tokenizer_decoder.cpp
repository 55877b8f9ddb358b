// Decoder steps with Hugging Face semantics (tokenizers/src/decoders): e.g. Metaspace drops every
// replacement character of the first token when a prefix was prepended, ByteFallback turns runs of
// <0xNN> tokens into their UTF-8 text (one U+FFFD per byte when invalid), Strip removes up to
// start / stop copies of one character at each end of every token.
#include "io/tokenizer/tokenizer_decoder.hpp"

#include "io/tokenizer/bpe_byte_level.hpp"
#include "io/tokenizer/bpe_utf8.hpp"

namespace r1::bpe {
namespace {

using Tokens = std::vector<std::string>;

void replace_literal(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Tokens byte_fallback(Tokens tokens) {
  Tokens out;
  std::string bytes;
  size_t byte_count = 0;
  auto flush = [&] {
    if (byte_count == 0) return;
    if (find_invalid_utf8(bytes) == std::string_view::npos)
      out.push_back(bytes);
    else
      for (size_t i = 0; i < byte_count; ++i) out.emplace_back("\xEF\xBF\xBD");
    bytes.clear();
    byte_count = 0;
  };
  for (std::string& t : tokens) {
    if (t.size() == 6 && t.starts_with("<0x") && t.back() == '>' && hex_value(t[3]) >= 0 && hex_value(t[4]) >= 0) {
      bytes += char(hex_value(t[3]) * 16 + hex_value(t[4]));
      ++byte_count;
      continue;
    }
    flush();
    out.push_back(std::move(t));
  }
  flush();
  return out;
}

void strip(std::string& token, const std::string& content, size_t start, size_t stop) {
  // Code point boundaries of the token, to strip whole characters.
  std::vector<size_t> bounds{0};
  for (size_t pos = 0; pos < token.size();) {
    next_code_point(token, pos);
    bounds.push_back(pos);
  }
  const size_t n = bounds.size() - 1;
  auto is_content = [&](size_t i) { return token.compare(bounds[i], bounds[i + 1] - bounds[i], content) == 0; };
  size_t first = 0, last = n;
  while (first < start && first < n && is_content(first)) ++first;
  for (size_t k = 0; k < stop && last > first && is_content(last - 1); ++k) --last;
  token = token.substr(bounds[first], bounds[last] - bounds[first]);
}

std::string word_piece_cleanup(std::string text) {
  for (const auto& [from, to] : std::initializer_list<std::pair<const char*, const char*>>{
           {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"},
           {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}})
    replace_literal(text, from, to);
  return text;
}

Tokens apply(const DecoderStep& step, Tokens tokens) {
  switch (step.kind) {
    case DecoderStep::Kind::byte_level: {
      std::string bytes;
      for (const std::string& t : tokens)
        if (!from_byte_level(t, bytes)) bytes += t;
      return {bytes};
    }
    case DecoderStep::Kind::metaspace:
      for (size_t i = 0; i < tokens.size(); ++i) {
        const bool drop = i == 0 && step.prepend_scheme != PrependScheme::never;
        replace_literal(tokens[i], step.text, drop ? "" : " ");
      }
      return tokens;
    case DecoderStep::Kind::byte_fallback:
      return byte_fallback(std::move(tokens));
    case DecoderStep::Kind::fuse: {
      std::string all;
      for (const std::string& t : tokens) all += t;
      return {all};
    }
    case DecoderStep::Kind::strip:
      for (std::string& t : tokens) strip(t, step.text, step.start, step.stop);
      return tokens;
    case DecoderStep::Kind::replace:
      for (std::string& t : tokens) {
        std::string out;
        size_t previous_end = 0;
        step.pattern->for_each_match(t, [&](size_t begin, size_t end) {
          out.append(t, previous_end, begin - previous_end).append(step.text);
          previous_end = end;
        });
        out.append(t, previous_end, std::string::npos);
        t = std::move(out);
      }
      return tokens;
    case DecoderStep::Kind::word_piece:
      for (size_t i = 0; i < tokens.size(); ++i) {
        if (i != 0) {
          if (tokens[i].starts_with(step.text))
            tokens[i].erase(0, step.text.size());
          else
            tokens[i].insert(0, " ");
        }
        if (step.cleanup) tokens[i] = word_piece_cleanup(std::move(tokens[i]));
      }
      return tokens;
    case DecoderStep::Kind::bpe_suffix:
      for (size_t i = 0; i < tokens.size(); ++i) replace_literal(tokens[i], step.text, i + 1 == tokens.size() ? "" : " ");
      return tokens;
  }
  return tokens;
}

}  // namespace

std::string Decoder::decode(std::vector<std::string> tokens) const {
  std::string text;
  if (!present) {
    for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
    return text;
  }
  for (const DecoderStep& step : steps) tokens = apply(step, std::move(tokens));
  for (const std::string& t : tokens) text += t;
  return text;
}

}  // namespace r1::bpe
