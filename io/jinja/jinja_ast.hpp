// Syntax tree of a parsed Jinja template (io/jinja): expressions and statements as one node type each, with the
// source line every node came from (for error messages).
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/jinja/jinja_value.hpp"

namespace r1::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    constant,   // value
    name,       // name
    attribute,  // a[0].name
    item,       // a[0][a[1]]
    slice,      // a[0][a[1]:a[2]:a[3]], null parts omitted
    call,       // a[0](args, keywords)
    filter,     // a[0] | name(args, keywords); a[0] null inside {% filter %}
    test,       // a[0] is [not] name(args)
    unary,      // op a[0]: "-", "+", "not"
    binary,     // a[0] op a[1]: + - * / // % ** ~ and or == != < <= > >= in notin
    conditional,  // a[1] if a[0] else a[2] (a[2] may be null)
    list_literal, tuple_literal,
    dict_literal,  // keys a[0], a[2], ...; values a[1], a[3], ...
  };
  Kind kind;
  int line = 0;
  std::string name;  // variable / attribute / filter / test name, or operator
  Value value;       // constant
  bool negated = false;
  std::vector<ExprPtr> a;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

// Assignment target: a name, a tuple of names, or (for set) namespace.attribute.
struct Target {
  std::vector<std::string> names;
  bool tuple = false;
  std::string attribute;  // non-empty: names[0].attribute
};

struct Stmt {
  enum class Kind { text, output, for_loop, if_chain, set, set_block, macro, call_block, filter_block, break_loop,
                    continue_loop, scope };
  Kind kind;
  int line = 0;
  std::string text;          // text
  ExprPtr expr;              // output value, for iterable, set value, call_block call
  ExprPtr condition;         // for ... if condition
  Target target;             // for / set / set_block target
  std::vector<std::pair<ExprPtr, Body>> branches;  // if / elif (condition, body)
  Body body;                 // for / set_block / macro / call_block / filter_block body; scope contents
  Body else_body;            // for-else, if-else
  std::vector<ExprPtr> filters;  // set_block / filter_block filters (each with a[0] null)
  std::string name;          // macro name
  std::vector<std::string> params;       // macro / caller parameters
  std::vector<ExprPtr> defaults;         // defaults of the last params (aligned to the end)
};

}  // namespace r1::jinja
