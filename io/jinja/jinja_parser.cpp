// Jinja parser: recursive descent over the lexer's tokens with jinja2's precedence (or < and < not < compare <
// + - < ~ < * / // % < ** < unary < filters/tests < postfix) and its statement tags: for/if/set/macro/call/
// filter/break/continue/generation/raw. Every block records its opening line so an unclosed block names it.
#include "io/jinja/jinja_parser.hpp"

#include <initializer_list>

#include "io/jinja/jinja_filters.hpp"

namespace r1::jinja {

namespace {

using TT = Token::Type;

ExprPtr make(Expr::Kind kind, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  return e;
}

struct OpenBlock {
  std::string tag;
  int line;
};

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

  Body parse_all() {
    Body body = subparse({});
    return body;
  }

 private:
  const Token& cur() const { return t_[i_]; }
  const Token& look() const { return t_[i_ + 1 < t_.size() ? i_ + 1 : i_]; }
  const Token& next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  bool is_op(const char* op) const { return cur().type == TT::op && cur().value == op; }
  bool is_name(const char* name) const { return cur().type == TT::name && cur().value == name; }
  [[noreturn]] void fail(const std::string& msg) const { throw Failure(msg, cur().line); }
  [[noreturn]] void fail(const std::string& msg, int line) const { throw Failure(msg, line); }

  void expect_op(const char* op) {
    if (!is_op(op)) fail(std::string("expected '") + op + "', got " + describe(cur()));
    next();
  }
  std::string expect_name() {
    if (cur().type != TT::name) fail("expected a name, got " + describe(cur()));
    return next().value;
  }
  void expect_block_end() {
    if (cur().type != TT::block_end) fail("expected end of statement block, got " + describe(cur()));
    next();
  }

  // Statements until a block tag whose name is in `end_names`; leaves the current token at that name.
  Body subparse(std::initializer_list<const char*> end_names) {
    Body body;
    while (true) {
      const Token& tok = cur();
      if (tok.type == TT::end) {
        if (end_names.size() == 0) return body;
        const OpenBlock& open = open_.back();
        fail("unclosed {% " + open.tag + " %} opened at line " + std::to_string(open.line));
      }
      if (tok.type == TT::text) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::text;
        s->line = tok.line;
        s->text = tok.value;
        body.push_back(std::move(s));
        next();
      } else if (tok.type == TT::variable_begin) {
        next();
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::output;
        s->line = tok.line;
        s->expr = parse_tuple(false, true, {}, false);
        if (cur().type != TT::variable_end) fail("expected end of print statement, got " + describe(cur()));
        next();
        body.push_back(std::move(s));
      } else if (tok.type == TT::block_begin) {
        next();
        if (cur().type == TT::name)
          for (const char* end : end_names)
            if (cur().value == end) return body;
        body.push_back(parse_statement());
      } else {
        fail("unexpected " + describe(tok));
      }
    }
  }

  StmtPtr parse_statement() {
    if (cur().type != TT::name) fail("tag name expected, got " + describe(cur()));
    const std::string tag = cur().value;
    int line = cur().line;
    auto s = std::make_unique<Stmt>();
    s->line = line;
    if (tag == "for") return parse_for(std::move(s));
    if (tag == "if") return parse_if(std::move(s));
    if (tag == "set") return parse_set(std::move(s));
    if (tag == "macro") return parse_macro(std::move(s));
    if (tag == "call") return parse_call_block(std::move(s));
    if (tag == "filter") {
      next();
      s->kind = Stmt::Kind::filter_block;
      parse_filter_chain(s->filters, true);
      expect_block_end();
      s->body = block_body("filter", line, {"endfilter"});
      return s;
    }
    if (tag == "break" || tag == "continue") {
      next();
      if (loop_depth_ == 0) fail("'" + tag + "' outside of a loop", line);
      s->kind = tag == "break" ? Stmt::Kind::break_loop : Stmt::Kind::continue_loop;
      expect_block_end();
      return s;
    }
    if (tag == "generation") {
      next();
      expect_block_end();
      s->kind = Stmt::Kind::scope;
      s->body = block_body("generation", line, {"endgeneration"});
      return s;
    }
    for (const char* unsupported : {"include", "import", "from", "extends", "block", "with", "autoescape", "do"})
      if (tag == unsupported) fail("unsupported tag '" + tag + "'", line);
    if (!open_.empty()) {
      const OpenBlock& open = open_.back();
      fail("unexpected {% " + tag + " %}; the innermost open block is {% " + open.tag + " %} opened at line " +
           std::to_string(open.line), line);
    }
    fail("unknown tag '" + tag + "'", line);
  }

