// Jinja renderer: statement execution and expression evaluation (see jinja_renderer.hpp).
#include "io/jinja/jinja_renderer.hpp"

#include <cmath>
#include <map>

#include "io/jinja/jinja_filters.hpp"
#include "io/jinja/jinja_methods.hpp"

namespace r1::jinja {

namespace {

enum class Flow { normal, break_loop, continue_loop };

struct Frame {
  std::vector<std::pair<std::string, Value>> vars;
  const Frame* parent = nullptr;

  const Value* find(const std::string& name) const {
    for (const Frame* f = this; f; f = f->parent)
      for (auto it = f->vars.rbegin(); it != f->vars.rend(); ++it)
        if (it->first == name) return &it->second;
    return nullptr;
  }
  void set(const std::string& name, Value v) {
    for (auto& [k, old] : vars)
      if (k == name) {
        old = std::move(v);
        return;
      }
    vars.emplace_back(name, std::move(v));
  }
};

[[noreturn]] void unsupported_operands(const char* op, const Value& a, const Value& b) {
  auto short_type = [](const Value& v) {
    std::string t = type_name(v);
    return t.substr(0, t.find(' '));
  };
  throw Failure(std::string("unsupported operand type(s) for ") + op + ": '" + short_type(a) + "' and '" +
                short_type(b) + "'");
}

Value repeat(const Value& seq, int64_t times) {
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < times; ++i) out += seq.as_string();
    return Value::string(out);
  }
  List out;
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), seq.as_list().begin(), seq.as_list().end());
  return Value::list(std::move(out), seq.kind() == Value::Kind::tuple);
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  fail_if_undefined(a);
  fail_if_undefined(b);
  if (op == "+") {
    if (a.is_string() && b.is_string()) return Value::string(a.as_string() + b.as_string());
    if (a.is_list() && b.is_list() && a.kind() == b.kind()) {
      List out = a.as_list();
      out.insert(out.end(), b.as_list().begin(), b.as_list().end());
      return Value::list(std::move(out), a.kind() == Value::Kind::tuple);
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_list()) && b.is_int()) return repeat(a, b.as_int());
    if (a.is_int() && (b.is_string() || b.is_list())) return repeat(b, a.as_int());
  }
  if (!a.is_number() || !b.is_number()) unsupported_operands(op.c_str(), a, b);
  bool ints = a.is_int() && b.is_int();
  if (op == "+") return ints ? Value::integer(a.as_int() + b.as_int()) : Value::floating(a.as_double() + b.as_double());
  if (op == "-") return ints ? Value::integer(a.as_int() - b.as_int()) : Value::floating(a.as_double() - b.as_double());
  if (op == "*") return ints ? Value::integer(a.as_int() * b.as_int()) : Value::floating(a.as_double() * b.as_double());
  if (op == "/") {
    if (b.as_double() == 0) throw Failure("division by zero");
    return Value::floating(a.as_double() / b.as_double());
  }
  if (op == "//" || op == "%") {
    if (ints) {
      if (b.as_int() == 0) throw Failure("integer division or modulo by zero");
      int64_t q = a.as_int() / b.as_int(), r = a.as_int() % b.as_int();
      if (r != 0 && ((r < 0) != (b.as_int() < 0))) {
        --q;
        r += b.as_int();
      }
      return Value::integer(op == "//" ? q : r);
    }
    double x = a.as_double(), y = b.as_double();
    if (y == 0) throw Failure("float floor division or modulo by zero");
    // Python's float_floor_div / float_rem.
    double m = std::fmod(x, y), div = (x - m) / y;
    if (m != 0 && ((m < 0) != (y < 0))) {
      m += y;
      div -= 1.0;
    }
    double floor_div = std::floor(div);
    if (div - floor_div > 0.5) floor_div += 1.0;
    return Value::floating(op == "//" ? floor_div : m);
  }
  // "**"
  if (ints && b.as_int() >= 0) {
    int64_t result = 1;
    for (int64_t i = 0; i < b.as_int(); ++i) result *= a.as_int();
    return Value::integer(result);
  }
  return Value::floating(std::pow(a.as_double(), b.as_double()));
}

