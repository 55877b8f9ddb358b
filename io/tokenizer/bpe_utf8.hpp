// UTF-8 helpers for the tokenizer. Text is validated once up front so the regex engine can run
// without its own per-call UTF check, and byte-level token strings are decoded code point by
// code point.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace r1::bpe {

// Byte offset of the first invalid UTF-8 sequence in `text` (overlong forms, surrogates and code
// points above U+10FFFF are invalid), or std::string_view::npos when the whole text is valid.
size_t find_invalid_utf8(std::string_view text);

// Decodes the code point starting at `pos` in valid UTF-8 and advances `pos` past it.
char32_t next_code_point(std::string_view text, size_t& pos);

// Appends the UTF-8 encoding of `cp` (at most U+10FFFF) to `out`.
void append_utf8(char32_t cp, std::string& out);

}  // namespace r1::bpe
