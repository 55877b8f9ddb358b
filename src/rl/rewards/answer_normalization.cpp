// String-level answer clean-up (see answer_normalization.hpp). Every step is one linear pass (the
// \text unwrapping repeats for nested groups, a bounded number of times).
#include "rl/rewards/answer_normalization.hpp"

#include <array>
#include <optional>

#include "rl/rewards/answer_units.hpp"
#include "rl/rewards/latex_scan.hpp"

namespace r1::rewards {

namespace {

constexpr int kMaxUnwrapPasses = 16;
constexpr int kMaxTrailingUnits = 8;

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  std::string out;
  size_t start = 0;
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, start)) {
    out.append(text, start, pos - start);
    out.append(to);
    start = pos + from.size();
  }
  out.append(text, start, std::string::npos);
  text = std::move(out);
}

void replace_unicode_symbols(std::string& text) {
  static const std::array<std::pair<std::string_view, std::string_view>, 10> kSymbols = {{
      {"\u2212", "-"}, {"\u00d7", "\\times "}, {"\u00f7", "\\div "}, {"\u00b7", "\\cdot "},
      {"\u03c0", "\\pi "}, {"\u221a", "\\sqrt"}, {"\u221e", "\\infty "}, {"\u00b0", ""},
      {"\u00b2", "^2"}, {"\u00b3", "^3"}}};
  for (auto& [from, to] : kSymbols) replace_all(text, from, to);
}

// Thousands marks that LaTeX spells with spacing commands: 1{,}000, 10,\!080, 11,\! 111, 1\,000.
void canonicalise_thousands_marks(std::string& text) {
  replace_all(text, "{,}", ",");
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, ",\\!") == 0) {
      out += ',';
      i += 2;
      while (i + 1 < text.size() && text[i + 1] == ' ') ++i;
    } else if (text.compare(i, 2, "\\,") == 0 && i > 0 && is_ascii_digit(text[i - 1]) && i + 4 < text.size() &&
               is_ascii_digit(text[i + 2]) && is_ascii_digit(text[i + 3]) && is_ascii_digit(text[i + 4]) &&
               (i + 5 >= text.size() || !is_ascii_digit(text[i + 5]))) {
      out += ',';
      i += 1;
    } else {
      out += text[i];
    }
  }
  text = std::move(out);
}

// Length of a "^2" / "^3" / "^{2}" / "^{3}" at `pos`, else 0.
size_t unit_exponent_length(std::string_view text, size_t pos) {
  for (std::string_view suffix : {"^{2}", "^{3}", "^2", "^3"})
    if (text.substr(pos).starts_with(suffix)) return suffix.size();
  return 0;
}

// "cm", " square inches", "sq units^2": every word a unit.
bool is_unit_phrase(std::string_view content) {
  bool any = false;
  size_t i = 0;
  while (i < content.size()) {
    while (i < content.size() && content[i] == ' ') ++i;
    size_t start = i;
    while (i < content.size() && is_ascii_letter(content[i])) ++i;
    if (i == start) {
      if (i >= content.size()) break;
      return false;
    }
    if (!is_unit_word(content.substr(start, i - start), UnitContext::text_group)) return false;
    i += unit_exponent_length(content, i);
    any = true;
  }
  return any;
}

bool is_wrapper_command(std::string_view name) {
  static const std::array<std::string_view, 20> kWrappers = {
      "text",   "textbf", "textit", "textrm", "texttt", "textsf",   "textnormal", "textup", "mathrm", "mathbf",
      "mathit", "mathsf", "mathtt", "mbox",   "hbox",   "operatorname", "boxed",  "fbox",   "emph",   "mathnormal"};
  for (std::string_view w : kWrappers)
    if (name == w) return true;
  return false;
}

bool is_textual_wrapper(std::string_view name) {
  return name.starts_with("text") || name == "mbox" || name == "hbox" || name == "mathrm" || name == "emph";
}

