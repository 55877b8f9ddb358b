// Jinja lexer: jinja2's lexer.py rules for the root state (text up to `{{`, `{%`, `{#`), whitespace control and
// the tokens inside tags (names, string and number literals, operators with bracket balancing).
#include "io/jinja/jinja_lexer.hpp"

#include <cctype>
#include <cstring>

#include "io/tokenizer/bpe_utf8.hpp"
#include "io/jinja/jinja_text.hpp"
#include "io/jinja/jinja_value.hpp"

namespace r1::jinja {

namespace {

bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

// Normalizes newlines to \n and drops one trailing newline (keep_trailing_newline=False).
std::string normalize(const std::string& source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Length of the whitespace run (Python \s) starting at pos.
size_t whitespace_run(const std::string& s, size_t pos) {
  size_t p = pos;
  while (p < s.size()) {
    size_t q = p;
    char32_t cp = bpe::next_code_point(s, q);
    if (!py_isspace(cp)) break;
    p = q;
  }
  return p - pos;
}

// Python text.rstrip().
std::string rstrip(const std::string& text) { return py_strip(text, std::nullopt, false, true); }

bool only_whitespace(const std::string& s, size_t from) {
  return from < s.size() && whitespace_run(s, from) == s.size() - from;
}

int count_newlines(const std::string& s, size_t b, size_t e) {
  int n = 0;
  for (size_t i = b; i < e; ++i) n += s[i] == '\n';
  return n;
}

// Python's "unicode-escape" decoding, as jinja2 applies it to string literals.
std::string decode_string(const std::string& raw, int line) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\' || i + 1 >= raw.size()) {
      out += c;
      continue;
    }
    char e = raw[++i];
    auto hex = [&](size_t digits) {
      uint32_t v = 0;
      for (size_t k = 0; k < digits; ++k) {
        char h = i + 1 + k < raw.size() ? raw[i + 1 + k] : 0;
        int d = digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
        if (d < 0) throw Failure("truncated \\x/\\u escape in a string literal", line);
        v = v * 16 + static_cast<uint32_t>(d);
      }
      i += digits;
      if (v > 0x10ffff) throw Failure("illegal Unicode character in a string literal", line);
      bpe::append_utf8(static_cast<char32_t>(v), out);
    };
    switch (e) {
      case '\n': break;
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': hex(2); break;
      case 'u': hex(4); break;
      case 'U': hex(8); break;
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && i + 1 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '7'; ++k)
            v = v * 8 + static_cast<uint32_t>(raw[++i] - '0');
          bpe::append_utf8(static_cast<char32_t>(v), out);
        } else {
          out += '\\';
          out += e;
        }
    }
  }
  return out;
}

const char* const kOperators[] = {"**", "//", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]",
                                  "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

