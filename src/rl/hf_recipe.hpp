// Recipes that start from a Hugging Face model folder (`model.from_hf: DIR`): the folder's
// config.json becomes the model section, its tokenizer the run's tokenizer (unless tokenizer.path
// names another), its generation_config.json the stop ids, and its weights the starting point.
#pragma once
#include <optional>
#include <string>

#include "io/hf/hf_prompting.hpp"
#include "io/tokenizer/tokenizer.hpp"
#include "rl/prompt_template.hpp"
#include "rl/run_config.hpp"

namespace r1 {

// Replaces the architecture keys of every model with `from_hf` set (the policy and distill students)
// by its config.json's, keeping the recipe's training keys; points the tokenizer at the policy's
// folder when the recipe would otherwise train one. Call before validate(); InputError names the
// folder's file and key.
void resolve_hf_models(RunConfig& config, const std::string& where);

// The prompting files of the run's tokenizer folder: model.from_hf, else a tokenizer.path folder (or
// the folder of a tokenizer.json file); nullopt for a trained tokenizer.
std::optional<HfPrompting> run_prompting(const RunConfig& config);

// The prompting files of the folder of a tokenizer path (a folder, or a tokenizer.json file's folder).
HfPrompting tokenizer_folder_prompting(const std::string& tokenizer_path);

// Comma-separated items, trimmed ("" -> none).
std::vector<std::string> split_list(const std::string& text);

// Sets the tokenizer's stop ids: generation_config.json's eos_token_id list, else
// tokenizer_config.json's eos_token, else the tokenizer's own end-of-sequence token. InputError when an id is outside the vocabulary.
void apply_stop_ids(Tokenizer& tokenizer, const HfPrompting& prompting);

// Copies the folder's tokenizer_config.json, generation_config.json, chat_template.jinja and
// special_tokens_map.json (those present) into `run_dir`, beside the run's tokenizer.json, so the
// run folder (and `r1 ckpt export` of its checkpoints) is self-contained.
void copy_prompting_files(const HfPrompting& prompting, const std::string& run_dir);

// The run's prompt template; InputError when the tokenizer lacks the tokens it writes (compact on a
// pretrained tokenizer) or the template itself is bad.
PromptTemplate run_prompt_template(const RunConfig& config, const Tokenizer& tokenizer,
                                   const std::optional<HfPrompting>& prompting, const std::string& where);

}  // namespace r1