bool contains(const Value& container, const Value& item) {
  fail_if_undefined(container);
  CallArgs args;
  args.positional.push_back(container);
  return apply_test("in", item, args);
}

class Renderer {
 public:
  Renderer(const nlohmann::ordered_json& context, const std::tm& now) : now_(now) {
    if (!context.is_object()) throw Failure("the template context must be a JSON object");
    for (const auto& [k, v] : context.items()) context_.set(k, Value::from_json(v));
    install_globals();
  }

  std::string run(const Body& body) {
    std::string out;
    render(body, root_, out);
    return out;
  }

 private:
  void install_globals() {
    globals_["raise_exception"] = Value::callable("raise_exception", [](CallArgs& args) -> Value {
      ArgReader r(args, "raise_exception()", {"message"});
      throw RaisedError(to_str(r.get(0)));
    });
    globals_["strftime_now"] = Value::callable("strftime_now", [this](CallArgs& args) {
      ArgReader r(args, "strftime_now()", {"format"});
      if (!r.get(0).is_string()) throw Failure("strftime_now() needs a format string");
      char buf[512];
      size_t n = std::strftime(buf, sizeof buf, r.get(0).as_string().c_str(), &now_);
      if (n == 0 && !r.get(0).as_string().empty()) throw Failure("strftime_now(): format too long or empty result");
      return Value::string(std::string(buf, n));
    });
    auto make_dict = [](CallArgs& args, const char* what) {
      if (args.positional.size() > 1) throw Failure(std::string(what) + " takes at most one positional argument");
      Dict d;
      if (!args.positional.empty()) {
        const Value& src = args.positional[0];
        if (!src.is_dict()) throw Failure(std::string(what) + ": the positional argument must be a mapping");
        d = src.as_dict();
      }
      for (auto& [k, v] : args.keywords) d.set(Value::string(k), v);
      return d;
    };
    globals_["namespace"] = Value::callable("namespace", [make_dict](CallArgs& args) {
      auto ns = std::make_shared<Namespace>();
      ns->attrs = make_dict(args, "namespace()");
      for (const auto& [k, v] : ns->attrs.items)
        if (k.is_string() && !k.as_string().empty() && k.as_string()[0] == '_')
          throw Failure("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '" +
                        k.as_string() + "'");
      return Value::name_space(ns);
    });
    globals_["dict"] = Value::callable("dict", [make_dict](CallArgs& args) { return Value::dict(make_dict(args, "dict()")); });
    globals_["range"] = Value::callable("range", [](CallArgs& args) {
      if (!args.keywords.empty() || args.positional.empty() || args.positional.size() > 3)
        throw Failure("range() takes 1 to 3 positional arguments");
      for (const Value& v : args.positional)
        if (!v.is_int()) throw Failure("range(): '" + type_name(v) + "' cannot be interpreted as an integer");
      int64_t start = 0, stop, step = 1;
      if (args.positional.size() == 1) stop = args.positional[0].as_int();
      else {
        start = args.positional[0].as_int();
        stop = args.positional[1].as_int();
        if (args.positional.size() == 3) step = args.positional[2].as_int();
      }
      if (step == 0) throw Failure("range() arg 3 must not be zero");
      List out;
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (out.size() >= 100000) throw Failure("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        out.push_back(Value::integer(i));
      }
      return Value::list(std::move(out));
    });
  }

  Value lookup(const std::string& name, const Frame& frame) const {
    if (const Value* v = frame.find(name)) return *v;
    if (const Value* v = context_.find(name)) return *v;
    auto it = globals_.find(name);
    if (it != globals_.end()) return it->second;
    return Value::undefined("'" + name + "' is undefined");
  }

