// Jinja filters and tests: jinja2's builtin semantics (filters.py / tests.py) on r1's values, and
// transformers' tojson override (json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False)).
#include "io/jinja/jinja_filters.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

#include "io/tokenizer/bpe_utf8.hpp"
#include "io/jinja/jinja_methods.hpp"
#include "io/jinja/jinja_text.hpp"

namespace r1::jinja {

namespace {

// ---- json.dumps ----
void json_string(const std::string& s, bool ensure_ascii, std::string& out) {
  out += '"';
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = bpe::next_code_point(s, pos);
    char b[16];
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    if (cp < 0x20 || (ensure_ascii && cp >= 0x7f)) {
      if (cp >= 0x10000) {
        char32_t v = cp - 0x10000;
        std::snprintf(b, sizeof b, "\\u%04x\\u%04x", static_cast<unsigned>(0xd800 + (v >> 10)),
                      static_cast<unsigned>(0xdc00 + (v & 0x3ff)));
      } else {
        std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(cp));
      }
      out += b;
    } else {
      bpe::append_utf8(cp, out);
    }
  }
  out += '"';
}

struct JsonWriter {
  bool ensure_ascii;
  bool sort_keys;
  std::optional<std::string> indent;
  std::string item_sep, key_sep;

  std::string number(const Value& v) const {
    if (v.is_bool()) return v.as_bool() ? "true" : "false";
    if (v.is_int()) return std::to_string(v.as_int());
    double f = v.as_double();
    if (std::isnan(f)) return "NaN";
    if (std::isinf(f)) return f < 0 ? "-Infinity" : "Infinity";
    return python_float_repr(f);
  }

  void newline(int level, std::string& out) const {
    out += '\n';
    for (int i = 0; i < level; ++i) out += *indent;
  }

  void write(const Value& v, int level, std::string& out) const {
    switch (v.kind()) {
      case Value::Kind::none: out += "null"; return;
      case Value::Kind::boolean:
      case Value::Kind::integer:
      case Value::Kind::floating: out += number(v); return;
      case Value::Kind::string: json_string(v.as_string(), ensure_ascii, out); return;
      case Value::Kind::list:
      case Value::Kind::tuple: {
        const List& items = v.as_list();
        if (items.empty()) { out += "[]"; return; }
        out += '[';
        for (size_t i = 0; i < items.size(); ++i) {
          if (i) out += item_sep;
          if (indent) newline(level + 1, out);
          write(items[i], level + 1, out);
        }
        if (indent) newline(level, out);
        out += ']';
        return;
      }
      case Value::Kind::dict: {
        std::vector<std::pair<std::string, const Value*>> entries;
        for (const auto& [k, e] : v.as_dict().items) {
          std::string key;
          if (k.is_string()) key = k.as_string();
          else if (k.is_none()) key = "null";
          else if (k.is_number()) key = number(k);
          else throw Failure("keys must be str, int, float, bool or None, not " + type_name(k).substr(0, type_name(k).find(' ')));
          entries.emplace_back(std::move(key), &e);
        }
        if (sort_keys)
          std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        if (entries.empty()) { out += "{}"; return; }
        out += '{';
        for (size_t i = 0; i < entries.size(); ++i) {
          if (i) out += item_sep;
          if (indent) newline(level + 1, out);
          json_string(entries[i].first, ensure_ascii, out);
          out += key_sep;
          write(*entries[i].second, level + 1, out);
        }
        if (indent) newline(level, out);
        out += '}';
        return;
      }
      default: {
        std::string t = type_name(v);
        throw Failure("Object of type " + t.substr(0, t.find(' ')) + " is not JSON serializable");
      }
    }
  }
};

// ---- helpers ----
std::string soft_str(const Value& v) { return to_str(v); }

// jinja2's make_attrgetter: "a.b.0" looked up item-first, part by part.
Value attribute_path(const Value& item, const std::string& path) {
  Value v = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    v = get_item(v, numeric ? Value::integer(std::stoll(part)) : Value::string(part));
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
}

CallArgs rest_args(const CallArgs& args, size_t from) {
  CallArgs out;
  for (size_t i = from; i < args.positional.size(); ++i) out.positional.push_back(args.positional[i]);
  out.keywords = args.keywords;
  return out;
}