// One pass replacing each \text{...}-like group by its content (or by nothing for a unit, or by a
// comma for "and"). Returns whether anything changed.
bool unwrap_text_groups_once(std::string& text) {
  std::string out;
  bool changed = false;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '\\') {
      out += text[i++];
      continue;
    }
    size_t end = command_end(text, i);
    std::string_view name = std::string_view(text).substr(i + 1, end - i - 1);
    size_t open = end;
    while (open < text.size() && text[open] == ' ') ++open;
    size_t close = (is_wrapper_command(name) && open < text.size() && text[open] == '{')
                       ? matching_brace(text, open)
                       : std::string::npos;
    if (close == std::string::npos) {
      out.append(text, i, end - i);
      i = end;
      continue;
    }
    std::string_view content = std::string_view(text).substr(open + 1, close - open - 1);
    size_t after = close + 1;
    std::string_view trimmed = trim(content);
    bool textual = is_textual_wrapper(name);
    size_t exponent = unit_exponent_length(text, after);
    bool something_else = !trim(std::string_view(text).substr(0, i)).empty() ||
                          !trim(std::string_view(text).substr(after + exponent)).empty();
    if (textual && something_else && is_unit_phrase(content)) {
      out += ' ';
      after += exponent;
    } else if (textual && (trimmed == "and" || trimmed == "or")) {
      out += ',';
    } else {
      out += ' ';
      out.append(content);
      out += ' ';
    }
    i = after;
    changed = true;
  }
  text = std::move(out);
  return changed;
}

std::optional<std::string_view> command_replacement(std::string_view name) {
  static const std::array<std::string_view, 30> kRemoved = {
      "left",  "right",  "bigl",  "bigr",  "Bigl",  "Bigr",        "biggl",     "biggr",       "Biggl", "Biggr",
      "big",   "Big",    "bigg",  "Bigg",  "middle", "displaystyle", "textstyle", "scriptstyle", "limits", "!",
      "$",     "(",      ")",     "[",     "]",     "circ",        "degree",    "nolimits",    "mathstrut", "strut"};
  static const std::array<std::string_view, 9> kSpaces = {",", ":", ";", " ", "quad", "qquad", "enspace", "thinspace", ">"};
  for (std::string_view r : kRemoved)
    if (name == r) return "";
  for (std::string_view s : kSpaces)
    if (name == s) return " ";
  if (name == "%") return "%";
  if (name == "dfrac" || name == "tfrac" || name == "cfrac") return "\\frac";
  if (name == "dbinom" || name == "tbinom") return "\\binom";
  if (name == "lbrace") return "\\{";
  if (name == "rbrace") return "\\}";
  if (name == "lvert" || name == "rvert" || name == "vert") return "|";
  if (name == "le" || name == "leqslant") return "\\leq";
  if (name == "ge" || name == "geqslant") return "\\geq";
  if (name == "ne") return "\\neq";
  if (name == "inf") return "\\infty";
  return std::nullopt;
}

void rewrite_commands(std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '\\') {
      if (text[i] != '$' && text[i] != '~') out += text[i];
      if (text[i] == '~') out += ' ';
      ++i;
      continue;
    }
    size_t end = command_end(text, i);
    auto replacement = command_replacement(std::string_view(text).substr(i + 1, end - i - 1));
    if (replacement) {
      out.append(*replacement);
      // keep "\frac" from fusing with a following letter when a removed command separated them
      if (!replacement->empty() && is_ascii_letter(replacement->back()) && end < text.size() &&
          is_ascii_letter(text[end]))
        out += ' ';
    } else {
      out.append(text, i, end - i);
    }
    i = end;
  }
  text = std::move(out);
}

// "5.4 cents" -> "5.4", "864 square inches^2" -> "864", "50 percent" -> "50%".
void strip_trailing_unit_words(std::string& text) {
  for (int k = 0; k < kMaxTrailingUnits; ++k) {
    std::string_view t = trim(text);
    size_t end = t.size();
    for (std::string_view suffix : {"^{2}", "^{3}", "^2", "^3"})
      if (t.ends_with(suffix)) {
        end -= suffix.size();
        break;
      }
    size_t start = end;
    while (start > 0 && is_ascii_letter(t[start - 1])) --start;
    if (start == end || start == 0) return;
    char before = t[start - 1];
    if (!(before == ' ' || is_ascii_digit(before) || before == '}' || before == ')')) return;
    std::string_view word = t.substr(start, end - start);
    std::string_view remainder = trim(t.substr(0, start));
    if (remainder.find_first_of("0123456789") == std::string_view::npos) return;
    if (word == "percent") {
      text = std::string(remainder) + "%";
      return;
    }
    if (!is_unit_word(word, UnitContext::bare_word)) return;
    text = std::string(remainder);
  }
}

