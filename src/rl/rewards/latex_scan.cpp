// Linear-time scanning helpers for LaTeX answer strings (see latex_scan.hpp).
#include "rl/rewards/latex_scan.hpp"

namespace r1::rewards {

std::string_view trim(std::string_view text) {
  const char* space = " \t\n\r\f\v";
  size_t begin = text.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(space);
  return text.substr(begin, end - begin + 1);
}

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

size_t matching_brace(std::string_view text, size_t open) {
  int64_t depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      ++i;  // `\{`, `\}` and `\\` are literal characters
      continue;
    }
    if (c == '{') ++depth;
    if (c == '}' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

size_t command_end(std::string_view text, size_t pos) {
  size_t i = pos + 1;
  if (i >= text.size()) return i;
  if (!is_ascii_letter(text[i])) return i + 1;
  while (i < text.size() && is_ascii_letter(text[i])) ++i;
  return i;
}

bool command_at(std::string_view text, size_t pos, std::string_view name) {
  if (pos >= text.size() || text[pos] != '\\') return false;
  if (text.substr(pos + 1, name.size()) != name) return false;
  size_t after = pos + 1 + name.size();
  return after >= text.size() || !is_ascii_letter(text[after]) || !is_ascii_letter(name.back());
}

namespace {

// One lexical unit for nesting purposes: its length and how it changes the depth.
struct ScanStep {
  size_t length;
  int depth_change;
};

ScanStep scan_step(std::string_view text, size_t i) {
  char c = text[i];
  if (c == '\\') {
    std::string_view rest = text.substr(i);
    if (rest.starts_with("\\begin{") || rest.starts_with("\\end{")) {
      size_t close = text.find('}', i);
      size_t length = close == std::string_view::npos ? text.size() - i : close + 1 - i;
      return {length, rest.starts_with("\\begin{") ? +1 : -1};
    }
    if (rest.starts_with("\\{")) return {2, +1};
    if (rest.starts_with("\\}")) return {2, -1};
    return {command_end(text, i) - i, 0};
  }
  if (c == '(' || c == '[' || c == '{') return {1, +1};
  if (c == ')' || c == ']' || c == '}') return {1, -1};
  return {1, 0};
}

bool separator_at(std::string_view text, size_t i, std::string_view separator) {
  if (separator.size() > 1 && separator[0] == '\\' && is_ascii_letter(separator[1]))
    return command_at(text, i, separator.substr(1));
  return text.substr(i).starts_with(separator);
}

}  // namespace

std::vector<std::string_view> split_top_level(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> pieces;
  size_t piece_start = 0;
  int64_t depth = 0;
  for (size_t i = 0; i < text.size();) {
    if (depth == 0 && separator_at(text, i, separator)) {
      pieces.push_back(text.substr(piece_start, i - piece_start));
      i += separator.size();
      piece_start = i;
      continue;
    }
    ScanStep step = scan_step(text, i);
    depth += step.depth_change;
    if (depth < 0) depth = 0;
    i += step.length;
  }
  pieces.push_back(text.substr(piece_start));
  return pieces;
}

bool has_top_level(std::string_view text, std::string_view separator) {
  return split_top_level(text, separator).size() > 1;
}

bool outer_brackets(std::string_view text, BracketGroup& group) {
  if (text.empty()) return false;
  size_t open_length;
  if (text[0] == '(' || text[0] == '[')
    open_length = 1;
  else if (text.starts_with("\\{"))
    open_length = 2;
  else
    return false;
  int64_t depth = 0;
  for (size_t i = 0; i < text.size();) {
    ScanStep step = scan_step(text, i);
    depth += step.depth_change;
    if (depth == 0) {
      if (i + step.length != text.size()) return false;  // closes before the end: "(a)(b)"
      std::string_view close = text.substr(i, step.length);
      if (close != ")" && close != "]" && close != "\\}") return false;
      group.open = text.substr(0, open_length);
      group.close = close;
      group.inside = text.substr(open_length, i - open_length);
      return true;
    }
    i += step.length;
  }
  return false;
}

}  // namespace r1::rewards