const std::string& name_arg(const Value& v, const std::string& what) {
  if (!v.is_string()) throw Failure(what + ": expected a name, got " + type_name(v));
  return v.as_string();
}

// select / reject / selectattr / rejectattr.
Value select(const Value& seq, const CallArgs& args, bool by_attribute, bool keep_when, const std::string& what) {
  size_t first_test_arg = by_attribute ? 1 : 0;
  std::string attribute;
  if (by_attribute) {
    if (args.positional.empty()) throw Failure(what + " needs an attribute name");
    attribute = name_arg(args.positional[0], what);
  }
  std::string test;
  CallArgs test_args;
  if (args.positional.size() > first_test_arg) {
    test = name_arg(args.positional[first_test_arg], what);
    if (!has_test(test)) throw Failure("no test named '" + test + "'");
    test_args = rest_args(args, first_test_arg + 1);
  }
  List out;
  for (const Value& item : iterate(seq)) {
    Value probe = by_attribute ? attribute_path(item, attribute) : item;
    bool pass = test.empty() ? truthy(probe) : apply_test(test, probe, test_args);
    if (pass == keep_when) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value map_filter(const Value& seq, const CallArgs& args) {
  List out;
  const Value* attribute = nullptr;
  const Value* fallback = nullptr;
  for (const auto& [k, v] : args.keywords) {
    if (k == "attribute") attribute = &v;
    else if (k == "default") fallback = &v;
  }
  if (attribute) {
    std::string path = attribute->is_int() ? std::to_string(attribute->as_int()) : name_arg(*attribute, "map");
    for (const Value& item : iterate(seq)) {
      Value v = attribute_path(item, path);
      out.push_back(v.is_undefined() && fallback ? *fallback : v);
    }
    return Value::list(std::move(out));
  }
  if (args.positional.empty()) throw Failure("map requires a filter name or attribute=");
  const std::string& filter = name_arg(args.positional[0], "map");
  if (!has_filter(filter)) throw Failure("no filter named '" + filter + "'");
  CallArgs filter_args = rest_args(args, 1);
  for (const Value& item : iterate(seq)) out.push_back(apply_filter(filter, item, filter_args));
  return Value::list(std::move(out));
}

// Sort/unique key: optional attribute, case-folded strings unless case_sensitive.
Value sort_key(const Value& item, const std::string& attribute, bool case_sensitive) {
  Value v = attribute.empty() ? item : attribute_path(item, attribute);
  if (!case_sensitive && v.is_string()) return Value::string(py_lower(v.as_string()));
  return v;
}

std::optional<int64_t> parse_python_int(std::string s, int base) {
  s = py_strip(s, std::nullopt, true, true);
  std::string digits;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && s[i - 1] != '_' && s[i + 1] != '_') continue;
    digits += s[i];
  }
  if (digits.empty()) return std::nullopt;
  size_t used = 0;
  try {
    int64_t v = std::stoll(digits, &used, base);
    if (used != digits.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<double> parse_python_float(const std::string& text) {
  std::string s = py_strip(text, std::nullopt, true, true);
  std::string lower = py_lower(s);
  std::string body = lower.size() && (lower[0] == '+' || lower[0] == '-') ? lower.substr(1) : lower;
  if (body == "inf" || body == "infinity" || body == "nan") {
    double v = body == "nan" ? NAN : INFINITY;
    return lower[0] == '-' ? -v : v;
  }
  if (s.empty() || s.find_first_of("xXpP") != std::string::npos) return std::nullopt;
  size_t used = 0;
  try {
    double v = std::stod(s, &used);
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Value number_sum(const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number())
    throw Failure("unsupported operand type(s) for +: '" + type_name(a) + "' and '" + type_name(b) + "'");
  if (a.is_int() && b.is_int()) return Value::integer(a.as_int() + b.as_int());
  return Value::floating(a.as_double() + b.as_double());
}

using Filter = std::function<Value(const Value&, const CallArgs&)>;

const std::map<std::string, Filter>& filters() {
  static const std::map<std::string, Filter> table = [] {
    std::map<std::string, Filter> f;
    auto string_filter = [](std::string (*fn)(std::string_view), const char* name) {
      return [fn, name](const Value& v, const CallArgs& args) {
        ArgReader r(args, std::string("filter '") + name + "'", {});
        return Value::string(fn(soft_str(v)));
      };
    };
    f["upper"] = string_filter(py_upper, "upper");
    f["lower"] = string_filter(py_lower, "lower");
    f["capitalize"] = string_filter(py_capitalize, "capitalize");
    f["title"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'title'", {});
      // jinja2's do_title: split on runs of [-\s({\[<], upper-case each piece's first character.
      std::string s = soft_str(v), out;
      bool at_start = true;
      size_t pos = 0;
      while (pos < s.size()) {
        size_t begin = pos;
        char32_t cp = bpe::next_code_point(s, pos);
        std::string one = s.substr(begin, pos - begin);
        bool sep = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || py_isspace(cp);
        out += sep ? one : at_start ? py_upper(one) : py_lower(one);
        at_start = sep;
      }
      return Value::string(out);
    };
    f["trim"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'trim'", {"chars"});
      std::optional<std::string> chars;
      if (r.has(0) && !r.get(0).is_none()) chars = soft_str(r.get(0));
      return Value::string(py_strip(soft_str(v), chars, true, true));
    };
    f["replace"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'replace'", {"old", "new", "count"});
      if (!r.has(0) || !r.has(1)) throw Failure("filter 'replace' needs old and new");
      if (r.has(2) && !r.get(2).is_none() && !r.get(2).is_int()) throw Failure("filter 'replace': count must be an int");
      int64_t count = r.has(2) && !r.get(2).is_none() ? r.get(2).as_int() : -1;
      return Value::string(py_replace(soft_str(v), soft_str(r.get(0)), soft_str(r.get(1)), count));
    };
    f["length"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'length'", {});
      return Value::integer(length(v));
    };
    f["count"] = f["length"];
    f["string"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'string'", {});
      return Value::string(soft_str(v));
    };
    f["safe"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'safe'", {});
      return v.is_string() ? v : Value::string(soft_str(v));
    };
    f["escape"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'escape'", {});
      return Value::string(html_escape(soft_str(v)));
    };
    f["e"] = f["escape"];
    f["forceescape"] = f["escape"];
    f["default"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'default'", {"default_value", "boolean"});
      bool boolean = r.has(1) && truthy(r.get(1));
      if (v.is_undefined() || (boolean && !truthy(v))) return r.get_or(0, Value::string(""));
      return v;
    };
    f["d"] = f["default"];
    f["first"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'first'", {});
      List items = iterate(v);
      return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
    };
    f["last"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'last'", {});
      List items = iterate(v);
      return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
    };
    f["list"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'list'", {});
      return Value::list(iterate(v));
    };
    f["reverse"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'reverse'", {});
      if (v.is_string()) return slice(v, Value::none(), Value::none(), Value::integer(-1));
      List items = iterate(v);
      std::reverse(items.begin(), items.end());
      return Value::list(std::move(items));
    };
    f["items"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'items'", {});
      if (v.is_undefined()) return Value::list({});
      if (!v.is_dict()) throw Failure("filter 'items' can only be used on a mapping, got " + type_name(v));
      List out;
      for (const auto& [k, e] : v.as_dict().items) out.push_back(Value::list({k, e}, true));
      return Value::list(std::move(out));
    };
    f["join"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'join'", {"d", "attribute"});
      std::string sep = r.has(0) ? soft_str(r.get(0)) : "";
      std::string out;
      bool first = true;
      for (const Value& item : iterate(v)) {
        Value x = r.has(1) && !r.get(1).is_none() ? attribute_path(item, soft_str(r.get(1))) : item;
        out += (first ? "" : sep) + soft_str(x);
        first = false;
      }
      return Value::string(out);
    };
    f["int"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'int'", {"default", "base"});
      Value fallback = r.get_or(0, Value::integer(0));
      if (v.is_int()) return Value::integer(v.as_int());
      if (v.is_float()) return std::isfinite(v.as_double()) ? Value::integer(static_cast<int64_t>(v.as_double())) : fallback;
      if (v.is_string()) {
        if (r.has(1) && !r.get(1).is_int()) throw Failure("filter 'int': base must be an int");
        int base = r.has(1) ? static_cast<int>(r.get(1).as_int()) : 10;
        if (auto i = parse_python_int(v.as_string(), base)) return Value::integer(*i);
        if (auto d = parse_python_float(v.as_string()); d && std::isfinite(*d)) return Value::integer(static_cast<int64_t>(*d));
      }
      return fallback;
    };
    f["float"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'float'", {"default"});
      if (v.is_number()) return Value::floating(v.as_double());
      if (v.is_string())
        if (auto d = parse_python_float(v.as_string())) return Value::floating(*d);
      return r.get_or(0, Value::floating(0.0));
    };
    f["abs"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'abs'", {});
      if (v.is_int()) return Value::integer(std::abs(v.as_int()));
      if (v.is_float()) return Value::floating(std::fabs(v.as_double()));
      throw Failure("bad operand type for abs(): '" + type_name(v) + "'");
    };
    f["round"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'round'", {"precision", "method"});
      if (r.has(0) && !r.get(0).is_int()) throw Failure("filter 'round': precision must be an int");
      int64_t precision = r.has(0) ? r.get(0).as_int() : 0;
      std::string method = r.has(1) ? soft_str(r.get(1)) : "common";
      if (!v.is_number()) throw Failure("filter 'round' needs a number, got " + type_name(v));
      double scale = std::pow(10.0, static_cast<double>(precision)), x = v.as_double() * scale;
      double rounded = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
      if (method != "common" && method != "ceil" && method != "floor")
        throw Failure("filter 'round': method must be 'common', 'ceil' or 'floor'");
      if (method == "common" && v.is_int()) return Value::integer(v.as_int());
      return Value::floating(rounded / scale);
    };
    f["tojson"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'tojson'", {"ensure_ascii", "indent", "separators", "sort_keys"});
      return Value::string(to_json(v, r.has(0) && truthy(r.get(0)), r.get_or(1, Value::none()),
                                   r.get_or(2, Value::none()), r.has(3) && truthy(r.get(3))));
    };
    f["select"] = [](const Value& v, const CallArgs& a) { return select(v, a, false, true, "filter 'select'"); };
    f["reject"] = [](const Value& v, const CallArgs& a) { return select(v, a, false, false, "filter 'reject'"); };
    f["selectattr"] = [](const Value& v, const CallArgs& a) { return select(v, a, true, true, "filter 'selectattr'"); };
    f["rejectattr"] = [](const Value& v, const CallArgs& a) { return select(v, a, true, false, "filter 'rejectattr'"); };
    f["map"] = map_filter;
    f["sort"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'sort'", {"reverse", "case_sensitive", "attribute"});
      bool reverse = r.has(0) && truthy(r.get(0)), cs = r.has(1) && truthy(r.get(1));
      std::string attribute = r.has(2) && !r.get(2).is_none() ? soft_str(r.get(2)) : "";
      List items = iterate(v);
      std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
        int c = compare(sort_key(a, attribute, cs), sort_key(b, attribute, cs));
        return reverse ? c > 0 : c < 0;
      });
      return Value::list(std::move(items));
    };
    f["unique"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'unique'", {"case_sensitive", "attribute"});
      bool cs = r.has(0) && truthy(r.get(0));
      std::string attribute = r.has(1) && !r.get(1).is_none() ? soft_str(r.get(1)) : "";
      List out, seen;
      for (const Value& item : iterate(v)) {
        Value key = sort_key(item, attribute, cs);
        if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) continue;
        seen.push_back(key);
        out.push_back(item);
      }
      return Value::list(std::move(out));
    };
    auto extreme = [](bool want_max) {
      return [want_max](const Value& v, const CallArgs& args) {
        ArgReader r(args, want_max ? "filter 'max'" : "filter 'min'", {"case_sensitive", "attribute"});
        bool cs = r.has(0) && truthy(r.get(0));
        std::string attribute = r.has(1) && !r.get(1).is_none() ? soft_str(r.get(1)) : "";
        List items = iterate(v);
        if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
        Value best = items[0];
        for (size_t i = 1; i < items.size(); ++i) {
          int c = compare(sort_key(items[i], attribute, cs), sort_key(best, attribute, cs));
          if (want_max ? c > 0 : c < 0) best = items[i];
        }
        return best;
      };
    };
    f["max"] = extreme(true);
    f["min"] = extreme(false);
    f["sum"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'sum'", {"attribute", "start"});
      Value total = r.get_or(1, Value::integer(0));
      for (const Value& item : iterate(v))
        total = number_sum(total, r.has(0) && !r.get(0).is_none() ? attribute_path(item, soft_str(r.get(0))) : item);
      return total;
    };
    f["indent"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'indent'", {"width", "first", "blank"});
      Value width = r.get_or(0, Value::integer(4));
      if (!width.is_string() && !width.is_int()) throw Failure("filter 'indent': width must be an int or a str");
      std::string pad = width.is_string() ? width.as_string() : std::string(static_cast<size_t>(std::max<int64_t>(0, width.as_int())), ' ');
      bool first = r.has(1) && truthy(r.get(1)), blank = r.has(2) && truthy(r.get(2));
      std::string s = soft_str(v) + "\n";
      CallArgs no_args;
      List lines = get_attr(Value::string(s), "splitlines").as_callable().fn(no_args).as_list();
      std::string out;
      for (size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i].as_string();
        if (i == 0) out += line;
        else out += "\n" + ((blank || !line.empty()) ? pad + line : line);
      }
      return Value::string(first ? pad + out : out);
    };
    f["dictsort"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'dictsort'", {"case_sensitive", "by", "reverse"});
      if (!v.is_dict()) throw Failure("filter 'dictsort' needs a mapping, got " + type_name(v));
      bool cs = r.has(0) && truthy(r.get(0)), reverse = r.has(2) && truthy(r.get(2));
      std::string by = r.has(1) ? soft_str(r.get(1)) : "key";
      if (by != "key" && by != "value") throw Failure("You can only sort by either 'key' or 'value'");
      size_t at = by == "key" ? 0 : 1;
      List pairs;
      for (const auto& [k, e] : v.as_dict().items) pairs.push_back(Value::list({k, e}, true));
      std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
        int c = compare(sort_key(a.as_list()[at], "", cs), sort_key(b.as_list()[at], "", cs));
        return reverse ? c > 0 : c < 0;
      });
      return Value::list(std::move(pairs));
    };
    f["wordcount"] = [](const Value& v, const CallArgs& args) {
      ArgReader r(args, "filter 'wordcount'", {});
      return Value::integer(static_cast<int64_t>(py_split(soft_str(v), std::nullopt, -1, false).size()));
    };
    return f;
  }();
  return table;
}