  // Parses statements up to the end tag, consumes `{% endX %}`.
  Body block_body(const std::string& tag, int line, std::initializer_list<const char*> end_names) {
    open_.push_back({tag, line});
    Body body = subparse(end_names);
    open_.pop_back();
    next();
    expect_block_end();
    return body;
  }

  Target parse_target(bool with_namespace) {
    Target target;
    if (with_namespace && cur().type == TT::name && look().type == TT::op && look().value == ".") {
      target.names.push_back(next().value);
      next();
      target.attribute = expect_name();
      return target;
    }
    bool parens = is_op("(");
    if (parens) next();
    while (true) {
      target.names.push_back(expect_name());
      if (!is_op(",")) break;
      target.tuple = true;
      next();
      if (cur().type != TT::name) break;
    }
    if (parens) {
      target.tuple = true;
      expect_op(")");
    }
    return target;
  }

  StmtPtr parse_for(StmtPtr s) {
    int line = next().line;
    s->kind = Stmt::Kind::for_loop;
    s->target = parse_target(false);
    if (!is_name("in")) fail("expected 'in', got " + describe(cur()));
    next();
    s->expr = parse_tuple(false, false, {"recursive"}, false);
    if (is_name("if")) {
      next();
      s->condition = parse_expression();
    }
    if (is_name("recursive")) fail("recursive for loops are not supported");
    expect_block_end();
    open_.push_back({"for", line});
    ++loop_depth_;
    s->body = subparse({"endfor", "else"});
    --loop_depth_;
    if (next().value == "else") {
      expect_block_end();
      s->else_body = subparse({"endfor"});
      next();
    }
    open_.pop_back();
    expect_block_end();
    return s;
  }

  StmtPtr parse_if(StmtPtr s) {
    int line = next().line;
    s->kind = Stmt::Kind::if_chain;
    open_.push_back({"if", line});
    ExprPtr condition = parse_tuple(false, false, {}, false);
    while (true) {
      expect_block_end();
      Body body = subparse({"elif", "else", "endif"});
      s->branches.emplace_back(std::move(condition), std::move(body));
      std::string tag = next().value;
      if (tag == "elif") {
        condition = parse_tuple(false, false, {}, false);
        continue;
      }
      if (tag == "else") {
        expect_block_end();
        s->else_body = subparse({"endif"});
        next();
      }
      break;
    }
    open_.pop_back();
    expect_block_end();
    return s;
  }

  StmtPtr parse_set(StmtPtr s) {
    int line = next().line;
    s->target = parse_target(true);
    if (is_op("=")) {
      next();
      s->kind = Stmt::Kind::set;
      s->expr = parse_tuple(false, true, {}, false);
      expect_block_end();
      return s;
    }
    s->kind = Stmt::Kind::set_block;
    if (!s->target.attribute.empty() || s->target.tuple) fail("a block {% set %} takes a single name", line);
    if (is_op("|")) parse_filter_chain(s->filters, false);
    expect_block_end();
    s->body = block_body("set", line, {"endset"});
    return s;
  }

