// Prompt templates compact, r1_zero and literal (see prompt_template.hpp); the hf kind renders in
// prompt_template_hf.cpp.
#include "rl/prompt_template.hpp"

#include "core/error.hpp"
#include "rl/chat_template.hpp"

namespace r1 {

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

}  // namespace

PromptTemplate::PromptTemplate() : end_of_response_(kEndOfText) {}

std::string PromptTemplate::r1_zero_text(const std::string& question) {
  return "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The "
         "assistant first thinks about the reasoning process in the mind and then provides the user with the answer. "
         "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, "
         "respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: " +
         question + ". Assistant:";
}

std::vector<std::string> PromptTemplate::required_tokens() const {
  if (kind_ == PromptTemplateKind::compact) return r1_special_tokens();
  return {};
}

std::string PromptTemplate::prompt(const std::string& question) const {
  switch (kind_) {
    case PromptTemplateKind::compact: return format_prompt(question);
    case PromptTemplateKind::r1_zero: return bos_prefix_ + r1_zero_text(question);
    case PromptTemplateKind::literal:
      return (spec_.find("{bos}") == std::string::npos ? bos_prefix_ : "") +
             replace_all(replace_all(spec_, "{bos}", bos_prefix_), "{question}", question);
    case PromptTemplateKind::hf: return render_hf_prompt(question);
  }
  return "";
}

std::string PromptTemplate::response(const std::string& reasoning, const std::string& answer) const {
  const std::string tagged = "<think>" + reasoning + "</think>";
  switch (kind_) {
    case PromptTemplateKind::compact: return format_response(reasoning, answer);
    case PromptTemplateKind::r1_zero: return " " + tagged + " <answer>" + answer + "</answer>" + end_of_response_;
    case PromptTemplateKind::literal: return tagged + "<answer>" + answer + "</answer>" + end_of_response_;
    case PromptTemplateKind::hf: return render_hf_response("", tagged + "<answer>" + answer + "</answer>");
  }
  return "";
}

PromptTemplate PromptTemplate::make(const PromptTemplateSettings& settings, const HfPrompting* hf,
                                    const std::string& end_of_response, const std::string& where) {
  PromptTemplate t;
  t.spec_ = settings.spec;
  t.end_of_response_ = end_of_response;
  if (hf) t.bos_prefix_ = hf->bos_prefix;
  const std::string& s = settings.spec;
  if (s == "compact") {
    t.kind_ = PromptTemplateKind::compact;
  } else if (s == "r1_zero") {
    t.kind_ = PromptTemplateKind::r1_zero;
  } else if (s == "hf") {
    t.kind_ = PromptTemplateKind::hf;
    R1_INPUT_CHECK(hf, where, ": template: 'hf' needs a Hugging Face model folder (model.from_hf or tokenizer.path)");
    t.chat_ = make_hf_chat(*hf, settings, where);
  } else if (s.find("{question}") != std::string::npos) {
    t.kind_ = PromptTemplateKind::literal;
  } else {
    throw InputError(where + ": template: '" + s +
                     "' is not a template (expected compact, r1_zero, hf, or a text containing {question})");
  }
  if (t.kind_ != PromptTemplateKind::hf) {
    R1_INPUT_CHECK(settings.system.empty(), where, ": template_system: only the hf template takes a system message");
    R1_INPUT_CHECK(settings.variables.empty(), where, ": template_variables: only the hf template takes variables");
  }
  return t;
}

}  // namespace r1