// ---- tests ----
using Test = std::function<bool(const Value&, const CallArgs&)>;

const Value& one_arg(const CallArgs& args, const std::string& test) {
  if (args.positional.size() != 1 || !args.keywords.empty()) throw Failure("test '" + test + "' takes one argument");
  return args.positional[0];
}

const std::map<std::string, Test>& tests() {
  static const std::map<std::string, Test> table = [] {
    std::map<std::string, Test> t;
    auto unary = [](bool (*fn)(const Value&)) {
      return [fn](const Value& v, const CallArgs& args) {
        if (!args.positional.empty() || !args.keywords.empty()) throw Failure("this test takes no arguments");
        return fn(v);
      };
    };
    t["defined"] = unary([](const Value& v) { return !v.is_undefined(); });
    t["undefined"] = unary([](const Value& v) { return v.is_undefined(); });
    t["none"] = unary([](const Value& v) { return v.is_none(); });
    t["boolean"] = unary([](const Value& v) { return v.is_bool(); });
    t["true"] = unary([](const Value& v) { return v.is_bool() && v.as_bool(); });
    t["false"] = unary([](const Value& v) { return v.is_bool() && !v.as_bool(); });
    t["integer"] = unary([](const Value& v) { return v.kind() == Value::Kind::integer; });
    t["float"] = unary([](const Value& v) { return v.is_float(); });
    t["number"] = unary([](const Value& v) { return v.is_number(); });
    t["string"] = unary([](const Value& v) { return v.is_string(); });
    t["mapping"] = unary([](const Value& v) { return v.is_dict(); });
    t["iterable"] = unary([](const Value& v) { return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict(); });
    t["sequence"] = unary([](const Value& v) { return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict(); });
    t["callable"] = unary([](const Value& v) { return v.is_callable(); });
    t["escaped"] = unary([](const Value&) { return false; });
    t["lower"] = unary([](const Value& v) {
      std::string s = to_str(v);
      return py_lower(s) == s && py_upper(s) != s;
    });
    t["upper"] = unary([](const Value& v) {
      std::string s = to_str(v);
      return py_upper(s) == s && py_lower(s) != s;
    });
    auto int_test = [](bool odd) {
      return [odd](const Value& v, const CallArgs& args) {
        if (!args.positional.empty()) throw Failure("this test takes no arguments");
        if (!v.is_number()) throw Failure("'" + type_name(v) + "' is not a number");
        int64_t i = v.is_int() ? v.as_int() : static_cast<int64_t>(v.as_double());
        return ((i % 2) != 0) == odd;
      };
    };
    t["odd"] = int_test(true);
    t["even"] = int_test(false);
    t["divisibleby"] = [](const Value& v, const CallArgs& args) {
      const Value& n = one_arg(args, "divisibleby");
      if (!v.is_int() || !n.is_int() || n.as_int() == 0) throw Failure("test 'divisibleby' needs nonzero integers");
      return v.as_int() % n.as_int() == 0;
    };
    t["sameas"] = [](const Value& v, const CallArgs& args) {
      const Value& other = one_arg(args, "sameas");
      if (v.kind() != other.kind()) return false;
      if (v.is_none() || v.is_bool()) return equals(v, other);
      return false;
    };
    auto cmp = [](std::function<bool(const Value&, const Value&)> fn, const char* name) {
      return [fn, name](const Value& v, const CallArgs& args) { return fn(v, one_arg(args, name)); };
    };
    t["eq"] = t["equalto"] = t["=="] = cmp([](const Value& a, const Value& b) { return equals(a, b); }, "eq");
    t["ne"] = t["!="] = cmp([](const Value& a, const Value& b) { return !equals(a, b); }, "ne");
    t["lt"] = t["lessthan"] = t["<"] = cmp([](const Value& a, const Value& b) { return compare(a, b) < 0; }, "lt");
    t["le"] = t["<="] = cmp([](const Value& a, const Value& b) { return compare(a, b) <= 0; }, "le");
    t["gt"] = t["greaterthan"] = t[">"] = cmp([](const Value& a, const Value& b) { return compare(a, b) > 0; }, "gt");
    t["ge"] = t[">="] = cmp([](const Value& a, const Value& b) { return compare(a, b) >= 0; }, "ge");
    t["in"] = [](const Value& v, const CallArgs& args) {
      const Value& seq = one_arg(args, "in");
      if (seq.is_string()) {
        if (!v.is_string()) throw Failure("'in <string>' requires string as left operand, not " + type_name(v));
        return seq.as_string().find(v.as_string()) != std::string::npos;
      }
      if (seq.is_dict()) return seq.as_dict().find(v) != nullptr;
      for (const Value& item : iterate(seq))
        if (equals(item, v)) return true;
      return false;
    };
    t["filter"] = [](const Value& v, const CallArgs&) { return v.is_string() && has_filter(v.as_string()); };
    t["test"] = [](const Value& v, const CallArgs&) { return v.is_string() && has_test(v.as_string()); };
    return t;
  }();
  return table;
}

}  // namespace

