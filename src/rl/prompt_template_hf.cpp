// The hf prompt template: the model's own Jinja chat template rendered by io/jinja as transformers'
// apply_chat_template does (messages, add_generation_prompt, bos_token, eos_token, extra variables).
// A response is the text the template adds for an assistant turn after the generation prompt: the
// conversation rendered with the assistant message, minus the prompt rendering, cut after the last
// end-of-response token. Templates that drop or rewrite assistant content (DeepSeek-R1's keeps only
// the text after </think>) fall back to the content followed by the end-of-response text.
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/jinja/jinja_template.hpp"
#include "rl/prompt_template.hpp"

namespace r1 {

struct PromptTemplate::HfChat {
  JinjaTemplate jinja;
  nlohmann::ordered_json base;  // bos_token, eos_token and the variables
  std::string system;
};

namespace {

// "name=VALUE": VALUE parsed as JSON when it is JSON (true, 3, "x", [..]), else taken as a string.
std::pair<std::string, nlohmann::ordered_json> parse_variable(const std::string& item, const std::string& where) {
  const size_t eq = item.find('=');
  R1_INPUT_CHECK(eq != std::string::npos && eq > 0, where, ": template_variables: '", item,
                 "' is not name=value (e.g. enable_thinking=false)");
  const std::string name = item.substr(0, eq), text = item.substr(eq + 1);
  for (char ch : name)
    R1_INPUT_CHECK(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_', where, ": template_variables: '", name,
                   "' is not a variable name");
  for (const char* reserved : {"messages", "add_generation_prompt", "bos_token", "eos_token", "tools", "documents"})
    R1_INPUT_CHECK(name != reserved, where, ": template_variables: '", name, "' is set by r1 itself");
  nlohmann::ordered_json value = nlohmann::ordered_json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  return {name, value};
}

}  // namespace

std::shared_ptr<const PromptTemplate::HfChat> PromptTemplate::make_hf_chat(const HfPrompting& hf,
                                                                           const PromptTemplateSettings& settings,
                                                                           const std::string& where) {
  R1_INPUT_CHECK(!hf.chat_template.empty(), where, ": template: 'hf' but ", hf.folder,
                 " has no chat template (tokenizer_config.json chat_template or chat_template.jinja); use r1_zero or a "
                 "literal template for base models");
  auto chat = std::make_shared<HfChat>(HfChat{JinjaTemplate::parse(hf.chat_template, hf.chat_template_file), {}, settings.system});
  chat->base["bos_token"] = hf.bos_token;
  chat->base["eos_token"] = hf.eos_token;
  chat->base["tools"] = nullptr;  // as transformers passes them when absent (templates test `tools is not none`)
  chat->base["documents"] = nullptr;
  for (const std::string& item : settings.variables) {
    auto [name, value] = parse_variable(item, where);
    chat->base[name] = value;
  }
  return chat;
}

namespace {

nlohmann::ordered_json message(const std::string& role, const std::string& content) {
  return nlohmann::ordered_json{{"role", role}, {"content", content}};
}

}  // namespace

std::string PromptTemplate::render_hf_prompt(const std::string& question) const {
  nlohmann::ordered_json context = chat_->base;
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!chat_->system.empty()) messages.push_back(message("system", chat_->system));
  messages.push_back(message("user", question));
  context["messages"] = messages;
  context["add_generation_prompt"] = true;
  return chat_->jinja.render(context);
}

std::string PromptTemplate::render_hf_response(const std::string& question, const std::string& content) const {
  const std::string prompt = render_hf_prompt(question);
  nlohmann::ordered_json context = chat_->base;
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!chat_->system.empty()) messages.push_back(message("system", chat_->system));
  messages.push_back(message("user", question));
  messages.push_back(message("assistant", content));
  context["messages"] = messages;
  context["add_generation_prompt"] = false;
  const std::string whole = chat_->jinja.render(context);
  if (whole.starts_with(prompt)) {
    std::string rest = whole.substr(prompt.size());
    const size_t at = rest.find(content);
    if (at != std::string::npos) {
      rest = rest.substr(at);  // a template may repeat part of the generation prompt (e.g. "<think>\n")
      if (!end_of_response_.empty()) {
        const size_t end = rest.rfind(end_of_response_);
        if (end != std::string::npos && end >= content.size()) return rest.substr(0, end + end_of_response_.size());
      }
      return rest + end_of_response_;
    }
  }
  return content + end_of_response_;
}

}  // namespace r1
