// Recursive-descent parser from math tokens to a MathExpression (see math_expression.hpp).
// Grammar, loosest binding first:
//   sum      := product (('+' | '-') product)*
//   product  := signed (('*' | \cdot | \times | '/' | \div) signed | power)*   (juxtaposition = ×)
//   signed   := ('-' | '+') signed | power
//   power    := postfix ('^' exponent)?
//   exponent := ('-' | '+') exponent | primary ('^' exponent)?    (x^2y = x²·y, as in LaTeX)
//   postfix  := primary '!'*
//   primary  := number | variable | constant | (sum) | [sum] | {sum} | |sum| | \frac A A
//             | \sqrt([sum])? A | \binom A A | function
//   A        := {sum} | (sum) | one digit | variable | constant       (\frac12 = 1/2, \sqrt2)
//   function := name ('_' A)? ('^' exponent)? ( (sum) | {sum} | a run of factors up to the next
//               function: \sin 2x \cos x = sin(2x)·cos(x) )
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numbers>
#include <optional>

#include "rl/rewards/math_expression.hpp"
#include "rl/rewards/math_lexer.hpp"

namespace r1::rewards {

namespace {

struct ParseFailure {};

bool is_greek_variable(std::string_view name) {
  static const std::array<std::string_view, 34> kGreek = {
      "alpha", "beta",  "gamma",   "delta", "epsilon", "varepsilon", "zeta",  "eta",   "theta", "vartheta",
      "iota",  "kappa", "lambda",  "mu",    "nu",      "xi",         "rho",   "varrho", "sigma", "varsigma",
      "tau",   "upsilon", "phi",   "varphi", "chi",    "psi",        "omega", "Gamma", "Delta", "Theta",
      "Lambda", "Sigma", "Phi",    "Omega"};
  for (std::string_view g : kGreek)
    if (name == g) return true;
  return false;
}

std::optional<MathFunction> function_named(std::string_view name) {
  static const std::array<std::pair<std::string_view, MathFunction>, 15> kFunctions = {{
      {"sin", MathFunction::sin},       {"cos", MathFunction::cos},       {"tan", MathFunction::tan},
      {"cot", MathFunction::cot},       {"sec", MathFunction::sec},       {"csc", MathFunction::csc},
      {"arcsin", MathFunction::asin},   {"arccos", MathFunction::acos},   {"arctan", MathFunction::atan},
      {"sinh", MathFunction::sinh},     {"cosh", MathFunction::cosh},     {"tanh", MathFunction::tanh},
      {"ln", MathFunction::ln},         {"exp", MathFunction::exp},       {"abs", MathFunction::abs},
  }};
  for (auto& [n, f] : kFunctions)
    if (name == n) return f;
  return std::nullopt;
}

class MathParser {
 public:
  explicit MathParser(std::vector<MathToken> tokens) : tokens_(std::move(tokens)) {}

  MathExpression parse() {
    if (tokens_.empty()) throw ParseFailure{};
    expression_.root = parse_sum();
    if (pos_ != tokens_.size()) throw ParseFailure{};
    return std::move(expression_);
  }

 private:
  std::vector<MathToken> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int abs_depth_ = 0;
  MathExpression expression_;

  class DepthGuard {
   public:
    explicit DepthGuard(int& depth) : depth_(depth) {
      if (++depth_ > kMaxMathDepth) throw ParseFailure{};
    }
    ~DepthGuard() { --depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    int& depth_;
  };

  const MathToken* peek() const { return pos_ < tokens_.size() ? &tokens_[pos_] : nullptr; }
  bool peek_symbol(std::string_view s) const {
    const MathToken* t = peek();
    return t && t->kind == TokenKind::symbol && t->text == s;
  }
  bool peek_command(std::string_view name) const {
    const MathToken* t = peek();
    return t && t->kind == TokenKind::command && t->text == name;
  }
  void expect_symbol(std::string_view s) {
    if (!peek_symbol(s)) throw ParseFailure{};
    ++pos_;
  }

  int32_t add_node(const MathNode& node) {
    if (expression_.nodes.size() >= kMaxMathNodes) throw ParseFailure{};
    expression_.nodes.push_back(node);
    return int32_t(expression_.nodes.size() - 1);
  }
  int32_t number(std::complex<double> value) {
    MathNode node;
    node.kind = MathNodeKind::number;
    node.value = value;
    return add_node(node);
  }
  int32_t combine(MathNodeKind kind, int32_t left, int32_t right = -1) {
    MathNode node;
    node.kind = kind;
    node.left = left;
    node.right = right;
    return add_node(node);
  }
  int32_t apply(MathFunction function, int32_t argument) {
    MathNode node;
    node.kind = MathNodeKind::function;
    node.function = function;
    node.left = argument;
    return add_node(node);
  }
  int32_t variable(const std::string& name) {
    auto& names = expression_.variable_names;
    size_t index = 0;
    while (index < names.size() && names[index] != name) ++index;
    if (index == names.size()) names.push_back(name);
    MathNode node;
    node.kind = MathNodeKind::variable;
    node.variable = int32_t(index);
    return add_node(node);
  }

