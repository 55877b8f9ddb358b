// Attribute and item lookup with jinja2's sandbox rules (`a.b` tries the Python attribute first, then the item;
// `a[b]` the item first, then the attribute; misses give Undefined) and the Python methods of str, dict and list
// that chat templates call (startswith, split, strip, items, get, ...). Mutating methods are refused, as the
// ImmutableSandboxedEnvironment refuses them.
#pragma once
#include <string>

#include "io/jinja/jinja_value.hpp"

namespace r1::jinja {

Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);
Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// Items of an iterable as Python iterates them (a dict gives its keys, a string its characters).
List iterate(const Value& v);
// Number of elements (len()); throws Failure for values without a length.
int64_t length(const Value& v);
// Fails with jinja2's UndefinedError message when `v` is undefined.
void fail_if_undefined(const Value& v);

}  // namespace r1::jinja
