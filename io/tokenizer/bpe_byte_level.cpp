// bytes_to_unicode exactly as in GPT-2's encoder.py and Hugging Face tokenizers: the printable
// bytes '!'..'~', '¡'..'¬', '®'..'ÿ' map to themselves; the other 68 bytes map, in increasing
// byte order, to U+0100, U+0101, ... U+0143.
#include "io/tokenizer/bpe_byte_level.hpp"

#include <array>
#include <cstdint>

#include "io/tokenizer/bpe_utf8.hpp"

namespace r1::bpe {
namespace {

constexpr char32_t kFirstShiftedCodePoint = 0x100;
constexpr char32_t kCodePointLimit = kFirstShiftedCodePoint + 68;  // one past the largest mapped code point

struct ByteLevelTables {
  std::array<std::string, 256> symbol;          // byte -> UTF-8 of its code point
  std::array<int16_t, kCodePointLimit> byte{};  // code point -> byte, or -1

  ByteLevelTables() {
    byte.fill(-1);
    char32_t next_shifted = kFirstShiftedCodePoint;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? char32_t(b) : next_shifted++;
      append_utf8(cp, symbol[size_t(b)]);
      byte[cp] = int16_t(b);
    }
  }
};

const ByteLevelTables& tables() {
  static const ByteLevelTables instance;
  return instance;
}

}  // namespace

const std::string& byte_level_symbol(unsigned char byte) { return tables().symbol[byte]; }

std::string to_byte_level(std::string_view bytes) {
  const auto& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.symbol[static_cast<unsigned char>(c)];
  return out;
}

bool from_byte_level(std::string_view token, std::string& bytes) {
  if (find_invalid_utf8(token) != std::string_view::npos) return false;
  const auto& t = tables();
  const size_t original_size = bytes.size();
  size_t pos = 0;
  while (pos < token.size()) {
    const char32_t cp = next_code_point(token, pos);
    if (cp >= kCodePointLimit || t.byte[cp] < 0) {
      bytes.resize(original_size);
      return false;
    }
    bytes += static_cast<char>(t.byte[cp]);
  }
  return true;
}

}  // namespace r1::bpe
