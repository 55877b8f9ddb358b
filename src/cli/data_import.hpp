// `r1 data import` as a function: JSONL in, token dataset file out. Two passes over the input: the
// first parses and checks every line (so with on_error = fail a malformed line aborts before
// anything is written, and the record count is known for progress), the second tokenises and
// appends. Prompts are the prompt template applied to the question (rl/prompt_template.hpp);
// sft/chat responses are stored as given followed by the template's end of response (the
// tokenizer's EOS text; <|endoftext|> for compact). The output is
// written as OUT.tmp and renamed, so a failed import never leaves or clobbers OUT.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/data_import_records.hpp"
#include "io/tokenizer/tokenizer.hpp"
#include "rl/prompt_template.hpp"

namespace r1::cli {

enum class OnError { fail, skip };

struct ImportOptions {
  ImportKind kind = ImportKind::prompt_answer;
  std::string input, output;
  OnError on_error = OnError::fail;
  PromptTemplate prompt_template;  // default: compact
  ImportFields fields;
};

struct ImportReport {
  int64_t lines = 0;    // non-empty input lines
  int64_t records = 0;  // records written
  int64_t skipped = 0;  // malformed lines skipped (on_error = skip)
  std::vector<std::string> skipped_examples;  // "FILE:LINE: reason" for the first kMaxListedSkips
  int64_t prompt_tokens = 0, response_tokens = 0;
};

inline constexpr size_t kMaxListedSkips = 20;

// `tokenizer` must know the tokens the template writes (compact: the r1 special tokens). Progress lines (records/s, ETA) go to
// `progress` every few seconds when it is not null. Throws InputError "FILE:LINE: reason" for the
// first malformed line with on_error = fail, and when no record is left to write.
ImportReport import_dataset(const ImportOptions& options, const Tokenizer& tokenizer, std::ostream* progress);

}  // namespace r1::cli
