// `r1 data import KIND IN.jsonl --out OUT.h5 --tokenizer PATH`: turns a JSONL file into a token
// dataset file (the work is cli/data_import.cpp; this file parses the command line and reports).
#include <iostream>

#include "cli/command.hpp"
#include "cli/data_import.hpp"
#include "core/error.hpp"
#include "rl/hf_recipe.hpp"

namespace r1::cli {

namespace {

int data_import(const Args& a, const Comm& world) {
  R1_INPUT_CHECK(world.size() == 1, "r1 data import runs as one process; start it without mpirun/srun");
  ImportOptions options;
  options.kind = parse_import_kind(a.positionals[0]);
  options.input = a.positionals[1];
  options.output = a.get("--out");
  R1_INPUT_CHECK(!options.output.empty(), "r1 data import: --out OUT.h5 is required");
  std::string tokenizer_path = a.get("--tokenizer");
  R1_INPUT_CHECK(!tokenizer_path.empty(), "r1 data import: --tokenizer PATH is required");
  std::string on_error = a.get("--on-error", "fail");
  R1_INPUT_CHECK(on_error == "fail" || on_error == "skip", "r1 data import: --on-error expects fail or skip, got '",
                 on_error, "'");
  options.on_error = on_error == "skip" ? OnError::skip : OnError::fail;
  options.fields.question = a.get("--question-field");
  options.fields.answer = a.get("--answer-field");
  options.fields.solution = a.get("--solution-field");
  options.fields.response = a.get("--response-field");
  options.fields.messages = a.get("--messages-field");
  options.fields.id = a.get("--id-field");

  // The tokenizer as it is (a run's tokenizer.json carries r1's tokens; a model's stays the model's).
  Tokenizer tokenizer = Tokenizer::load(tokenizer_path);
  const HfPrompting prompting = tokenizer_folder_prompting(tokenizer_path);
  apply_stop_ids(tokenizer, prompting);
  PromptTemplateSettings settings;
  settings.spec = a.get("--template", "compact");
  settings.system = a.get("--system");
  for (const std::string& item : split_list(a.get("--template-vars"))) settings.variables.push_back(item);
  const std::string end = tokenizer.eos_id() >= 0 ? tokenizer.token_string(tokenizer.eos_id()) : "";
  options.prompt_template = settings.spec == "compact" ? PromptTemplate()
                                                       : PromptTemplate::make(settings, &prompting, end, "r1 data import");
  ImportReport report = import_dataset(options, tokenizer, &std::cerr);
  for (const std::string& line : report.skipped_examples) std::cerr << "skipped " << line << "\n";
  if (report.skipped > int64_t(report.skipped_examples.size()))
    std::cerr << "... and " << report.skipped - int64_t(report.skipped_examples.size()) << " more\n";
  std::cerr << "r1 data import: wrote " << report.records << " " << import_kind_name(options.kind) << " records ("
            << report.prompt_tokens << " prompt tokens, " << report.response_tokens << " response tokens) to "
            << options.output;
  if (report.skipped > 0) std::cerr << "; skipped " << report.skipped << " malformed lines";
  std::cerr << "\n";
  return 0;
}

Registrar reg(Command{
    "data import", "tokenise a JSONL file into a dataset file (.h5)",
    "KIND and the fields it reads (--*-field renames them):\n"
    "  gsm8k          question, answer (\"... #### 42\"): gold = the text after ####, commas removed\n"
    "  math           problem, solution, answer (MATH-500); without answer: the last \\boxed{} of the solution\n"
    "  prompt-answer  prompt, answer (and --solution-field when given)\n"
    "  sft            prompt, response (and --answer-field when given)\n"
    "  chat           messages: [{role, content}]; system/user turns form the prompt, the final\n"
    "                 assistant turn is the response\n"
    "Prompts are formatted with the prompt template and tokenised; sft/chat responses are stored as given\n"
    "followed by the end-of-sequence token. The source id is --id-field, else unique_id or id, else FILE:LINE.\n"
    "Malformed lines are reported as FILE:LINE. The output is written as OUT.h5.tmp and renamed, so a\n"
    "failed import leaves no OUT.h5 and never overwrites an existing one.",
    {{"KIND", "gsm8k | math | prompt-answer | sft | chat"}, {"IN", "input JSONL file"}},
    {{"--out", "OUT.h5", "output dataset file", ""},
     {"--tokenizer", "PATH", "Hugging Face tokenizer folder or tokenizer.json (a run's <run_dir>/tokenizer.json for the tiny recipes)", ""},
     {"--on-error", "fail|skip", "malformed lines abort the import (fail) or are counted, listed and skipped", "fail"},
     {"--template", "NAME", "prompt template: compact | r1_zero | hf (the tokenizer folder's chat template) | text with {question}", "compact"},
     {"--system", "TEXT", "hf template: system message before each question", ""},
     {"--template-vars", "LIST", "hf template: extra variables, comma-separated name=value (e.g. enable_thinking=false)", ""},
     {"--question-field", "F", "field holding the question/prompt", ""},
     {"--answer-field", "F", "field holding the gold answer", ""},
     {"--solution-field", "F", "field holding the worked solution", ""},
     {"--response-field", "F", "field holding the sft response", ""},
     {"--messages-field", "F", "field holding the chat messages", ""},
     {"--id-field", "F", "field holding the record's source id", ""}},
    false,
    false,
    data_import});

}  // namespace

}  // namespace r1::cli
