// Final-answer extraction from responses and reference solutions (see answer_extraction.hpp).
#include "rl/rewards/answer_extraction.hpp"

#include <vector>

#include "rl/rewards/latex_scan.hpp"

namespace r1::rewards {

namespace {

constexpr std::string_view kAnswerOpen = "<answer>";
constexpr std::string_view kAnswerClose = "</answer>";

// For every '{' the position of its matching '}' (npos when unclosed), in one pass with a stack.
// Escaped `\{`, `\}` and `\\` are literal characters.
std::vector<size_t> brace_partners(std::string_view text) {
  std::vector<size_t> partner(text.size(), std::string_view::npos);
  std::vector<size_t> open_positions;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      ++i;
    } else if (c == '{') {
      open_positions.push_back(i);
    } else if (c == '}' && !open_positions.empty()) {
      partner[open_positions.back()] = i;
      open_positions.pop_back();
    }
  }
  return partner;
}

}  // namespace

std::optional<std::string_view> last_answer_tag_content(std::string_view text) {
  size_t close = text.rfind(kAnswerClose);
  if (close == std::string_view::npos) return std::nullopt;
  size_t open = text.substr(0, close).rfind(kAnswerOpen);
  if (open == std::string_view::npos) return std::nullopt;
  size_t begin = open + kAnswerOpen.size();
  return text.substr(begin, close - begin);
}

std::optional<std::string> last_boxed_content(std::string_view text) {
  std::vector<size_t> box_starts;  // positions just after "\boxed" / "\fbox"
  for (size_t pos = text.find('\\'); pos != std::string_view::npos; pos = text.find('\\', pos + 1)) {
    for (std::string_view name : {"boxed", "fbox"})
      if (command_at(text, pos, name)) box_starts.push_back(pos + 1 + name.size());
  }
  if (box_starts.empty()) return std::nullopt;
  std::vector<size_t> partner = brace_partners(text);
  for (size_t k = box_starts.size(); k-- > 0;) {
    size_t i = box_starts[k];
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size()) continue;
    if (text[i] == '{') {
      if (partner[i] == std::string_view::npos) continue;  // unclosed (truncated) box
      return std::string(trim(text.substr(i + 1, partner[i] - i - 1)));
    }
    if (i > box_starts[k]) {  // "\boxed 5": the box holds the next token
      size_t end = text.find_first_of(" \t\n$", i);
      std::string_view token = text.substr(i, end == std::string_view::npos ? text.size() - i : end - i);
      if (!token.empty()) return std::string(token);
    }
  }
  return std::nullopt;
}

std::optional<std::string> extract_answer(std::string_view text) {
  std::optional<std::string_view> tag_content = last_answer_tag_content(text);
  std::string_view scope = tag_content ? *tag_content : text;
  if (auto boxed = last_boxed_content(scope)) return boxed;
  size_t hashes = scope.rfind("#### ");
  if (hashes != std::string_view::npos) {
    std::string_view rest = scope.substr(hashes + 5);
    size_t line_end = rest.find('\n');
    return std::string(trim(rest.substr(0, line_end)));
  }
  if (tag_content) return std::string(trim(*tag_content));
  return std::nullopt;
}

std::string extract_gold_answer(std::string_view gold) {
  if (auto answer = extract_answer(gold)) return *answer;
  return std::string(trim(gold));
}

}  // namespace r1::rewards