// 1,234,567.5 (a lone number with grouped digits).
bool is_grouped_number(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  size_t lead = 0;
  while (i < t.size() && is_ascii_digit(t[i])) ++i, ++lead;
  if (lead < 1 || lead > 3) return false;
  int groups = 0;
  while (i + 3 < t.size() && t[i] == ',' && is_ascii_digit(t[i + 1]) && is_ascii_digit(t[i + 2]) &&
         is_ascii_digit(t[i + 3])) {
    i += 4;
    ++groups;
    if (i < t.size() && is_ascii_digit(t[i])) return false;
  }
  if (groups == 0) return false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && is_ascii_digit(t[i])) ++i;
  }
  return i == t.size();
}

// 52_8 -> 52 and 4210_{5} -> 4210 (the base of a numeral); x_{1} -> x_1 and x^{2} -> x^2.
std::string simplify_scripts(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if ((c == '_' || c == '^') && i + 1 < text.size()) {
      // base subscript of a numeral
      if (c == '_' && !out.empty() && is_ascii_digit(out.back())) {
        size_t digits_start = out.size();
        while (digits_start > 0 && (is_ascii_digit(out[digits_start - 1]))) --digits_start;
        char before = digits_start > 0 ? out[digits_start - 1] : ' ';
        bool numeral = !(is_ascii_letter(before) || before == '_' || before == '^' || before == '\\' || before == '.');
        size_t j = i + 1;
        bool braced = text[j] == '{';
        if (braced) ++j;
        size_t base_start = j;
        while (j < text.size() && is_ascii_digit(text[j])) ++j;
        bool closed = !braced || (j < text.size() && text[j] == '}');
        if (numeral && j > base_start && closed) {
          i = braced ? j + 1 : j;
          continue;
        }
      }
      // one-character group
      if (text[i + 1] == '{' && i + 3 < text.size() && text[i + 3] == '}' &&
          (is_ascii_letter(text[i + 2]) || is_ascii_digit(text[i + 2])) &&
          (i + 4 >= text.size() || !(is_ascii_letter(text[i + 4]) || is_ascii_digit(text[i + 4])))) {
        out += c;
        out += text[i + 2];
        i += 4;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace

std::string compact_spaces(std::string_view text) {
  std::string out;
  bool after_letter_command = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r' ||
                                 text[i] == '\f' || text[i] == '\v'))
        ++i;
      if (after_letter_command && i < text.size() && is_ascii_letter(text[i])) out += ' ';
      after_letter_command = false;
      continue;
    }
    if (c == '\\') {
      size_t end = command_end(text, i);
      out.append(text.substr(i, end - i));
      after_letter_command = end > i + 1 && is_ascii_letter(text[i + 1]);
      i = end;
      continue;
    }
    out += c;
    after_letter_command = false;
    ++i;
  }
  return out;
}

std::string normalize_answer(std::string_view answer) {
  std::string text(trim(answer));
  replace_unicode_symbols(text);
  replace_all(text, "\\left.", "");
  replace_all(text, "\\right.", "");
  replace_all(text, "^{\\circ}", "");
  replace_all(text, "^\\circ", "");
  replace_all(text, "^{\\degree}", "");
  replace_all(text, "^\\degree", "");
  canonicalise_thousands_marks(text);
  for (int pass = 0; pass < kMaxUnwrapPasses && unwrap_text_groups_once(text); ++pass) {
  }
  rewrite_commands(text);
  strip_trailing_unit_words(text);
  std::string_view trimmed = trim(text);
  std::string result;
  if (is_grouped_number(trimmed)) {
    for (char c : trimmed)
      if (c != ',') result += c;
  } else {
    result = compact_spaces(trimmed);
  }
  result = simplify_scripts(result);
  while (result.size() >= 2 && result.front() == '{' && matching_brace(result, 0) == result.size() - 1)
    result = result.substr(1, result.size() - 2);  // "{{5}}" -> "5"
  while (!result.empty() && result.back() == '.' && !(result.size() >= 2 && result[result.size() - 2] == '\\'))
    result.pop_back();
  return result;
}

}  // namespace r1::rewards
