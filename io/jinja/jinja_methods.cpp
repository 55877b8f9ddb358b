// Attribute / item lookup and the Python str, dict and list methods (see jinja_methods.hpp).
#include "io/jinja/jinja_methods.hpp"

#include <algorithm>

#include "io/jinja/jinja_text.hpp"

namespace r1::jinja {

namespace {

const char* const kStringMethods[] = {"startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit",
                                      "replace", "upper", "lower", "title", "capitalize", "find", "rfind", "index",
                                      "count", "join", "format", "isdigit", "isalpha", "isalnum", "isspace",
                                      "islower", "isupper", "splitlines", "removeprefix", "removesuffix"};
const char* const kDictMethods[] = {"get", "items", "keys", "values"};
const char* const kListMethods[] = {"index", "count"};
const char* const kMutating[] = {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update",
                                 "setdefault", "popitem", "add", "discard", "difference_update"};

template <size_t N>
bool one_of(const std::string& name, const char* const (&names)[N]) {
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

std::string short_type(const Value& v) {
  std::string t = type_name(v);
  return t.substr(0, t.find(' '));
}

Value missing(const Value& obj, const std::string& what) {
  return Value::undefined("'" + type_name(obj) + "' has no attribute " + what);
}

std::optional<std::string> optional_string(const ArgReader& r, size_t i, const std::string& what) {
  if (!r.has(i) || r.get(i).is_none()) return std::nullopt;
  if (!r.get(i).is_string()) throw Failure(what + " arg must be None or str");
  return r.get(i).as_string();
}

const std::string& string_arg(const ArgReader& r, size_t i, const std::string& what) {
  if (!r.has(i)) throw Failure(what + " is missing a required argument");
  if (!r.get(i).is_string()) throw Failure(what + ": expected a str argument, got " + type_name(r.get(i)));
  return r.get(i).as_string();
}

int64_t int_arg(const ArgReader& r, size_t i, int64_t fallback, const std::string& what) {
  if (!r.has(i) || r.get(i).is_none()) return fallback;
  if (!r.get(i).is_int()) throw Failure(what + ": expected an int argument, got " + type_name(r.get(i)));
  return r.get(i).as_int();
}

// Python-style [start:end] bounds (code points) converted to byte offsets of `s`.
std::pair<size_t, size_t> byte_range(const std::string& s, const ArgReader& r, size_t first, const std::string& what) {
  int64_t n = static_cast<int64_t>(code_point_length(s));
  auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + n : v, int64_t{0}, n); };
  int64_t b = clamp(int_arg(r, first, 0, what)), e = clamp(int_arg(r, first + 1, n, what));
  auto offset = [&](int64_t cp) {
    size_t pos = 0;
    for (int64_t k = 0; k < cp; ++k) {
      ++pos;
      while (pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xc0) == 0x80) ++pos;
    }
    return pos;
  };
  return {offset(b), offset(std::max(b, e))};
}

int64_t code_point_index(const std::string& s, size_t byte) {
  return static_cast<int64_t>(code_point_length(std::string_view(s).substr(0, byte)));
}

std::string format_string(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') { out += '{'; ++i; continue; }
    if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') { out += '}'; ++i; continue; }
    if (c == '}') throw Failure("Single '}' encountered in format string");
    if (c != '{') { out += c; continue; }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos) throw Failure("Single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    if (field.find_first_of(":!.[") != std::string::npos)
      throw Failure("str.format: format specs, conversions and field access are not supported ('{" + field + "}')");
    const Value* v = nullptr;
    if (field.empty() || std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      size_t index = field.empty() ? auto_index++ : std::stoul(field);
      if (index >= args.positional.size()) throw Failure("Replacement index " + std::to_string(index) + " out of range");
      v = &args.positional[index];
    } else {
      for (const auto& [k, kv] : args.keywords)
        if (k == field) v = &kv;
      if (!v) throw Failure("str.format: no argument named '" + field + "'");
    }
    out += to_str(*v);
    i = close;
  }
  return out;
}

