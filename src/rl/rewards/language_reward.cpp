// The language-consistency reward: UTF-8 decoding, script classes and word counting (see
// language_reward.hpp).
#include "rl/rewards/language_reward.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "rl/rewards/latex_scan.hpp"

namespace r1::rewards {

namespace {

enum class Script { neutral, latin, cjk, other };

// Decodes one UTF-8 code point at `pos` and advances; malformed bytes decode as U+FFFD.
char32_t next_code_point(std::string_view text, size_t& pos) {
  unsigned char lead = static_cast<unsigned char>(text[pos]);
  int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
  if (length == 0 || pos + size_t(length) > text.size()) {
    ++pos;
    return 0xfffd;
  }
  char32_t code = length == 1 ? lead : lead & (0x7f >> length);
  for (int k = 1; k < length; ++k) {
    unsigned char byte = static_cast<unsigned char>(text[pos + size_t(k)]);
    if ((byte >> 6) != 0x2) {
      ++pos;
      return 0xfffd;
    }
    code = (code << 6) | (byte & 0x3f);
  }
  pos += size_t(length);
  return code;
}

Script script_of(char32_t c) {
  auto in = [c](char32_t lo, char32_t hi) { return c >= lo && c <= hi; };
  if (in('a', 'z') || in('A', 'Z')) return Script::latin;
  if ((in(0xc0, 0xff) && c != 0xd7 && c != 0xf7) || in(0x100, 0x24f) || in(0x1e00, 0x1eff)) return Script::latin;
  if (in(0x4e00, 0x9fff) || in(0x3400, 0x4dbf) || in(0xf900, 0xfaff) || in(0x20000, 0x2ebef) ||
      in(0x30000, 0x3134f))
    return Script::cjk;
  if (in(0x370, 0x3ff) || in(0x400, 0x52f) || in(0x590, 0x5ff) || in(0x600, 0x6ff) || in(0x900, 0x97f) ||
      in(0xe00, 0xe7f) || in(0x3040, 0x30ff) || in(0xac00, 0xd7af) || in(0x1100, 0x11ff))
    return Script::other;
  return Script::neutral;
}

Script target_script(std::string_view language) {
  if (language == "en") return Script::latin;
  if (language == "zh") return Script::cjk;
  std::string valid;
  for (const std::string& code : reward_languages()) valid += (valid.empty() ? "" : ", ") + code;
  throw InputError("language reward: unknown language '" + std::string(language) + "' (valid: " + valid + ")");
}

}  // namespace

LanguageWordCounts count_language_words(std::string_view text, std::string_view language) {
  Script target = target_script(language);
  LanguageWordCounts counts;
  Script run_script = Script::neutral;
  int64_t run_letters = 0;
  auto end_run = [&] {
    bool is_word = run_script == Script::other || (run_script == Script::latin && run_letters >= 2);
    if (is_word) {
      ++counts.total;
      if (run_script == target) ++counts.target;
    }
    run_script = Script::neutral;
    run_letters = 0;
  };
  size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == '\\' && pos + 1 < text.size() && is_ascii_letter(text[pos + 1])) {
      end_run();
      pos = command_end(text, pos);  // LaTeX command: neutral
      continue;
    }
    Script script = script_of(next_code_point(text, pos));
    if (script == Script::cjk) {
      end_run();
      ++counts.total;
      if (target == Script::cjk) ++counts.target;
      continue;
    }
    if (script != run_script) end_run();
    if (script == Script::neutral) continue;
    run_script = script;
    ++run_letters;
  }
  end_run();
  return counts;
}

std::optional<std::string_view> think_content(std::string_view response) {
  static constexpr std::string_view kOpen = "<think>", kClose = "</think>";
  size_t open = response.find(kOpen);
  if (open == std::string_view::npos) return std::nullopt;
  size_t begin = open + kOpen.size();
  size_t close = response.find(kClose, begin);
  return response.substr(begin, close == std::string_view::npos ? std::string_view::npos : close - begin);
}

LanguageReward::LanguageReward(std::string default_language) : default_language_(std::move(default_language)) {
  target_script(default_language_);  // validates
}

double LanguageReward::score(const Sample& sample) const {
  std::optional<std::string_view> content = think_content(sample.response);
  if (!content) return 0.0;
  LanguageWordCounts counts =
      count_language_words(*content, sample.language.empty() ? std::string_view(default_language_) : sample.language);
  // A chain of thought without words (pure symbols, e.g. arithmetic) mixes no languages.
  return counts.total == 0 ? 1.0 : double(counts.target) / double(counts.total);
}

}  // namespace r1::rewards
