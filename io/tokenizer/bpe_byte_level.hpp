// GPT-2's byte-level alphabet (`bytes_to_unicode`): each of the 256 byte values is mapped to one
// printable code point, so that byte-level BPE tokens are ordinary strings ("Ġ" is the space byte).
#pragma once
#include <string>
#include <string_view>

namespace r1::bpe {

// The byte-level form of raw bytes: each byte replaced by its code point, UTF-8 encoded.
std::string to_byte_level(std::string_view bytes);

// The UTF-8 encoding of the code point that stands for `byte`.
const std::string& byte_level_symbol(unsigned char byte);

// Inverse of to_byte_level: appends the raw bytes to `bytes` and returns true, or returns false
// (leaving `bytes` unchanged) when `token` is not valid UTF-8 made only of byte-level code points.
bool from_byte_level(std::string_view token, std::string& bytes);

}  // namespace r1::bpe
