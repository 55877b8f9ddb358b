// The config schema mechanism. Every config struct lists its fields once, in a `visit` member:
//   void visit(ConfigVisitor& v) { v.field("hidden_size", hidden_size, "residual width", at_least(1)); ... }
// and the same list drives reading YAML (with unknown-key, type and range errors that name the file,
// the key path and what was expected), writing the resolved config, and printing the key reference.
// The YAML implementation is in config_yaml.cpp so that this header stays light.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace r1 {

struct Limits {
  std::optional<double> min, max;
  bool min_exclusive = false;
};
inline Limits at_least(double lo) { return Limits{lo, std::nullopt, false}; }
inline Limits greater_than(double lo) { return Limits{lo, std::nullopt, true}; }
inline Limits between(double lo, double hi) { return Limits{lo, hi, false}; }

class ConfigVisitor {
 public:
  virtual ~ConfigVisitor() = default;
  virtual void field(const char* key, int64_t& v, const char* help, Limits limits = {}) = 0;
  virtual void field(const char* key, double& v, const char* help, Limits limits = {}) = 0;
  virtual void field(const char* key, bool& v, const char* help) = 0;
  virtual void field(const char* key, std::string& v, const char* help) = 0;
  virtual void field(const char* key, std::vector<int64_t>& v, const char* help) = 0;
  virtual void field(const char* key, std::vector<double>& v, const char* help) = 0;
  virtual void field(const char* key, std::vector<std::string>& v, const char* help) = 0;
  virtual void choice(const char* key, std::string& v, const std::vector<std::string>& options, const char* help) = 0;
  virtual void section(const char* key, const std::function<void(ConfigVisitor&)>& body, const char* help) = 0;
  // A list of sections. `count` is the current size when writing and is set when reading;
  // `item(i, visitor)` visits element i (the caller grows its vector as needed).
  virtual void list(const char* key, size_t& count, const std::function<void(size_t, ConfigVisitor&)>& item,
                    const char* help) = 0;
  virtual bool reading() const { return false; }
  // Key path of the current section, e.g. "stages[1].grpo" (for cross-field error messages).
  virtual std::string path() const { return ""; }
};

template <class S>
void section(ConfigVisitor& v, const char* key, S& s, const char* help) {
  v.section(key, [&](ConfigVisitor& sub) { s.visit(sub); }, help);
}

template <class S>
void list(ConfigVisitor& v, const char* key, std::vector<S>& items, const char* help) {
  size_t n = items.size();
  v.list(key, n, [&](size_t i, ConfigVisitor& sub) {
    if (items.size() <= i) items.resize(i + 1);
    items[i].visit(sub);
  }, help);
  items.resize(n);
}

// An enumerated config choice and its YAML spellings, one table per enum (the only place the
// names are written): choice() reads and writes it, enum_name() prints it.
template <class E>
using EnumNames = std::vector<std::pair<E, std::string>>;

template <class E>
const std::string& enum_name(E value, const EnumNames<E>& table) {
  for (auto& [e, name] : table)
    if (e == value) return name;
  static const std::string unknown = "?";
  return unknown;
}

// Enum fields through their names: `table` pairs each value with its YAML spelling.
template <class E>
void choice(ConfigVisitor& v, const char* key, E& value, const EnumNames<E>& table, const char* help) {
  std::string s;
  std::vector<std::string> options;
  for (auto& [e, name] : table) {
    options.push_back(name);
    if (e == value) s = name;
  }
  v.choice(key, s, options, help);
  for (auto& [e, name] : table)
    if (name == s) value = e;
}

}  // namespace r1
