// A Hugging Face chat template (tokenizer_config.json "chat_template"), parsed once and rendered with the
// semantics of transformers' apply_chat_template: jinja2 with trim_blocks and lstrip_blocks, an immutable
// sandbox, the globals raise_exception / strftime_now / namespace / dict / range, the loopcontrols extension,
// {% generation %} blocks and transformers' tojson. Output is byte-equal to Python's for the supported subset
// (docs/formats.md, "Chat templates (Jinja)").
#pragma once
#include <ctime>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace r1::jinja {
struct Stmt;
}

namespace r1 {

class JinjaTemplate {
 public:
  // `where` names the source in errors, e.g. "model/tokenizer_config.json: chat_template". Throws InputError
  // "<where> line N: <problem>" for a template that jinja2 would also reject (syntax, unknown filter/test/tag)
  // and for constructs outside the supported subset.
  static JinjaTemplate parse(std::string source, std::string where);

  // Renders with the context's keys as variables (messages, add_generation_prompt, bos_token, tools, ...).
  // strftime_now() reads the local time; the second form fixes it (for tests). Template failures
  // (raise_exception, undefined attribute access, type errors) throw InputError naming `where` and the line.
  std::string render(const nlohmann::ordered_json& context) const;
  std::string render(const nlohmann::ordered_json& context, const std::tm& now) const;

  const std::string& where() const { return where_; }

 private:
  std::string where_;
  std::shared_ptr<const std::vector<std::unique_ptr<jinja::Stmt>>> body_;
};

}  // namespace r1
