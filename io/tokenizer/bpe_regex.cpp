// PCRE2 wrapper for pre-tokenizer patterns. Compiled with PCRE2_UTF | PCRE2_UCP so \s, \w, \d and
// \p{...} follow Unicode, as the Oniguruma engine used by Hugging Face tokenizers does. Two
// differences remain and are rewritten away before compiling: PCRE2's \s also matches U+180E
// (MONGOLIAN VOWEL SEPARATOR, white space before Unicode 6.3), so \s and \S become the Unicode
// White_Space set; PCRE2's \w lacks combining marks, so \w and \W become Oniguruma's word set.
// Literal patterns (tokenizer.json "String") compile with PCRE2_LITERAL. Matching passes
// PCRE2_NO_UTF_CHECK (the tokenizer validates text once, which keeps repeated matching over a
// long text linear) and falls back from JIT to the interpreter if the JIT stack runs out.
#include "io/tokenizer/bpe_regex.hpp"

#include <pcre2.h>

#include "core/error.hpp"

namespace r1::bpe {
namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof(buffer));
  return reinterpret_cast<const char*>(buffer);
}

// Unicode White_Space (PropList.txt), as members of a character class, and its complement.
constexpr const char* kWhiteSpaceMembers = R"(\t-\r\x20\x85\xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";
constexpr const char* kNonWhiteSpaceMembers =
    R"(\x00-\x08\x0E-\x1F\x21-\x84\x86-\x9F\xA1-\x{167F}\x{1681}-\x{1FFF}\x{200B}-\x{2027}\x{202A}-\x{202E})"
    R"(\x{2030}-\x{205E}\x{2060}-\x{2FFF}\x{3001}-\x{10FFFF})";

// Oniguruma's Unicode \w: Letter | Mark | Decimal_Number | Connector_Punctuation (PCRE2's lacks marks
// before 10.43, so "e\u0301" would split after the "e").
constexpr const char* kWordMembers = R"(\p{L}\p{M}\p{Nd}\p{Pc})";

// Replaces the escapes \s, \S, \w and \W (\W outside classes only) by explicit classes, leaving \Q...\E
// literals, other escapes and POSIX classes ([:alpha:]) untouched.
std::string with_unicode_white_space(const std::string& pattern) {
  std::string out;
  bool in_class = false;
  size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[i + 1];
      if (e == 's') {
        out += in_class ? std::string(kWhiteSpaceMembers) : std::string("[") + kWhiteSpaceMembers + "]";
      } else if (e == 'S') {
        out += in_class ? std::string(kNonWhiteSpaceMembers) : std::string("[^") + kWhiteSpaceMembers + "]";
      } else if (e == 'w') {
        out += in_class ? std::string(kWordMembers) : std::string("[") + kWordMembers + "]";
      } else if (e == 'W' && !in_class) {
        out += std::string("[^") + kWordMembers + "]";
      } else if (e == 'Q') {
        const size_t end = pattern.find("\\E", i + 2);
        const size_t stop = end == std::string::npos ? pattern.size() : end + 2;
        out.append(pattern, i, stop - i);
        i = stop;
        continue;
      } else {
        out.append(pattern, i, 2);
      }
      i += 2;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      ++i;
      if (i < pattern.size() && pattern[i] == '^') out += pattern[i++];
      if (i < pattern.size() && pattern[i] == ']') out += pattern[i++];  // a leading ']' is literal
      continue;
    }
    if (in_class && c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
      const size_t end = pattern.find(":]", i + 2);
      if (end != std::string::npos) {
        out.append(pattern, i, end + 2 - i);
        i = end + 2;
        continue;
      }
    }
    if (in_class && c == ']') in_class = false;
    out += c;
    ++i;
  }
  return out;
}

}  // namespace

Regex::Regex(std::string pattern, PatternSyntax syntax, const std::string& where)
    : pattern_(std::move(pattern)), syntax_(syntax) {
  // PCRE2_LITERAL admits no other pattern options than UTF (and caseless, anchoring).
  const uint32_t options = syntax_ == PatternSyntax::literal ? PCRE2_UTF | PCRE2_LITERAL : PCRE2_UTF | PCRE2_UCP;
  const std::string compiled = syntax_ == PatternSyntax::literal ? pattern_ : with_unicode_white_space(pattern_);
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(compiled.data()), compiled.size(), options,
                                   &error_code, &error_offset, nullptr);
  R1_INPUT_CHECK(code != nullptr, where, ": invalid regular expression: ", pcre2_message(error_code),
                 " (pattern: ", pattern_, ")");
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional speed-up; the interpreter is used without it
  code_ = std::shared_ptr<pcre2_code>(code, pcre2_code_free);
}

void Regex::for_each_match(std::string_view text, const std::function<void(size_t, size_t)>& match) const {
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create_from_pattern(code_.get(), nullptr), pcre2_match_data_free);
  R1_CHECK(data != nullptr, "pcre2_match_data_create_from_pattern failed (out of memory)");
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  uint32_t jit_option = 0;
  size_t offset = 0;
  while (offset < text.size()) {
    int rc = pcre2_match(code_.get(), subject, text.size(), offset, PCRE2_NO_UTF_CHECK | jit_option, data.get(),
                         nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      jit_option = PCRE2_NO_JIT;
      continue;
    }
    if (rc == PCRE2_ERROR_NOMATCH) return;
    R1_CHECK(rc >= 0, "pre-tokenizer regex match failed: ", pcre2_message(rc), " (pattern: ", pattern_, ")");
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
    const size_t begin = ovector[0], end = ovector[1];
    if (end > begin) {
      match(begin, end);
      offset = end;
    } else {
      // Empty match: skip one UTF-8 character (it ends up in the gap before the next match).
      offset = begin + 1;
      while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) ++offset;
    }
  }
}

}  // namespace r1::bpe
