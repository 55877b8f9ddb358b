// Prompt templates: how a question becomes the text a model continues, and how a worked solution
// becomes the response it is trained to write. The config key `template` (and `r1 data import
// --template`) names one:
//   compact  "<|user|>Q<|assistant|>" then "<think>R</think><answer>A</answer><|endoftext|>": the
//            tiny recipes' own tokens (their trained tokenizer carries them);
//   r1_zero  the plain-text template of the DeepSeek-R1 paper (Table 1) with the question in place
//            of its prompt, for base models; responses " <think>R</think> <answer>A</answer>" + EOS;
//   hf       the chat template of the model's tokenizer_config.json (or chat_template.jinja),
//            rendered as transformers' apply_chat_template(messages, add_generation_prompt=True)
//            does, with `template_variables` (e.g. enable_thinking=false) and an optional system
//            message; the response is what the template renders for the assistant turn;
//   other    a literal text containing {question} (and optionally {bos}), e.g.
//            "Question: {question}\nAnswer:"; responses as r1_zero's without the leading space.
// Non-chat templates start with the BOS text that the tokenizer's own `tokenizer(text)` prepends
// (Llama-3, DeepSeek-V3), so prompts tokenize as Hugging Face's would.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/hf/hf_prompting.hpp"

namespace r1 {

enum class PromptTemplateKind { compact, r1_zero, hf, literal };

struct PromptTemplateSettings {
  std::string spec = "compact";             // compact | r1_zero | hf | literal text with {question}
  std::string system;                       // hf: a system message before the question ("" = none)
  std::vector<std::string> variables;       // hf: extra template variables, "name=JSON value"
};

class PromptTemplate {
 public:
  PromptTemplate();  // compact
  // `hf` is the model folder's prompting files (required for spec hf; its BOS prefix is used by the
  // others); `end_of_response` the text that ends a response (the EOS token); `where` names the
  // config for errors. Throws InputError for an unknown spec, a missing or bad chat template, or a
  // malformed variable.
  static PromptTemplate make(const PromptTemplateSettings& settings, const HfPrompting* hf,
                             const std::string& end_of_response, const std::string& where);

  PromptTemplateKind kind() const { return kind_; }
  const std::string& spec() const { return spec_; }  // recorded in dataset files as chat_template
  const std::string& end_of_response() const { return end_of_response_; }
  std::string prompt(const std::string& question) const;
  std::string response(const std::string& reasoning, const std::string& answer) const;
  // Tokens the template writes itself and the tokenizer must know as single tokens (compact's).
  std::vector<std::string> required_tokens() const;

  // The DeepSeek-R1 paper's R1-Zero template with `question` in place of its prompt.
  static std::string r1_zero_text(const std::string& question);

 private:
  struct HfChat;  // the parsed chat template and its variables (prompt_template_hf.cpp)
  static std::shared_ptr<const HfChat> make_hf_chat(const HfPrompting& hf, const PromptTemplateSettings& settings,
                                                    const std::string& where);
  std::string render_hf_prompt(const std::string& question) const;
  std::string render_hf_response(const std::string& question, const std::string& content) const;

  PromptTemplateKind kind_ = PromptTemplateKind::compact;
  std::string spec_ = "compact";
  std::string bos_prefix_, end_of_response_;
  std::shared_ptr<const HfChat> chat_;
};

}  // namespace r1