  // ---- statements ----
  Flow render(const Body& body, Frame& frame, std::string& out) {
    for (const StmtPtr& s : body) {
      Flow flow;
      try {
        flow = render(*s, frame, out);
      } catch (Failure& f) {
        if (!f.line) f.line = s->line;
        throw;
      }
      if (flow != Flow::normal) return flow;
    }
    return Flow::normal;
  }

  void assign(const Target& target, const Value& value, Frame& frame) {
    if (!target.attribute.empty()) {
      Value ns = lookup(target.names[0], frame);
      if (!ns.is_namespace()) throw Failure("cannot assign attribute on non-namespace object '" + target.names[0] + "'");
      if (target.attribute[0] == '_')
        throw Failure("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '" +
                      target.attribute + "'");
      ns.as_namespace().attrs.set(Value::string(target.attribute), value);
      return;
    }
    if (!target.tuple) {
      frame.set(target.names[0], value);
      return;
    }
    List items = iterate(value);
    if (items.size() != target.names.size())
      throw Failure(items.size() > target.names.size()
                        ? "too many values to unpack (expected " + std::to_string(target.names.size()) + ")"
                        : "not enough values to unpack (expected " + std::to_string(target.names.size()) + ", got " +
                              std::to_string(items.size()) + ")");
    for (size_t i = 0; i < items.size(); ++i) frame.set(target.names[i], items[i]);
  }

  Value apply_filters(const std::vector<ExprPtr>& filters, Value v, Frame& frame) {
    for (const ExprPtr& f : filters) {
      CallArgs args = eval_args(*f, frame);
      try {
        v = apply_filter(f->name, v, args);
      } catch (Failure& e) {
        if (!e.line) e.line = f->line;
        throw;
      }
    }
    return v;
  }

  Flow render(const Stmt& s, Frame& frame, std::string& out) {
    switch (s.kind) {
      case Stmt::Kind::text: out += s.text; return Flow::normal;
      case Stmt::Kind::output: out += to_str(eval(*s.expr, frame)); return Flow::normal;
      case Stmt::Kind::if_chain:
        for (const auto& [condition, body] : s.branches)
          if (truthy(eval(*condition, frame))) return render(body, frame, out);
        return render(s.else_body, frame, out);
      case Stmt::Kind::for_loop: return render_for(s, frame, out);
      case Stmt::Kind::set: assign(s.target, eval(*s.expr, frame), frame); return Flow::normal;
      case Stmt::Kind::set_block: {
        std::string text;
        Frame inner{{}, &frame};
        render(s.body, inner, text);
        assign(s.target, apply_filters(s.filters, Value::string(text), frame), frame);
        return Flow::normal;
      }
      case Stmt::Kind::filter_block: {
        std::string text;
        Frame inner{{}, &frame};
        render(s.body, inner, text);
        out += to_str(apply_filters(s.filters, Value::string(text), frame));
        return Flow::normal;
      }
      case Stmt::Kind::macro: frame.set(s.name, make_macro(s, s.name, frame)); return Flow::normal;
      case Stmt::Kind::call_block: {
        const Expr& call = *s.expr;
        Value callee = eval(*call.a[0], frame);
        CallArgs args = eval_args(call, frame);
        args.keywords.emplace_back("caller", make_macro(s, "caller", frame));
        out += to_str(invoke(callee, args, call.line));
        return Flow::normal;
      }
      case Stmt::Kind::break_loop: return Flow::break_loop;
      case Stmt::Kind::continue_loop: return Flow::continue_loop;
      case Stmt::Kind::scope: return render(s.body, frame, out);
    }
    return Flow::normal;
  }

