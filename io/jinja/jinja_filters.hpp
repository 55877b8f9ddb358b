// Jinja filters and tests (io/jinja): the jinja2 builtins chat templates use plus transformers' tojson
// (json.dumps with ensure_ascii=False). Filters that call tests or other filters (select, map) go through the
// same tables.
#pragma once
#include <string>

#include "io/jinja/jinja_value.hpp"

namespace r1::jinja {

bool has_filter(const std::string& name);
bool has_test(const std::string& name);
Value apply_filter(const std::string& name, const Value& input, const CallArgs& args);
bool apply_test(const std::string& name, const Value& input, const CallArgs& args);

// json.dumps(value, ensure_ascii, indent, separators) as Python writes it. indent: none (one line), an int
// (spaces) or a string; separators: none or a 2-tuple; sort_keys sorts dict keys.
std::string to_json(const Value& v, bool ensure_ascii, const Value& indent, const Value& separators,
                    bool sort_keys = false);

}  // namespace r1::jinja