  static std::optional<MathFunction> inverse_function(MathFunction function) {
    if (function == MathFunction::sin) return MathFunction::asin;
    if (function == MathFunction::cos) return MathFunction::acos;
    if (function == MathFunction::tan) return MathFunction::atan;
    return std::nullopt;
  }

  bool is_minus_one(int32_t index) const {
    const MathNode& node = expression_.nodes[size_t(index)];
    if (node.kind != MathNodeKind::negate) return false;
    const MathNode& inner = expression_.nodes[size_t(node.left)];
    return inner.kind == MathNodeKind::number && inner.value == std::complex<double>(1.0);
  }

  bool starts_function() const {
    const MathToken* t = peek();
    return t && t->kind == TokenKind::command && (t->text == "log" || function_named(t->text));
  }

  bool starts_operand() const {
    const MathToken* t = peek();
    if (!t) return false;
    switch (t->kind) {
      case TokenKind::number:
      case TokenKind::letter:
        return true;
      case TokenKind::symbol:
        return t->text == "(" || t->text == "{" || (t->text == "|" && abs_depth_ == 0);
      case TokenKind::command:
        return t->text == "frac" || t->text == "sqrt" || t->text == "binom" || t->text == "pi" ||
               t->text == "infty" || is_greek_variable(t->text) || starts_function();
    }
    return false;
  }

  int32_t parse_sum() {
    DepthGuard guard(depth_);
    int32_t node = parse_product();
    while (peek_symbol("+") || peek_symbol("-")) {
      bool plus = peek_symbol("+");
      ++pos_;
      int32_t rhs = parse_product();
      node = combine(plus ? MathNodeKind::add : MathNodeKind::subtract, node, rhs);
    }
    return node;
  }

  int32_t parse_product() {
    DepthGuard guard(depth_);
    int32_t node = parse_signed();
    for (;;) {
      if (peek_symbol("*") || peek_command("cdot") || peek_command("times")) {
        ++pos_;
        node = combine(MathNodeKind::multiply, node, parse_signed());
      } else if (peek_symbol("/") || peek_command("div")) {
        ++pos_;
        node = combine(MathNodeKind::divide, node, parse_signed());
      } else if (starts_operand()) {
        node = combine(MathNodeKind::multiply, node, parse_power());
      } else {
        return node;
      }
    }
  }

  int32_t parse_signed() {
    DepthGuard guard(depth_);
    if (peek_symbol("-")) {
      ++pos_;
      return combine(MathNodeKind::negate, parse_signed());
    }
    if (peek_symbol("+")) {
      ++pos_;
      return parse_signed();
    }
    return parse_power();
  }

  int32_t parse_power() {
    DepthGuard guard(depth_);
    int32_t base = parse_postfix();
    if (peek_symbol("^")) {
      ++pos_;
      return combine(MathNodeKind::power, base, parse_exponent());
    }
    return base;
  }

  int32_t parse_exponent() {
    DepthGuard guard(depth_);
    if (peek_symbol("-")) {
      ++pos_;
      return combine(MathNodeKind::negate, parse_exponent());
    }
    if (peek_symbol("+")) {
      ++pos_;
      return parse_exponent();
    }
    int32_t atom = parse_primary();
    if (peek_symbol("^")) {
      ++pos_;
      atom = combine(MathNodeKind::power, atom, parse_exponent());
    }
    return atom;
  }

  int32_t parse_postfix() {
    int32_t node = parse_primary();
    while (peek_symbol("!")) {
      ++pos_;
      node = combine(MathNodeKind::factorial, node);
    }
    return node;
  }

  int32_t parse_group(std::string_view open, std::string_view close) {
    expect_symbol(open);
    int32_t node = parse_sum();
    expect_symbol(close);
    return node;
  }

  int32_t parse_primary() {
    DepthGuard guard(depth_);
    const MathToken* t = peek();
    if (!t) throw ParseFailure{};
    switch (t->kind) {
      case TokenKind::number:
        ++pos_;
        return number(std::strtod(t->text.c_str(), nullptr));
      case TokenKind::letter:
        return parse_letter();
      case TokenKind::command:
        return parse_command();
      case TokenKind::symbol:
        if (t->text == "(") return parse_group("(", ")");
        if (t->text == "[") return parse_group("[", "]");
        if (t->text == "{") return parse_group("{", "}");
        if (t->text == "|") {
          ++pos_;
          ++abs_depth_;
          int32_t inside = parse_sum();
          --abs_depth_;
          expect_symbol("|");
          return apply(MathFunction::abs, inside);
        }
        break;
    }
    throw ParseFailure{};
  }