class Lexer {
 public:
  explicit Lexer(const std::string& source) : src_(normalize(source)) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      size_t q = find_tag(pos_);
      if (q == std::string::npos) {
        emit(Token::Type::text, src_.substr(pos_), line_);
        break;
      }
      char kind = src_[q + 1];
      char sign = q + 2 < src_.size() && (src_[q + 2] == '-' || src_[q + 2] == '+') ? src_[q + 2] : 0;
      std::string text = src_.substr(pos_, q - pos_);
      int text_line = line_;
      line_ += count_newlines(src_, pos_, q);
      size_t raw_body = kind == '%' ? raw_begin(q + 2 + (sign ? 1 : 0)) : std::string::npos;
      emit_text(std::move(text), sign, kind != '{', text_line);
      pos_ = q + 2 + (sign ? 1 : 0);
      if (raw_body != std::string::npos) {
        raw(raw_body);
      } else if (kind == '#') {
        comment();
      } else {
        tag(kind == '%');
      }
    }
    // jinja2 puts the end-of-template marker on the line of the last token.
    tokens_.push_back({Token::Type::end, "", tokens_.empty() ? 1 : tokens_.back().line});
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t q = src_.find('{', from); q != std::string::npos; q = src_.find('{', q + 1))
      if (q + 1 < src_.size() && (src_[q + 1] == '{' || src_[q + 1] == '%' || src_[q + 1] == '#')) return q;
    return std::string::npos;
  }

  void emit(Token::Type type, std::string value, int line) { tokens_.push_back({type, std::move(value), line}); }

  // Text before a tag, with `-` stripping or lstrip_blocks applied.
  void emit_text(std::string text, char sign, bool lstrip_applies, int line) {
    if (sign == '-') {
      text = rstrip(text);
    } else if (sign != '+' && lstrip_applies) {
      size_t l_pos = text.rfind('\n');
      l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
      if ((l_pos > 0 || line_starting_) && only_whitespace(text, l_pos)) text.resize(l_pos);
    }
    if (!text.empty()) emit(Token::Type::text, std::move(text), line);
  }

  // If `{% raw %}` starts after the `{%` (whose sign, if any, ends before p), the offset just past it.
  size_t raw_begin(size_t p) const {
    while (p < src_.size() && whitespace_run(src_, p)) p += whitespace_run(src_, p);
    if (src_.compare(p, 3, "raw") != 0) return std::string::npos;
    p += 3;
    p += whitespace_run(src_, p);
    if (src_.compare(p, 3, "-%}") == 0) return p + 3 + whitespace_run(src_, p + 3);
    if (src_.compare(p, 2, "%}") == 0) return p + 2;
    return std::string::npos;
  }

  void raw(size_t body) {
    line_ += count_newlines(src_, pos_, body);
    line_starting_ = body > 0 && src_[body - 1] == '\n';
    pos_ = body;
    for (size_t q = src_.find("{%", pos_); q != std::string::npos; q = src_.find("{%", q + 1)) {
      size_t p = q + 2;
      char sign = p < src_.size() && (src_[p] == '-' || src_[p] == '+') ? src_[p] : 0;
      if (sign) ++p;
      p += whitespace_run(src_, p);
      if (src_.compare(p, 6, "endraw") != 0) continue;
      p += 6;
      p += whitespace_run(src_, p);
      size_t end;
      if (src_.compare(p, 3, "+%}") == 0) end = p + 3;
      else if (src_.compare(p, 3, "-%}") == 0) end = p + 3 + whitespace_run(src_, p + 3);
      else if (src_.compare(p, 2, "%}") == 0) end = p + 2 + (p + 2 < src_.size() && src_[p + 2] == '\n');
      else continue;
      int text_line = line_;
      emit_text(src_.substr(pos_, q - pos_), sign, true, text_line);
      line_ += count_newlines(src_, pos_, end);
      line_starting_ = src_[end - 1] == '\n';
      pos_ = end;
      return;
    }
    throw Failure("missing end of raw directive", line_);
  }

  void comment() {
    size_t q = src_.find("#}", pos_);
    if (q == std::string::npos) throw Failure("missing end of comment tag", line_);
    char sign = q > pos_ && (src_[q - 1] == '-' || src_[q - 1] == '+') ? src_[q - 1] : 0;
    size_t end = q + 2;
    if (sign == '-') end += whitespace_run(src_, end);
    else if (sign != '+' && end < src_.size() && src_[end] == '\n') ++end;
    line_ += count_newlines(src_, pos_, end);
    line_starting_ = src_[end - 1] == '\n';
    pos_ = end;
  }

  void tag(bool block) {
    int begin_line = line_;
    emit(block ? Token::Type::block_begin : Token::Type::variable_begin, block ? "{%" : "{{", line_);
    std::vector<char> balance;
    while (true) {
      size_t ws = whitespace_run(src_, pos_);
      line_ += count_newlines(src_, pos_, pos_ + ws);
      pos_ += ws;
      if (pos_ >= src_.size())
        throw Failure(std::string("unexpected end of template inside the ") + (block ? "{% %}" : "{{ }}") +
                          " tag opened at line " + std::to_string(begin_line),
                      line_);
      if (balance.empty() && tag_end(block)) return;
      char c = src_[pos_];
      if (ident_start(c)) {
        size_t e = pos_;
        while (e < src_.size() && ident_char(src_[e])) ++e;
        emit(Token::Type::name, src_.substr(pos_, e - pos_), line_);
        pos_ = e;
      } else if (c == '\'' || c == '"') {
        string_literal(c);
      } else if (digit(c)) {
        number();
      } else {
        operator_token(balance);
      }
    }
  }

  bool tag_end(bool block) {
    size_t end = 0;
    if (block) {
      if (src_.compare(pos_, 3, "-%}") == 0) end = pos_ + 3 + whitespace_run(src_, pos_ + 3);
      else if (src_.compare(pos_, 3, "+%}") == 0) end = pos_ + 3;
      else if (src_.compare(pos_, 2, "%}") == 0) end = pos_ + 2 + (pos_ + 2 < src_.size() && src_[pos_ + 2] == '\n');
    } else {
      if (src_.compare(pos_, 3, "-}}") == 0) end = pos_ + 3 + whitespace_run(src_, pos_ + 3);
      else if (src_.compare(pos_, 2, "}}") == 0) end = pos_ + 2;
    }
    if (!end) return false;
    emit(block ? Token::Type::block_end : Token::Type::variable_end, block ? "%}" : "}}", line_);
    line_ += count_newlines(src_, pos_, end);
    line_starting_ = src_[end - 1] == '\n';
    pos_ = end;
    return true;
  }

  void string_literal(char quote) {
    size_t e = pos_ + 1;
    while (e < src_.size() && src_[e] != quote) e += src_[e] == '\\' ? 2 : 1;
    if (e >= src_.size()) throw Failure("unterminated string literal", line_);
    emit(Token::Type::string, decode_string(src_.substr(pos_ + 1, e - pos_ - 1), line_), line_);
    line_ += count_newlines(src_, pos_, e);
    pos_ = e + 1;
  }

  void number() {
    size_t e = pos_;
    auto digits = [&](size_t p) {
      size_t q = p;
      while (q < src_.size() && (digit(src_[q]) || (src_[q] == '_' && q + 1 < src_.size() && digit(src_[q + 1])))) ++q;
      return q;
    };
    if (src_[pos_] == '0' && pos_ + 1 < src_.size() && std::strchr("xXoObB", src_[pos_ + 1]) && src_[pos_ + 1]) {
      char base = static_cast<char>(src_[pos_ + 1] | 0x20);
      e = pos_ + 2;
      while (e < src_.size() && (std::isxdigit(static_cast<unsigned char>(src_[e])) || src_[e] == '_')) ++e;
      std::string text;
      for (size_t i = pos_ + 2; i < e; ++i)
        if (src_[i] != '_') text += src_[i];
      int64_t v = std::stoll(text, nullptr, base == 'x' ? 16 : base == 'o' ? 8 : 2);
      emit(Token::Type::integer, std::to_string(v), line_);
      pos_ = e;
      return;
    }
    e = digits(pos_);
    bool is_float = false;
    if (e + 1 < src_.size() && src_[e] == '.' && digit(src_[e + 1])) {
      e = digits(e + 1);
      is_float = true;
    }
    if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t p = e + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && digit(src_[p])) {
        e = digits(p);
        is_float = true;
      }
    }
    std::string text;
    for (size_t i = pos_; i < e; ++i)
      if (src_[i] != '_') text += src_[i];
    emit(is_float ? Token::Type::floating : Token::Type::integer, text, line_);
    pos_ = e;
  }

  void operator_token(std::vector<char>& balance) {
    for (const char* op : kOperators) {
      size_t n = std::strlen(op);
      if (src_.compare(pos_, n, op) != 0) continue;
      char c = op[0];
      if (n == 1 && (c == '(' || c == '[' || c == '{')) {
        balance.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
      } else if (n == 1 && (c == ')' || c == ']' || c == '}')) {
        if (balance.empty()) throw Failure(std::string("unexpected '") + c + "'", line_);
        if (balance.back() != c)
          throw Failure(std::string("unexpected '") + c + "', expected '" + balance.back() + "'", line_);
        balance.pop_back();
      }
      emit(Token::Type::op, op, line_);
      pos_ += n;
      return;
    }
    size_t p = pos_;
    std::string ch;
    bpe::append_utf8(bpe::next_code_point(src_, p), ch);
    throw Failure("unexpected character '" + ch + "'", line_);
  }

  std::string src_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source) { return Lexer(source).run(); }

std::string describe(const Token& t) {
  switch (t.type) {
    case Token::Type::text: return "template text";
    case Token::Type::variable_begin: return "'{{'";
    case Token::Type::variable_end: return "end of print statement";
    case Token::Type::block_begin: return "'{%'";
    case Token::Type::block_end: return "end of statement block";
    case Token::Type::end: return "end of template";
    case Token::Type::string: return "string literal";
    default: return "'" + t.value + "'";
  }
}

}  // namespace r1::jinja
