// Unicode services for the tokenizer pipeline, on valid UTF-8: normalization forms (utf8proc), the
// per-character lowercase mapping Rust's char::to_lowercase gives (which Hugging Face's Lowercase
// normalizer uses), and the White_Space / word-character tests of added-token lstrip, rstrip and
// single_word.
#pragma once
#include <string>
#include <string_view>

namespace r1::bpe {

enum class UnicodeForm { nfc, nfd, nfkc, nfkd };

// The text in normalization form `form` (utf8proc, Unicode 15).
std::string unicode_normalize(std::string_view text, UnicodeForm form);

// Each code point replaced by its full lowercase mapping (U+0130 -> "i\u0307"; no context rules).
std::string unicode_lowercase(std::string_view text);

// Unicode White_Space property (Rust char::is_whitespace, regex \s).
bool is_white_space(char32_t cp);

// Word character as regex \w (Alphabetic, marks, decimal digits, connector punctuation, joiners).
bool is_word_character(char32_t cp);

// Byte length of the White_Space run at the end / start of `text`.
size_t trailing_white_space_bytes(std::string_view text);
size_t leading_white_space_bytes(std::string_view text);

// Whether the last / first code point of `text` is a word character (false for empty text).
bool ends_with_word_character(std::string_view text);
bool starts_with_word_character(std::string_view text);

}  // namespace r1::bpe
