// Unicode helpers on top of utf8proc. Character properties come from utf8proc's tables; Alphabetic
// is approximated as letters, letter numbers, marks and the circled letters (Other_Alphabetic in So).
#include "io/tokenizer/tokenizer_unicode.hpp"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "core/error.hpp"
#include "io/tokenizer/bpe_utf8.hpp"

namespace r1::bpe {

std::string unicode_normalize(std::string_view text, UnicodeForm form) {
  if (text.empty()) return std::string();
  bool ascii = true;
  for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return std::string(text);  // every normalization form leaves ASCII unchanged
  int options = UTF8PROC_STABLE;
  switch (form) {
    case UnicodeForm::nfc: options |= UTF8PROC_COMPOSE; break;
    case UnicodeForm::nfd: options |= UTF8PROC_DECOMPOSE; break;
    case UnicodeForm::nfkc: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case UnicodeForm::nfkd: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                               utf8proc_ssize_t(text.size()), &out, utf8proc_option_t(options));
  R1_INPUT_CHECK(length >= 0, "Unicode normalization failed: ", utf8proc_errmsg(length));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(out, std::free);
  return std::string(reinterpret_cast<const char*>(out), size_t(length));
}

std::string unicode_lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c < 0x80) {
      out += char(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
      ++pos;
      continue;
    }
    const char32_t cp = next_code_point(text, pos);
    if (cp == 0x130) {  // the one unconditional multi-character lowercase mapping (SpecialCasing.txt)
      out += "i\xCC\x87";
      continue;
    }
    append_utf8(char32_t(utf8proc_tolower(utf8proc_int32_t(cp))), out);
  }
  return out;
}

bool is_white_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_word_character(char32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
  if (cp == 0x200C || cp == 0x200D) return true;                           // Join_Control
  if ((cp >= 0x24B6 && cp <= 0x24E9) || (cp >= 0x1F130 && cp <= 0x1F189)) return true;  // circled / squared letters
  switch (utf8proc_category(utf8proc_int32_t(cp))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

namespace {

// Start of the code point that ends at `end` (exclusive) in valid UTF-8.
size_t previous_code_point_start(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return start;
}

}  // namespace

size_t trailing_white_space_bytes(std::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    size_t start = previous_code_point_start(text, end), pos = start;
    if (!is_white_space(next_code_point(text, pos))) break;
    end = start;
  }
  return text.size() - end;
}

size_t leading_white_space_bytes(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t next = pos;
    if (!is_white_space(next_code_point(text, next))) break;
    pos = next;
  }
  return pos;
}

bool ends_with_word_character(std::string_view text) {
  if (text.empty()) return false;
  size_t pos = previous_code_point_start(text, text.size());
  return is_word_character(next_code_point(text, pos));
}

bool starts_with_word_character(std::string_view text) {
  if (text.empty()) return false;
  size_t pos = 0;
  return is_word_character(next_code_point(text, pos));
}

}  // namespace r1::bpe