  void parse_params(std::vector<std::string>& params, std::vector<ExprPtr>& defaults) {
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      if (is_op(")")) break;
      params.push_back(expect_name());
      if (is_op("=")) {
        next();
        defaults.push_back(parse_expression());
      } else if (!defaults.empty()) {
        fail("non-default argument follows default argument");
      }
    }
    next();
  }

  StmtPtr parse_macro(StmtPtr s) {
    int line = next().line;
    s->kind = Stmt::Kind::macro;
    s->name = expect_name();
    parse_params(s->params, s->defaults);
    expect_block_end();
    s->body = block_body("macro", line, {"endmacro"});
    return s;
  }

  StmtPtr parse_call_block(StmtPtr s) {
    int line = next().line;
    s->kind = Stmt::Kind::call_block;
    if (is_op("(")) parse_params(s->params, s->defaults);
    s->expr = parse_expression();
    if (s->expr->kind != Expr::Kind::call) fail("expected a call in {% call %}", line);
    expect_block_end();
    s->body = block_body("call", line, {"endcall"});
    return s;
  }

  // `| f(args) | g` (or `f | g` after {% filter %}); each filter's a[0] stays null.
  void parse_filter_chain(std::vector<ExprPtr>& out, bool start_inline) {
    bool first = true;
    while (is_op("|") || (first && start_inline)) {
      if (!(first && start_inline)) next();
      first = false;
      out.push_back(parse_filter(nullptr));
    }
  }

  // ---- expressions ----
  bool tuple_end(std::initializer_list<const char*> extra_end) const {
    if (cur().type == TT::variable_end || cur().type == TT::block_end || is_op(")")) return true;
    for (const char* e : extra_end)
      if (is_name(e)) return true;
    return false;
  }

  ExprPtr parse_tuple(bool simplified, bool with_condexpr, std::initializer_list<const char*> extra_end,
                      bool explicit_parentheses) {
    int line = cur().line;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (tuple_end(extra_end)) break;
      items.push_back(simplified ? parse_primary() : with_condexpr ? parse_expression() : parse_or());
      if (is_op(",")) is_tuple = true;
      else break;
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parentheses) fail("expected an expression, got " + describe(cur()));
    }
    ExprPtr e = make(Expr::Kind::tuple_literal, line);
    e->a = std::move(items);
    return e;
  }

  ExprPtr parse_expression() {
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      int line = next().line;
      ExprPtr cond = make(Expr::Kind::conditional, line);
      ExprPtr test = parse_or();
      ExprPtr otherwise;
      if (is_name("else")) {
        next();
        otherwise = parse_expression();
      }
      cond->a.push_back(std::move(test));
      cond->a.push_back(std::move(expr));
      cond->a.push_back(std::move(otherwise));
      expr = std::move(cond);
    }
    return expr;
  }

  ExprPtr binary(const std::string& op, ExprPtr l, ExprPtr r, int line) {
    ExprPtr e = make(Expr::Kind::binary, line);
    e->name = op;
    e->a.push_back(std::move(l));
    e->a.push_back(std::move(r));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr l = parse_and();
    while (is_name("or")) {
      int line = next().line;
      l = binary("or", std::move(l), parse_and(), line);
    }
    return l;
  }

  ExprPtr parse_and() {
    ExprPtr l = parse_not();
    while (is_name("and")) {
      int line = next().line;
      l = binary("and", std::move(l), parse_not(), line);
    }
    return l;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      int line = next().line;
      ExprPtr e = make(Expr::Kind::unary, line);
      e->name = "not";
      e->a.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    int line = cur().line;
    ExprPtr l = parse_math1();
    ExprPtr result;
    while (true) {
      std::string op;
      if (cur().type == TT::op && (cur().value == "==" || cur().value == "!=" || cur().value == "<" ||
                                   cur().value == "<=" || cur().value == ">" || cur().value == ">=")) {
        op = next().value;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && look().type == TT::name && look().value == "in") {
        next();
        next();
        op = "notin";
      } else {
        break;
      }
      ExprPtr r = parse_math1();
      // jinja2 reads a < b < c as (a < b) and (b < c); chat templates do not chain, so chains are refused.
      if (!result) {
        result = binary(op, std::move(l), std::move(r), line);
      } else {
        fail("chained comparisons are not supported");
      }
    }
    return result ? std::move(result) : std::move(l);
  }

  ExprPtr parse_math1() {
    ExprPtr l = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& op = next();
      l = binary(op.value, std::move(l), parse_concat(), op.line);
    }
    return l;
  }

  ExprPtr parse_concat() {
    ExprPtr l = parse_math2();
    while (is_op("~")) {
      int line = next().line;
      l = binary("~", std::move(l), parse_math2(), line);
    }
    return l;
  }

  ExprPtr parse_math2() {
    ExprPtr l = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& op = next();
      l = binary(op.value, std::move(l), parse_pow(), op.line);
    }
    return l;
  }

  ExprPtr parse_pow() {
    ExprPtr l = parse_unary(true);
    while (is_op("**")) {
      int line = next().line;
      l = binary("**", std::move(l), parse_unary(true), line);
    }
    return l;
  }

  ExprPtr parse_unary(bool with_filter) {
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& op = next();
      node = make(Expr::Kind::unary, op.line);
      node->name = op.value;
      node->a.push_back(parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& tok = cur();
    int line = tok.line;
    if (tok.type == TT::name) {
      next();
      ExprPtr e = make(Expr::Kind::constant, line);
      if (tok.value == "true" || tok.value == "True") e->value = Value::boolean(true);
      else if (tok.value == "false" || tok.value == "False") e->value = Value::boolean(false);
      else if (tok.value == "none" || tok.value == "None") e->value = Value::none();
      else {
        e->kind = Expr::Kind::name;
        e->name = tok.value;
      }
      return e;
    }
    if (tok.type == TT::string) {
      std::string s;
      while (cur().type == TT::string) s += next().value;
      ExprPtr e = make(Expr::Kind::constant, line);
      e->value = Value::string(std::move(s));
      return e;
    }
    if (tok.type == TT::integer || tok.type == TT::floating) {
      next();
      ExprPtr e = make(Expr::Kind::constant, line);
      if (tok.type == TT::integer) {
        try {
          e->value = Value::integer(std::stoll(tok.value));
        } catch (const std::out_of_range&) {
          fail("integer literal " + tok.value + " is out of the 64-bit range", line);
        }
      } else {
        e->value = Value::floating(std::stod(tok.value));
      }
      return e;
    }
    if (tok.type == TT::op && tok.value == "(") {
      next();
      ExprPtr e = parse_tuple(false, true, {}, true);
      expect_op(")");
      return e;
    }
    if (tok.type == TT::op && tok.value == "[") {
      next();
      ExprPtr e = make(Expr::Kind::list_literal, line);
      while (!is_op("]")) {
        if (!e->a.empty()) expect_op(",");
        if (is_op("]")) break;
        e->a.push_back(parse_expression());
      }
      next();
      return e;
    }
    if (tok.type == TT::op && tok.value == "{") {
      next();
      ExprPtr e = make(Expr::Kind::dict_literal, line);
      while (!is_op("}")) {
        if (!e->a.empty()) expect_op(",");
        if (is_op("}")) break;
        e->a.push_back(parse_expression());
        expect_op(":");
        e->a.push_back(parse_expression());
      }
      next();
      return e;
    }
    fail("unexpected " + describe(tok));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".") || is_op("[")) node = parse_subscript(std::move(node));
      else if (is_op("(")) node = parse_call(std::move(node));
      else return node;
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        next();
        node = parse_filter(std::move(node));
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const Token& tok = next();
    if (tok.value == ".") {
      if (cur().type == TT::name) {
        ExprPtr e = make(Expr::Kind::attribute, tok.line);
        e->name = next().value;
        e->a.push_back(std::move(node));
        return e;
      }
      if (cur().type == TT::integer) {
        ExprPtr e = make(Expr::Kind::item, tok.line);
        ExprPtr index = make(Expr::Kind::constant, tok.line);
        index->value = Value::integer(std::stoll(next().value));
        e->a.push_back(std::move(node));
        e->a.push_back(std::move(index));
        return e;
      }
      fail("expected name or number after '.', got " + describe(cur()));
    }
    // '['
    ExprPtr parts[3];
    bool is_slice = false;
    if (!is_op(":")) parts[0] = parse_expression();
    if (is_op(":")) {
      is_slice = true;
      next();
      if (!is_op("]") && !is_op(":")) parts[1] = parse_expression();
      if (is_op(":")) {
        next();
        if (!is_op("]")) parts[2] = parse_expression();
      }
    }
    if (is_op(",")) fail("tuple subscripts are not supported");
    expect_op("]");
    ExprPtr e = make(is_slice ? Expr::Kind::slice : Expr::Kind::item, tok.line);
    e->a.push_back(std::move(node));
    e->a.push_back(std::move(parts[0]));
    if (is_slice) {
      e->a.push_back(std::move(parts[1]));
      e->a.push_back(std::move(parts[2]));
    }
    return e;
  }

  void parse_call_args(Expr& e) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (is_op("*") || is_op("**")) fail("*args and **kwargs in calls are not supported");
      if (cur().type == TT::name && look().type == TT::op && look().value == "=") {
        std::string key = next().value;
        next();
        e.keywords.emplace_back(key, parse_expression());
      } else {
        if (!e.keywords.empty()) fail("positional argument follows keyword argument");
        e.args.push_back(parse_expression());
      }
    }
    next();
  }

  ExprPtr parse_call(ExprPtr node) {
    ExprPtr e = make(Expr::Kind::call, cur().line);
    e->a.push_back(std::move(node));
    parse_call_args(*e);
    return e;
  }

  ExprPtr parse_filter(ExprPtr node) {
    int line = cur().line;
    std::string name = expect_name();
    while (is_op(".")) {
      next();
      name += "." + expect_name();
    }
    if (!has_filter(name)) fail("unknown filter '" + name + "'", line);
    ExprPtr e = make(Expr::Kind::filter, line);
    e->name = name;
    e->a.push_back(std::move(node));
    if (is_op("(")) parse_call_args(*e);
    return e;
  }

  ExprPtr parse_test(ExprPtr node) {
    int line = next().line;  // 'is'
    bool negated = false;
    if (is_name("not")) {
      next();
      negated = true;
    }
    std::string name = expect_name();
    if (!has_test(name)) fail("unknown test '" + name + "'", line);
    ExprPtr e = make(Expr::Kind::test, line);
    e->name = name;
    e->negated = negated;
    e->a.push_back(std::move(node));
    if (is_op("(")) {
      parse_call_args(*e);
    } else if ((cur().type == TT::name || cur().type == TT::string || cur().type == TT::integer ||
                cur().type == TT::floating || is_op("(") || is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) fail("you cannot chain multiple tests with is");
      e->args.push_back(parse_postfix(parse_primary()));
    }
    return e;
  }

  const std::vector<Token>& t_;
  size_t i_ = 0;
  std::vector<OpenBlock> open_;
  int loop_depth_ = 0;
};

}  // namespace

Body parse_template(const std::vector<Token>& tokens) { return Parser(tokens).parse_all(); }

}  // namespace r1::jinja
