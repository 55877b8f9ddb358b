// A compiled PCRE2 pattern (UTF mode with Unicode properties, JIT-compiled when the library
// supports it) used to split text into pre-tokens. Copies share the compiled code; matching is
// thread-safe because every call makes its own match data.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct pcre2_real_code_8;  // pcre2_code from <pcre2.h>, kept out of this header

namespace r1::bpe {

enum class PatternSyntax { regex, literal };

class Regex {
 public:
  // Compiles `pattern`; a bad pattern throws InputError naming `where` (file and JSON field).
  Regex(std::string pattern, PatternSyntax syntax, const std::string& where);

  const std::string& pattern() const { return pattern_; }
  PatternSyntax syntax() const { return syntax_; }

  // Calls match(begin, end) with byte offsets of each non-empty, non-overlapping match of
  // `text`, left to right. `text` must be valid UTF-8 (checked by the caller, not here).
  void for_each_match(std::string_view text, const std::function<void(size_t, size_t)>& match) const;

 private:
  std::string pattern_;
  PatternSyntax syntax_;
  std::shared_ptr<pcre2_real_code_8> code_;
};

}  // namespace r1::bpe
