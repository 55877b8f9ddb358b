// Per-kind field mapping of `r1 data import` (see data_import_records.hpp).
#include "cli/data_import_records.hpp"

#include <vector>

#include "core/error.hpp"
#include "io/tokenizer/bpe_utf8.hpp"
#include "rl/rewards/answer_extraction.hpp"

namespace r1::cli {

namespace {

struct KindName {
  ImportKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {{ImportKind::gsm8k, "gsm8k"},
                                   {ImportKind::math, "math"},
                                   {ImportKind::prompt_answer, "prompt-answer"},
                                   {ImportKind::sft, "sft"},
                                   {ImportKind::chat, "chat"}};

std::string trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

std::string or_default(const std::string& name, const char* fallback) {
  return name.empty() ? fallback : name;
}

// Checks that a text can be stored and tokenised: valid UTF-8, no NUL characters.
std::optional<std::string> check_text(const std::string& text, const std::string& field) {
  if (bpe::find_invalid_utf8(text) != std::string_view::npos) return "field '" + field + "' is not valid UTF-8";
  if (text.find('\0') != std::string::npos) return "field '" + field + "' contains a NUL character";
  return std::nullopt;
}

// Reads the string field `name`; the reason when it is missing or not a string.
std::optional<std::string> required_string(const nlohmann::json& record, const std::string& name, std::string& out) {
  auto it = record.find(name);
  if (it == record.end()) return "missing field '" + name + "'";
  if (!it->is_string()) return "field '" + name + "' is not a string (got " + std::string(it->type_name()) + ")";
  out = it->get<std::string>();
  return check_text(out, name);
}

// Like required_string, but an absent field leaves `present` false and is no error.
std::optional<std::string> optional_string(const nlohmann::json& record, const std::string& name, std::string& out,
                                           bool& present) {
  present = record.contains(name);
  if (!present) return std::nullopt;
  return required_string(record, name, out);
}

std::optional<std::string> source_id(const nlohmann::json& record, const std::string& id_field,
                                     const std::string& fallback, std::string& out) {
  std::vector<std::string> candidates = id_field.empty() ? std::vector<std::string>{"unique_id", "id"}
                                                          : std::vector<std::string>{id_field};
  for (const std::string& name : candidates) {
    auto it = record.find(name);
    if (it == record.end()) continue;
    if (it->is_string()) {
      out = it->get<std::string>();
      return check_text(out, name);
    }
    if (it->is_number_integer()) {
      out = it->dump();
      return std::nullopt;
    }
    return "field '" + name + "' is not a string or an integer (got " + std::string(it->type_name()) + ")";
  }
  if (!id_field.empty()) return "missing field '" + id_field + "'";
  out = fallback;
  return std::nullopt;
}

std::optional<std::string> extract_chat(const nlohmann::json& record, const std::string& field, ImportedText& out) {
  auto it = record.find(field);
  if (it == record.end()) return "missing field '" + field + "'";
  if (!it->is_array() || it->empty()) return "field '" + field + "' must be a non-empty list of {role, content}";
  const nlohmann::json& messages = *it;
  std::string prompt;
  for (size_t i = 0; i < messages.size(); ++i) {
    const nlohmann::json& m = messages[i];
    std::string where = field + "[" + std::to_string(i) + "]";
    if (!m.is_object()) return where + " is not an object";
    std::string role, content;
    if (auto e = required_string(m, "role", role)) return where + ": " + *e;
    if (auto e = required_string(m, "content", content)) return where + ": " + *e;
    const bool last = i + 1 == messages.size();
    if (last) {
      if (role != "assistant") return where + ": the last message must have role 'assistant', got '" + role + "'";
      out.response = content;
    } else if (role == "system" || role == "user") {
      if (!prompt.empty()) prompt += "\n\n";
      prompt += content;
    } else if (role == "assistant") {
      return where + ": an assistant turn before the last message (the compact template holds one exchange)";
    } else {
      return where + ": unknown role '" + role + "' (expected system, user or assistant)";
    }
  }
  if (prompt.empty()) return "field '" + field + "' has no system or user message before the assistant turn";
  out.question = prompt;
  return std::nullopt;
}

}  // namespace

const char* import_kind_name(ImportKind kind) {
  for (const KindName& k : kKindNames)
    if (k.kind == kind) return k.name;
  return "?";
}

ImportKind parse_import_kind(const std::string& name) {
  for (const KindName& k : kKindNames)
    if (name == k.name) return k.kind;
  throw InputError("r1 data import: unknown kind '" + name + "' (expected gsm8k, math, prompt-answer, sft or chat)");
}

bool import_kind_is_sft(ImportKind kind) { return kind == ImportKind::sft || kind == ImportKind::chat; }

std::optional<std::string> gsm8k_gold_answer(const std::string& solution) {
  size_t mark = solution.rfind("####");
  if (mark == std::string::npos) return std::nullopt;
  std::string gold;
  for (char c : trim(solution.substr(mark + 4)))
    if (c != ',') gold += c;
  if (gold.empty()) return std::nullopt;
  return gold;
}

std::optional<std::string> extract_record(ImportKind kind, const nlohmann::json& record, const ImportFields& f,
                                          const std::string& fallback_id, ImportedText& out) {
  out = ImportedText{};
  if (!record.is_object()) return "the line is not a JSON object";
  if (auto e = source_id(record, f.id, fallback_id, out.source_id)) return e;
  bool present = false;
  switch (kind) {
    case ImportKind::gsm8k: {
      const std::string answer = or_default(f.answer, "answer");
      if (auto e = required_string(record, or_default(f.question, "question"), out.question)) return e;
      if (auto e = required_string(record, answer, out.solution)) return e;
      std::optional<std::string> gold = gsm8k_gold_answer(out.solution);
      if (!gold) return "field '" + answer + "' has no final answer after '####'";
      out.gold = *gold;
      return std::nullopt;
    }
    case ImportKind::math: {
      const std::string solution = or_default(f.solution, "solution");
      const std::string answer = or_default(f.answer, "answer");
      if (auto e = required_string(record, or_default(f.question, "problem"), out.question)) return e;
      if (auto e = optional_string(record, solution, out.solution, present)) return e;
      bool has_answer = false;
      if (auto e = optional_string(record, answer, out.gold, has_answer)) return e;
      if (!has_answer) {
        std::optional<std::string> boxed = rewards::last_boxed_content(out.solution);
        if (!boxed) return "no field '" + answer + "' and no \\boxed{} answer in field '" + solution + "'";
        out.gold = *boxed;
      }
      out.gold = trim(out.gold);
      if (out.gold.empty()) return "the gold answer is empty";
      return std::nullopt;
    }
    case ImportKind::prompt_answer: {
      if (auto e = required_string(record, or_default(f.question, "prompt"), out.question)) return e;
      if (auto e = required_string(record, or_default(f.answer, "answer"), out.gold)) return e;
      if (!f.solution.empty())
        if (auto e = required_string(record, f.solution, out.solution)) return e;
      out.gold = trim(out.gold);
      if (out.gold.empty()) return "the gold answer is empty";
      return std::nullopt;
    }
    case ImportKind::sft: {
      if (auto e = required_string(record, or_default(f.question, "prompt"), out.question)) return e;
      if (auto e = required_string(record, or_default(f.response, "response"), out.response)) return e;
      if (!f.answer.empty())
        if (auto e = required_string(record, f.answer, out.gold)) return e;
      return std::nullopt;
    }
    case ImportKind::chat:
      return extract_chat(record, or_default(f.messages, "messages"), out);
  }
  return "unknown import kind";
}

}  // namespace r1::cli