std::string to_json(const Value& v, bool ensure_ascii, const Value& indent, const Value& separators, bool sort_keys) {
  JsonWriter w;
  w.ensure_ascii = ensure_ascii;
  w.sort_keys = sort_keys;
  if (indent.is_string()) w.indent = indent.as_string();
  else if (indent.is_int()) w.indent = std::string(static_cast<size_t>(std::max<int64_t>(0, indent.as_int())), ' ');
  else if (!indent.is_none()) throw Failure("tojson: indent must be None, an int or a str");
  w.item_sep = w.indent ? "," : ", ";
  w.key_sep = ": ";
  if (!separators.is_none()) {
    if (!separators.is_list() || separators.as_list().size() != 2 || !separators.as_list()[0].is_string() ||
        !separators.as_list()[1].is_string())
      throw Failure("tojson: separators must be a pair of strings");
    w.item_sep = separators.as_list()[0].as_string();
    w.key_sep = separators.as_list()[1].as_string();
  }
  std::string out;
  w.write(v, 0, out);
  return out;
}

bool has_filter(const std::string& name) { return filters().count(name) != 0; }
bool has_test(const std::string& name) { return tests().count(name) != 0; }

Value apply_filter(const std::string& name, const Value& input, const CallArgs& args) {
  return filters().at(name)(input, args);
}

bool apply_test(const std::string& name, const Value& input, const CallArgs& args) {
  return tests().at(name)(input, args);
}

}  // namespace r1::jinja
