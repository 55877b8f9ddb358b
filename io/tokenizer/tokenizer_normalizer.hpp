// Text normalizers of Hugging Face tokenizer.json, applied to each run of text between added
// tokens before pre-tokenization: Unicode forms (NFC, NFD, NFKC, NFKD), Lowercase, Strip,
// Replace (literal or regex), Prepend, as a flat sequence (nested Sequences are flattened).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "io/tokenizer/bpe_regex.hpp"
#include "io/tokenizer/tokenizer_unicode.hpp"

namespace r1::bpe {

struct NormalizerStep {
  enum class Kind { unicode, lowercase, strip, replace, prepend };
  Kind kind = Kind::unicode;
  UnicodeForm form = UnicodeForm::nfc;  // unicode
  bool strip_left = false;              // strip: remove leading White_Space
  bool strip_right = false;             // strip: remove trailing White_Space
  std::optional<Regex> pattern;         // replace: what to replace
  std::string content;                  // replace: the replacement; prepend: the prefix
};

class Normalizer {
 public:
  std::vector<NormalizerStep> steps;

  bool empty() const { return steps.empty(); }
  // Applies every step in order to `text` (valid UTF-8).
  void apply(std::string& text) const;
};

}  // namespace r1::bpe