  Flow render_for(const Stmt& s, Frame& frame, std::string& out) {
    List items = iterate(eval(*s.expr, frame));
    if (s.condition) {
      List kept;
      for (const Value& item : items) {
        Frame probe{{}, &frame};
        assign(s.target, item, probe);
        if (truthy(eval(*s.condition, probe))) kept.push_back(item);
      }
      items = std::move(kept);
    }
    const int64_t n = static_cast<int64_t>(items.size());
    if (n == 0) {
      Frame inner{{}, &frame};
      render(s.else_body, inner, out);
      return Flow::normal;
    }
    for (int64_t i = 0; i < n; ++i) {
      Frame inner{{}, &frame};
      assign(s.target, items[static_cast<size_t>(i)], inner);
      Dict loop;
      auto put = [&](const char* key, Value v) { loop.items.emplace_back(Value::string(key), std::move(v)); };
      put("index", Value::integer(i + 1));
      put("index0", Value::integer(i));
      put("revindex", Value::integer(n - i));
      put("revindex0", Value::integer(n - i - 1));
      put("first", Value::boolean(i == 0));
      put("last", Value::boolean(i == n - 1));
      put("length", Value::integer(n));
      put("depth", Value::integer(1));
      put("depth0", Value::integer(0));
      put("previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value::undefined("there is no previous item"));
      put("nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value::undefined("there is no next item"));
      put("cycle", Value::callable("loop.cycle", [i](CallArgs& args) {
        if (args.positional.empty()) throw Failure("no items for cycling given");
        return args.positional[static_cast<size_t>(i) % args.positional.size()];
      }));
      inner.set("loop", Value::dict(std::move(loop)));
      Flow flow = render(s.body, inner, out);
      if (flow == Flow::break_loop) break;
    }
    return Flow::normal;
  }

  // A macro (or a call block's caller) as a callable; its body runs in a fresh scope above the defining one.
  Value make_macro(const Stmt& s, const std::string& name, const Frame& defining) {
    const Frame* parent = &defining;
    return Value::callable(name, [this, &s, name, parent](CallArgs& args) {
      Frame scope{{}, parent};
      size_t first_default = s.params.size() - s.defaults.size();
      if (args.positional.size() > s.params.size())
        throw Failure("macro '" + name + "' takes not more than " + std::to_string(s.params.size()) + " argument(s)");
      std::vector<bool> bound(s.params.size(), false);
      for (size_t i = 0; i < args.positional.size(); ++i) {
        scope.set(s.params[i], args.positional[i]);
        bound[i] = true;
      }
      for (auto& [k, v] : args.keywords) {
        size_t i = 0;
        while (i < s.params.size() && s.params[i] != k) ++i;
        if (i < s.params.size()) {
          scope.set(k, v);
          bound[i] = true;
        } else if (k == "caller") {
          scope.set("caller", v);
        } else {
          throw Failure("macro '" + name + "' takes no keyword argument '" + k + "'");
        }
      }
      for (size_t i = 0; i < s.params.size(); ++i) {
        if (bound[i]) continue;
        if (i >= first_default) scope.set(s.params[i], eval(*s.defaults[i - first_default], scope));
        else scope.set(s.params[i], Value::undefined("parameter '" + s.params[i] + "' was not provided"));
      }
      std::string text;
      render(s.body, scope, text);
      return Value::string(text);
    });
  }

  // ---- expressions ----
  CallArgs eval_args(const Expr& e, Frame& frame) {
    CallArgs args;
    for (const ExprPtr& a : e.args) args.positional.push_back(eval(*a, frame));
    for (const auto& [k, a] : e.keywords) args.keywords.emplace_back(k, eval(*a, frame));
    return args;
  }

  Value invoke(const Value& callee, CallArgs& args, int line) {
    fail_if_undefined(callee);
    if (!callee.is_callable()) throw Failure("'" + type_name(callee) + "' is not callable", line);
    return callee.as_callable().fn(args);
  }

  Value eval(const Expr& e, Frame& frame) {
    try {
      return eval_inner(e, frame);
    } catch (Failure& f) {
      if (!f.line) f.line = e.line;
      throw;
    }
  }

  Value eval_inner(const Expr& e, Frame& frame) {
    switch (e.kind) {
      case Expr::Kind::constant: return e.value;
      case Expr::Kind::name: return lookup(e.name, frame);
      case Expr::Kind::attribute: return get_attr(eval(*e.a[0], frame), e.name);
      case Expr::Kind::item: return get_item(eval(*e.a[0], frame), eval(*e.a[1], frame));
      case Expr::Kind::slice: {
        Value obj = eval(*e.a[0], frame);
        auto part = [&](size_t i) { return e.a[i] ? eval(*e.a[i], frame) : Value::none(); };
        return slice(obj, part(1), part(2), part(3));
      }
      case Expr::Kind::call: {
        Value callee = eval(*e.a[0], frame);
        CallArgs args = eval_args(e, frame);
        return invoke(callee, args, e.line);
      }
      case Expr::Kind::filter: {
        Value input = eval(*e.a[0], frame);
        CallArgs args = eval_args(e, frame);
        return apply_filter(e.name, input, args);
      }
      case Expr::Kind::test: {
        Value input = eval(*e.a[0], frame);
        CallArgs args = eval_args(e, frame);
        return Value::boolean(apply_test(e.name, input, args) != e.negated);
      }
      case Expr::Kind::unary: {
        Value v = eval(*e.a[0], frame);
        if (e.name == "not") return Value::boolean(!truthy(v));
        fail_if_undefined(v);
        if (!v.is_number()) throw Failure("bad operand type for unary " + e.name + ": '" + type_name(v) + "'");
        if (e.name == "+") return v.is_int() ? Value::integer(v.as_int()) : v;
        return v.is_int() ? Value::integer(-v.as_int()) : Value::floating(-v.as_double());
      }
      case Expr::Kind::binary: return eval_binary(e, frame);
      case Expr::Kind::conditional:
        if (truthy(eval(*e.a[0], frame))) return eval(*e.a[1], frame);
        return e.a[2] ? eval(*e.a[2], frame) : Value::undefined("the inline if-expression on line " +
                                                                 std::to_string(e.line) + " evaluated to false and no else section was defined.");
      case Expr::Kind::list_literal:
      case Expr::Kind::tuple_literal: {
        List items;
        for (const ExprPtr& a : e.a) items.push_back(eval(*a, frame));
        return Value::list(std::move(items), e.kind == Expr::Kind::tuple_literal);
      }
      case Expr::Kind::dict_literal: {
        Dict d;
        for (size_t i = 0; i + 1 < e.a.size(); i += 2) d.set(eval(*e.a[i], frame), eval(*e.a[i + 1], frame));
        return Value::dict(std::move(d));
      }
    }
    throw Failure("internal: unknown expression");
  }

  Value eval_binary(const Expr& e, Frame& frame) {
    const std::string& op = e.name;
    Value a = eval(*e.a[0], frame);
    if (op == "and") return truthy(a) ? eval(*e.a[1], frame) : a;
    if (op == "or") return truthy(a) ? a : eval(*e.a[1], frame);
    Value b = eval(*e.a[1], frame);
    if (op == "~") return Value::string(to_str(a) + to_str(b));
    if (op == "==") return Value::boolean(equals(a, b));
    if (op == "!=") return Value::boolean(!equals(a, b));
    if (op == "in") return Value::boolean(contains(b, a));
    if (op == "notin") return Value::boolean(!contains(b, a));
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      fail_if_undefined(a);
      fail_if_undefined(b);
      int c = compare(a, b);
      return Value::boolean(op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0);
    }
    return arithmetic(op, a, b);
  }

  std::tm now_;
  struct Context {
    std::map<std::string, Value> values;
    void set(const std::string& k, Value v) { values[k] = std::move(v); }
    const Value* find(const std::string& k) const {
      auto it = values.find(k);
      return it == values.end() ? nullptr : &it->second;
    }
  } context_;
  std::map<std::string, Value> globals_;
  Frame root_;
};

}  // namespace

std::string render_body(const Body& body, const nlohmann::ordered_json& context, const std::tm& now) {
  Renderer renderer(context, now);
  return renderer.run(body);
}

}  // namespace r1::jinja