bool all_code_points(const std::string& s, bool (*pred)(char32_t)) {
  if (s.empty()) return false;
  for (char32_t cp : code_points(s))
    if (!pred(cp)) return false;
  return true;
}

Value call_string_method(const std::string& s, const std::string& name, const CallArgs& args) {
  const std::string what = "str." + name + "()";
  if (name == "startswith" || name == "endswith") {
    ArgReader r(args, what, {"prefix", "start", "end"});
    auto [b, e] = byte_range(s, r, 1, what);
    std::string_view view = std::string_view(s).substr(b, e - b);
    List prefixes = r.has(0) && r.get(0).kind() == Value::Kind::tuple ? r.get(0).as_list() : List{r.get(0)};
    for (const Value& p : prefixes) {
      if (!p.is_string()) throw Failure(what + " first arg must be str or a tuple of str, not " + short_type(p));
      const std::string& x = p.as_string();
      bool hit = name == "startswith" ? view.substr(0, x.size()) == x
                                      : view.size() >= x.size() && view.substr(view.size() - x.size()) == x;
      if (hit) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    ArgReader r(args, what, {"chars"});
    return Value::string(py_strip(s, optional_string(r, 0, what), name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    ArgReader r(args, what, {"sep", "maxsplit"});
    List parts;
    for (auto& p : py_split(s, optional_string(r, 0, what), int_arg(r, 1, -1, what), name == "rsplit"))
      parts.push_back(Value::string(std::move(p)));
    return Value::list(std::move(parts));
  }
  if (name == "replace") {
    ArgReader r(args, what, {"old", "new", "count"});
    return Value::string(py_replace(s, string_arg(r, 0, what), string_arg(r, 1, what), int_arg(r, 2, -1, what)));
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
    ArgReader r(args, what, {});
    if (name == "upper") return Value::string(py_upper(s));
    if (name == "lower") return Value::string(py_lower(s));
    if (name == "title") return Value::string(py_title(s));
    return Value::string(py_capitalize(s));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "count") {
    ArgReader r(args, what, {"sub", "start", "end"});
    const std::string& sub = string_arg(r, 0, what);
    auto [b, e] = byte_range(s, r, 1, what);
    std::string_view view = std::string_view(s).substr(b, e - b);
    if (name == "count") {
      if (sub.empty()) return Value::integer(static_cast<int64_t>(code_point_length(view)) + 1);
      int64_t n = 0;
      for (size_t at = view.find(sub); at != std::string_view::npos; at = view.find(sub, at + sub.size())) ++n;
      return Value::integer(n);
    }
    size_t at = name == "rfind" ? view.rfind(sub) : view.find(sub);
    if (at == std::string_view::npos) {
      if (name == "index") throw Failure("substring not found");
      return Value::integer(-1);
    }
    return Value::integer(code_point_index(s, b + at));
  }
  if (name == "join") {
    ArgReader r(args, what, {"iterable"});
    std::string out;
    bool first = true;
    for (const Value& v : iterate(r.get(0))) {
      if (!v.is_string()) throw Failure("sequence item: expected str instance, " + short_type(v) + " found");
      out += (first ? "" : s) + v.as_string();
      first = false;
    }
    return Value::string(out);
  }
  if (name == "format") return Value::string(format_string(s, args));
  if (name == "removeprefix" || name == "removesuffix") {
    ArgReader r(args, what, {"affix"});
    const std::string& x = string_arg(r, 0, what);
    if (name == "removeprefix") return Value::string(s.compare(0, x.size(), x) == 0 ? s.substr(x.size()) : s);
    bool ends = s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
    return Value::string(ends ? s.substr(0, s.size() - x.size()) : s);
  }
  if (name == "splitlines") {
    ArgReader r(args, what, {"keepends"});
    bool keep = r.has(0) && truthy(r.get(0));
    List lines;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\n' && s[i] != '\r') continue;
      size_t end = i + (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n' ? 2 : 1);
      lines.push_back(Value::string(s.substr(start, (keep ? end : i) - start)));
      start = end;
      i = end - 1;
    }
    if (start < s.size()) lines.push_back(Value::string(s.substr(start)));
    return Value::list(std::move(lines));
  }
  ArgReader r(args, what, {});
  if (name == "isspace") return Value::boolean(all_code_points(s, py_isspace));
  if (name == "isdigit")
    return Value::boolean(all_code_points(s, [](char32_t c) { return c >= '0' && c <= '9'; }));
  if (name == "isalpha")
    return Value::boolean(all_code_points(s, [](char32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }));
  if (name == "isalnum")
    return Value::boolean(all_code_points(
        s, [](char32_t c) { return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9'); }));
  bool has_lower = false, has_upper = false;
  for (char c : s) {
    has_lower |= c >= 'a' && c <= 'z';
    has_upper |= c >= 'A' && c <= 'Z';
  }
  if (name == "islower") return Value::boolean(has_lower && !has_upper);
  return Value::boolean(has_upper && !has_lower);  // isupper
}

Value call_dict_method(const Value& obj, const std::string& name, const CallArgs& args) {
  const std::string what = "dict." + name + "()";
  const Dict& d = obj.as_dict();
  if (name == "get") {
    ArgReader r(args, what, {"key", "default"});
    if (!r.has(0)) throw Failure(what + " is missing a required argument");
    const Value* v = d.find(r.get(0));
    return v ? *v : r.get_or(1, Value::none());
  }
  ArgReader r(args, what, {});
  List out;
  for (const auto& [k, v] : d.items) {
    if (name == "items") out.push_back(Value::list({k, v}, true));
    else out.push_back(name == "keys" ? k : v);
  }
  return Value::list(std::move(out));
}

Value call_list_method(const Value& obj, const std::string& name, const CallArgs& args) {
  const std::string what = "list." + name + "()";
  ArgReader r(args, what, {"value"});
  if (!r.has(0)) throw Failure(what + " takes exactly one argument");
  const List& items = obj.as_list();
  int64_t count = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!equals(items[i], r.get(0))) continue;
    if (name == "index") return Value::integer(static_cast<int64_t>(i));
    ++count;
  }
  if (name == "index") throw Failure(repr(r.get(0)) + " is not in list");
  return Value::integer(count);
}

// The bound method `obj.name`, if obj's type has it.
std::optional<Value> method(const Value& obj, const std::string& name) {
  if (one_of(name, kMutating) && (obj.is_list() || obj.is_dict()))
    throw Failure("access to attribute '" + name + "' of '" + short_type(obj) + "' object is unsafe");
  bool found = (obj.is_string() && one_of(name, kStringMethods)) || (obj.is_dict() && one_of(name, kDictMethods)) ||
               (obj.is_list() && one_of(name, kListMethods));
  if (!found) return std::nullopt;
  return Value::callable(short_type(obj) + "." + name, [obj, name](CallArgs& args) {
    if (obj.is_string()) return call_string_method(obj.as_string(), name, args);
    if (obj.is_dict()) return call_dict_method(obj, name, args);
    return call_list_method(obj, name, args);
  });
}

}  // namespace

void fail_if_undefined(const Value& v) {
  if (v.is_undefined()) throw Failure(v.as_string());
}

Value get_attr(const Value& obj, const std::string& name) {
  fail_if_undefined(obj);
  if (obj.is_namespace()) {
    const Value* v = obj.as_namespace().attrs.find(name);
    return v ? *v : Value::undefined("'Namespace object' has no attribute '" + name + "'");
  }
  if (std::optional<Value> m = method(obj, name)) return *m;
  if (obj.is_dict()) {
    const Value* v = obj.as_dict().find(name);
    if (v) return *v;
  }
  return missing(obj, "'" + name + "'");
}

Value get_item(const Value& obj, const Value& key) {
  fail_if_undefined(obj);
  if (obj.is_dict()) {
    const Value* v = obj.as_dict().find(key);
    if (v) return *v;
  } else if ((obj.is_list() || obj.is_string()) && key.is_int()) {
    int64_t n = obj.is_list() ? static_cast<int64_t>(obj.as_list().size()) : -1;
    std::vector<char32_t> cps;
    if (obj.is_string()) {
      cps = code_points(obj.as_string());
      n = static_cast<int64_t>(cps.size());
    }
    int64_t i = key.as_int() < 0 ? key.as_int() + n : key.as_int();
    if (i >= 0 && i < n) {
      if (obj.is_list()) return obj.as_list()[static_cast<size_t>(i)];
      return Value::string(from_code_points(cps, static_cast<size_t>(i), static_cast<size_t>(i) + 1));
    }
    return missing(obj, std::to_string(key.as_int()));
  }
  if (key.is_string()) return get_attr(obj, key.as_string());
  return missing(obj, repr(key));
}

Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  fail_if_undefined(obj);
  auto as_index = [](const Value& v, const char* what) -> std::optional<int64_t> {
    if (v.is_none() || v.is_undefined()) return std::nullopt;
    if (!v.is_int()) throw Failure(std::string("slice ") + what + " must be an integer or None");
    return v.as_int();
  };
  std::optional<int64_t> b = as_index(start, "start"), e = as_index(stop, "stop"), s = as_index(step, "step");
  int64_t st = s.value_or(1);
  if (st == 0) throw Failure("slice step cannot be zero");
  std::vector<char32_t> cps;
  int64_t n;
  if (obj.is_string()) {
    cps = code_points(obj.as_string());
    n = static_cast<int64_t>(cps.size());
  } else if (obj.is_list()) {
    n = static_cast<int64_t>(obj.as_list().size());
  } else {
    throw Failure("'" + type_name(obj) + "' cannot be sliced");
  }
  // Python's PySlice_AdjustIndices.
  auto adjust = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < 0) x = st < 0 ? -1 : 0;
    } else if (x >= n) {
      x = st < 0 ? n - 1 : n;
    }
    return x;
  };
  int64_t lo = adjust(b, st < 0 ? n - 1 : 0), hi = adjust(e, st < 0 ? -1 : n);
  std::vector<size_t> picked;
  for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st) picked.push_back(static_cast<size_t>(i));
  if (obj.is_string()) {
    std::string out;
    for (size_t i : picked) out += from_code_points(cps, i, i + 1);
    return Value::string(out);
  }
  List out;
  for (size_t i : picked) out.push_back(obj.as_list()[i]);
  return Value::list(std::move(out), obj.kind() == Value::Kind::tuple);
}

List iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined: return {};
    case Value::Kind::list:
    case Value::Kind::tuple: return v.as_list();
    case Value::Kind::dict: {
      List keys;
      for (const auto& [k, e] : v.as_dict().items) keys.push_back(k);
      return keys;
    }
    case Value::Kind::string: {
      std::vector<char32_t> cps = code_points(v.as_string());
      List chars;
      for (size_t i = 0; i < cps.size(); ++i) chars.push_back(Value::string(from_code_points(cps, i, i + 1)));
      return chars;
    }
    default: throw Failure("'" + short_type(v) + "' object is not iterable");
  }
}

int64_t length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined: return 0;
    case Value::Kind::list:
    case Value::Kind::tuple: return static_cast<int64_t>(v.as_list().size());
    case Value::Kind::dict: return static_cast<int64_t>(v.as_dict().items.size());
    case Value::Kind::string: return static_cast<int64_t>(code_point_length(v.as_string()));
    case Value::Kind::name_space: return static_cast<int64_t>(v.as_namespace().attrs.items.size());
    default: throw Failure("object of type '" + short_type(v) + "' has no len()");
  }
}

}  // namespace r1::jinja
