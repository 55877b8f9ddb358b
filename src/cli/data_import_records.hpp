// The JSON-to-record mapping of each `r1 data import` kind: which fields of a JSONL record become
// the question, the gold answer, the reference solution or the response, with the kind's default
// field names (overridable per field). Pure text: tokenisation happens in data_import.cpp.
//   gsm8k          question, answer ("... #### 42"): gold = text after the last "####", commas
//                  stripped; solution = the full answer text
//   math           problem, solution, answer (MATH-500); without `answer`: the last \boxed{} of the
//                  solution
//   prompt-answer  prompt, answer (and solution when --solution-field is given)
//   sft            prompt, response (and gold when --answer-field is given)
//   chat           messages: [{role, content}]: the system/user turns form the prompt (joined by a
//                  blank line), the final assistant turn is the response
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace r1::cli {

enum class ImportKind { gsm8k, math, prompt_answer, sft, chat };
const char* import_kind_name(ImportKind kind);
// Throws InputError listing the kinds for an unknown name.
ImportKind parse_import_kind(const std::string& name);
bool import_kind_is_sft(ImportKind kind);  // sft, chat: records carry responses

// Field-name overrides; an empty name means the kind's default.
struct ImportFields {
  std::string question, answer, solution, response, messages, id;
};

// One record as text, before tokenisation.
struct ImportedText {
  std::string question;   // the problem / user prompt (formatted with the chat template later)
  std::string gold;       // reference answer ("" when the kind has none)
  std::string solution;   // worked reference solution (prompt-answer kinds), possibly ""
  std::string response;   // sft/chat: the response text as given
  std::string source_id;  // `--id-field`, else "unique_id" or "id", else "FILE:LINE"
};

// Maps one parsed JSONL record; returns the reason when the record is malformed (missing or
// non-string fields, no gold answer, bad message list, NUL characters, invalid UTF-8).
// `fallback_id` is used as the source id when the record has none.
std::optional<std::string> extract_record(ImportKind kind, const nlohmann::json& record, const ImportFields& fields,
                                          const std::string& fallback_id, ImportedText& out);

// GSM8K's final answer: the text after the last "####", trimmed, commas removed; nullopt when absent.
std::optional<std::string> gsm8k_gold_answer(const std::string& solution);

}  // namespace r1::cli
