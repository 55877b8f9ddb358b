// JinjaTemplate: lexer + parser + renderer behind one class, and the conversion of their located failures into
// r1::InputError messages "<where> line N: <problem>".
#include "io/jinja/jinja_template.hpp"

#include <chrono>

#include "core/error.hpp"
#include "io/jinja/jinja_ast.hpp"
#include "io/jinja/jinja_lexer.hpp"
#include "io/jinja/jinja_parser.hpp"
#include "io/jinja/jinja_renderer.hpp"

namespace r1 {

JinjaTemplate JinjaTemplate::parse(std::string source, std::string where) {
  JinjaTemplate t;
  t.where_ = std::move(where);
  try {
    t.body_ = std::make_shared<const jinja::Body>(jinja::parse_template(jinja::tokenize(source)));
  } catch (const jinja::Failure& f) {
    throw InputError(t.where_ + " line " + std::to_string(f.line) + ": " + f.what());
  } catch (const std::exception& e) {  // a literal the standard library refused to convert
    throw InputError(t.where_ + ": " + e.what());
  }
  return t;
}

std::string JinjaTemplate::render(const nlohmann::ordered_json& context) const {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  return render(context, local);
}

std::string JinjaTemplate::render(const nlohmann::ordered_json& context, const std::tm& now) const {
  try {
    return jinja::render_body(*body_, context, now);
  } catch (const jinja::RaisedError& f) {
    throw InputError(where_ + " line " + std::to_string(f.line) + ": raise_exception: " + f.what());
  } catch (const jinja::Failure& f) {
    throw InputError(where_ + " line " + std::to_string(f.line) + ": " + f.what());
  } catch (const std::exception& e) {  // e.g. an out-of-range number conversion inside a filter
    throw InputError(where_ + ": " + e.what());
  }
}

}  // namespace r1
