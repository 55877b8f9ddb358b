// The value type of the Jinja interpreter (io/jinja): Python-like none/bool/int/float/str/list/tuple/dict
// values plus jinja2's Undefined, namespace objects and callables (macros, globals, bound methods). Lists and
// dicts are shared immutable after construction (transformers renders in an ImmutableSandboxedEnvironment);
// namespaces are the one mutable object. Printing follows Python's str()/repr() exactly.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace r1::jinja {

// A template error without its location; the renderer adds file and line before it leaves io/jinja.
class Failure : public std::runtime_error {
 public:
  explicit Failure(const std::string& message, int line = 0) : std::runtime_error(message), line(line) {}
  int line = 0;
};

class Value;
using List = std::vector<Value>;
struct Dict;
struct Namespace;
struct CallArgs;
struct Callable {
  std::string name;
  std::function<Value(CallArgs&)> fn;
};

class Value {
 public:
  enum class Kind { undefined, none, boolean, integer, floating, string, list, tuple, dict, name_space, callable };

  Value() = default;  // undefined
  static Value undefined(std::string hint) { Value v; v.str_ = std::move(hint); return v; }
  static Value none() { Value v; v.kind_ = Kind::none; return v; }
  static Value boolean(bool b) { Value v; v.kind_ = Kind::boolean; v.int_ = b; return v; }
  static Value integer(int64_t i) { Value v; v.kind_ = Kind::integer; v.int_ = i; return v; }
  static Value floating(double f) { Value v; v.kind_ = Kind::floating; v.float_ = f; return v; }
  static Value string(std::string s) { Value v; v.kind_ = Kind::string; v.str_ = std::move(s); return v; }
  static Value list(List items, bool tuple = false);
  static Value dict(Dict d);
  static Value name_space(std::shared_ptr<Namespace> ns);
  static Value callable(std::string name, std::function<Value(CallArgs&)> fn);
  static Value from_json(const nlohmann::ordered_json& j);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::undefined; }
  bool is_none() const { return kind_ == Kind::none; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_int() const { return kind_ == Kind::integer || kind_ == Kind::boolean; }  // bool is an int, as in Python
  bool is_float() const { return kind_ == Kind::floating; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_list() const { return kind_ == Kind::list || kind_ == Kind::tuple; }  // list or tuple
  bool is_dict() const { return kind_ == Kind::dict; }
  bool is_namespace() const { return kind_ == Kind::name_space; }
  bool is_callable() const { return kind_ == Kind::callable; }

  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return int_; }
  double as_double() const { return is_float() ? float_ : static_cast<double>(int_); }
  const std::string& as_string() const { return str_; }  // the string, or an undefined value's hint
  const List& as_list() const { return *list_; }
  const Dict& as_dict() const { return *dict_; }
  Namespace& as_namespace() const { return *ns_; }
  const Callable& as_callable() const { return *fn_; }

 private:
  Kind kind_ = Kind::undefined;
  int64_t int_ = 0;
  double float_ = 0;
  std::string str_;
  std::shared_ptr<const List> list_;
  std::shared_ptr<const Dict> dict_;
  std::shared_ptr<Namespace> ns_;
  std::shared_ptr<const Callable> fn_;
};

// Insertion-ordered dictionary (Python dict); keys are values compared with Python ==.
struct Dict {
  std::vector<std::pair<Value, Value>> items;
  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;
  void set(Value key, Value value);  // replaces an existing key in place, else appends
};

struct Namespace {
  Dict attrs;
};

// Arguments of a call: positional then keyword, in source order.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

// Binds CallArgs to a Python-style signature and rejects unknown or surplus arguments.
class ArgReader {
 public:
  ArgReader(const CallArgs& args, std::string what, std::vector<std::string> params);
  bool has(size_t i) const { return given_[i]; }
  const Value& get(size_t i) const { return bound_[i]; }
  Value get_or(size_t i, Value fallback) const { return has(i) ? bound_[i] : std::move(fallback); }

 private:
  std::vector<Value> bound_;
  std::vector<bool> given_;
};

bool truthy(const Value& v);
bool equals(const Value& a, const Value& b);
int compare(const Value& a, const Value& b);  // <0, 0, >0; throws Failure for unorderable types
std::string to_str(const Value& v);           // Python str()
std::string repr(const Value& v);             // Python repr()
std::string type_name(const Value& v);        // "dict object", "str object", ... as in jinja2 messages
std::string python_float_repr(double f);
std::string python_string_repr(const std::string& s);

}  // namespace r1::jinja
