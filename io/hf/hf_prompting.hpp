// What a Hugging Face model folder says about prompting and stopping, besides config.json and the
// weights: the chat template (tokenizer_config.json "chat_template", or chat_template.jinja as
// transformers >= 4.43 saves it), the bos/eos token texts, whether plain `tokenizer(text)` prepends
// a BOS (tokenizer_config.json add_bos_token, or a tokenizer.json TemplateProcessing post-processor
// that starts with a special token, as Llama-3 and DeepSeek-V3 have), and generation_config.json's
// stop ids and sampling defaults. Every file is optional; a malformed one is an InputError naming
// the file and the field.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace r1 {

struct HfPrompting {
  std::string folder;
  std::string chat_template;        // Jinja source; "" when the folder has none
  std::string chat_template_file;   // where it came from (for error messages)
  std::string bos_token, eos_token;  // tokenizer_config.json token texts ("" when absent)
  std::string bos_prefix;           // the text `tokenizer(text)` puts first (a BOS token), or ""
  std::vector<int64_t> eos_token_ids;  // generation_config.json eos_token_id (an int or a list)
  std::optional<double> temperature, top_p;
  std::optional<int64_t> top_k;
};

// `folder` is a Hugging Face model or tokenizer folder.
HfPrompting read_hf_prompting(const std::string& folder);

}  // namespace r1
