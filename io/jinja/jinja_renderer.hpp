// Jinja renderer (io/jinja): walks a parsed template with jinja2's runtime semantics — per-iteration loop scopes
// (a `set` inside a for body does not leak out; namespaces carry state), the `loop` object, macros and call
// blocks, default Undefined for missing names — and the globals transformers provides (raise_exception,
// strftime_now, namespace, dict, range).
#pragma once
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

#include "io/jinja/jinja_ast.hpp"

namespace r1::jinja {

// Thrown by raise_exception(message) in a template.
class RaisedError : public Failure {
 public:
  using Failure::Failure;
};

// Throws Failure / RaisedError carrying the line of the innermost node that failed.
std::string render_body(const Body& body, const nlohmann::ordered_json& context, const std::tm& now);

}  // namespace r1::jinja