  // The text of a subscript: x_1, x_{n+1}, a_\alpha.
  std::string parse_subscript_text() {
    expect_symbol("_");
    const MathToken* t = peek();
    if (!t) throw ParseFailure{};
    auto spelled = [](const MathToken& token) {
      return token.kind == TokenKind::command ? "\\" + token.text + " " : token.text;
    };
    if (t->kind == TokenKind::symbol && t->text == "{") {
      ++pos_;
      std::string text;
      int depth = 1;
      for (;;) {
        t = peek();
        if (!t) throw ParseFailure{};
        ++pos_;
        if (t->kind == TokenKind::symbol && t->text == "{") ++depth;
        if (t->kind == TokenKind::symbol && t->text == "}" && --depth == 0) break;
        text += spelled(*t);
      }
      if (text.empty()) throw ParseFailure{};
      return text;
    }
    if (t->kind == TokenKind::symbol) throw ParseFailure{};
    ++pos_;
    return spelled(*t);
  }

  int32_t parse_letter() {
    std::string name = tokens_[pos_++].text;
    if (peek_symbol("_")) return variable(name + "_" + parse_subscript_text());
    if (name == "e") return number(std::numbers::e);
    if (name == "i") return number({0.0, 1.0});
    return variable(name);
  }

  // A \frac / \sqrt / \binom argument or a log base.
  int32_t parse_argument() {
    DepthGuard guard(depth_);
    const MathToken* t = peek();
    if (!t) throw ParseFailure{};
    if (t->kind == TokenKind::symbol && t->text == "{") return parse_group("{", "}");
    if (t->kind == TokenKind::symbol && t->text == "(") return parse_group("(", ")");
    if (t->kind == TokenKind::number) {
      MathToken& token = tokens_[pos_];
      char first = token.text[0];
      if (first == '.') throw ParseFailure{};
      if (token.text.size() == 1)
        ++pos_;
      else
        token.text.erase(0, 1);  // LaTeX reads one digit: \frac12 = 1/2
      return number(double(first - '0'));
    }
    if (t->kind == TokenKind::letter) return parse_letter();
    if (t->kind == TokenKind::command && (t->text == "pi" || t->text == "infty" || is_greek_variable(t->text)))
      return parse_command();
    throw ParseFailure{};
  }

  int32_t parse_function_argument() {
    DepthGuard guard(depth_);
    if (peek_symbol("(")) return parse_group("(", ")");
    if (peek_symbol("{")) return parse_group("{", "}");
    if (peek_symbol("-")) {
      ++pos_;
      return combine(MathNodeKind::negate, parse_function_argument());
    }
    int32_t node = parse_power();
    while (starts_operand() && !starts_function()) node = combine(MathNodeKind::multiply, node, parse_power());
    return node;
  }

  int32_t parse_command() {
    std::string name = tokens_[pos_].text;
    ++pos_;
    if (name == "frac") {
      int32_t numerator = parse_argument();
      int32_t denominator = parse_argument();
      return combine(MathNodeKind::divide, numerator, denominator);
    }
    if (name == "sqrt") {
      int32_t index = peek_symbol("[") ? parse_group("[", "]") : number(2.0);
      int32_t radicand = parse_argument();
      return combine(MathNodeKind::root, index, radicand);
    }
    if (name == "binom") {
      int32_t n = parse_argument();
      int32_t k = parse_argument();
      return combine(MathNodeKind::binomial, n, k);
    }
    if (name == "pi") return number(std::numbers::pi);
    if (name == "infty") return number(std::numeric_limits<double>::infinity());
    if (is_greek_variable(name)) {
      std::string variable_name = "\\" + name;
      if (peek_symbol("_")) variable_name.append("_").append(parse_subscript_text());
      return variable(variable_name);
    }
    std::optional<int32_t> log_base;
    std::optional<MathFunction> function = function_named(name);
    if (name == "log") {
      if (peek_symbol("_")) {
        ++pos_;
        log_base = parse_argument();
      }
    } else if (!function) {
      throw ParseFailure{};
    }
    constexpr int32_t kNoExponent = -1;
    int32_t exponent = kNoExponent;
    if (peek_symbol("^")) {
      ++pos_;
      exponent = parse_exponent();
      // \sin^{-1} x is arcsin x (likewise cos, tan)
      std::optional<MathFunction> inverse = function ? inverse_function(*function) : std::nullopt;
      if (inverse && is_minus_one(exponent)) {
        function = inverse;
        exponent = kNoExponent;
      }
    }
    int32_t argument = parse_function_argument();
    int32_t node = log_base ? combine(MathNodeKind::log_base, *log_base, argument)
                            : apply(function.value_or(MathFunction::ln), argument);
    if (exponent != kNoExponent) node = combine(MathNodeKind::power, node, exponent);
    return node;
  }
};

}  // namespace

std::optional<MathExpression> parse_math_expression(std::string_view text) {
  std::optional<std::vector<MathToken>> tokens = lex_math(text);
  if (!tokens) return std::nullopt;
  try {
    return MathParser(std::move(*tokens)).parse();
  } catch (const ParseFailure&) {
    return std::nullopt;
  }
}

}  // namespace r1::rewards
