// YAML side of the config schema: a reading visitor with precise errors, command-line overrides
// applied to the YAML tree before reading, a writing visitor, and the key reference printer.
#include "core/config_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace r1 {

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string join_path(const std::string& base, const std::string& key) { return base.empty() ? key : base + "." + key; }

std::string limits_text(const Limits& l) {
  std::ostringstream os;
  if (l.min && l.max) os << "in [" << *l.min << ", " << *l.max << "]";
  else if (l.min) os << (l.min_exclusive ? "> " : ">= ") << *l.min;
  else if (l.max) os << "<= " << *l.max;
  return os.str();
}

bool within(double x, const Limits& l) {
  if (l.min && (l.min_exclusive ? !(x > *l.min) : !(x >= *l.min))) return false;
  if (l.max && !(x <= *l.max)) return false;
  return true;
}

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}

bool parse_int(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || *end) return false;
  out = v;
  return true;
}

bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (errno || *end || !std::isfinite(v)) return false;
  out = v;
  return true;
}

bool parse_bool(const std::string& s, bool& out) {
  if (s == "true" || s == "True" || s == "yes" || s == "on") return out = true, true;
  if (s == "false" || s == "False" || s == "no" || s == "off") return out = false, true;
  return false;
}

// Reads one mapping node into a struct through the visitor interface.
class Reader final : public ConfigVisitor {
 public:
  Reader(YAML::Node node, std::string file, std::string path, const std::vector<std::string>* override_paths)
      : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)), overrides_(override_paths) {
    if (node_ && !node_.IsNull() && !node_.IsMap())
      fail(node_, path_, "expected a mapping of keys, got " + scalar_text(node_));
  }

  bool reading() const override { return true; }
  std::string path() const override { return path_; }

  void field(const char* key, int64_t& v, const char* help, Limits lim) override {
    if (auto n = take(key)) {
      int64_t x;
      if (!n.IsScalar() || !parse_int(n.Scalar(), x) || !within(double(x), lim))
        fail(n, join_path(path_, key), "expected an integer" + opt_text(lim) + ", got '" + scalar_text(n) + "'");
      v = x;
    }
  }
  void field(const char* key, double& v, const char* help, Limits lim) override {
    if (auto n = take(key)) {
      double x;
      if (!n.IsScalar() || !parse_double(n.Scalar(), x) || !within(x, lim))
        fail(n, join_path(path_, key), "expected a number" + opt_text(lim) + ", got '" + scalar_text(n) + "'");
      v = x;
    }
  }
  void field(const char* key, bool& v, const char* help) override {
    if (auto n = take(key)) {
      bool x;
      if (!n.IsScalar() || !parse_bool(n.Scalar(), x))
        fail(n, join_path(path_, key), "expected true or false, got '" + scalar_text(n) + "'");
      v = x;
    }
  }
  void field(const char* key, std::string& v, const char* help) override {
    if (auto n = take(key)) {
      if (n.IsNull()) {
        v.clear();
        return;
      }
      if (!n.IsScalar()) fail(n, join_path(path_, key), "expected a string, got " + scalar_text(n));
      v = n.Scalar();
    }
  }
  void field(const char* key, std::vector<int64_t>& v, const char* help) override {
    read_list(key, v, "integers", [](const std::string& s, int64_t& x) { return parse_int(s, x); });
  }
  void field(const char* key, std::vector<double>& v, const char* help) override {
    read_list(key, v, "numbers", [](const std::string& s, double& x) { return parse_double(s, x); });
  }
  void field(const char* key, std::vector<std::string>& v, const char* help) override {
    read_list(key, v, "strings", [](const std::string& s, std::string& x) { return x = s, true; });
  }
  void choice(const char* key, std::string& v, const std::vector<std::string>& options, const char* help) override {
    if (auto n = take(key)) {
      std::string s = n.IsScalar() ? n.Scalar() : "";
      if (std::find(options.begin(), options.end(), s) == options.end()) {
        std::string msg = "expected one of";
        for (auto& o : options) msg += " '" + o + "'";
        msg += ", got '" + scalar_text(n) + "'";
        std::string near = closest_match(s, options);
        if (!near.empty()) msg += " (did you mean '" + near + "'?)";
        fail(n, join_path(path_, key), msg);
      }
      v = s;
    }
  }
  void section(const char* key, const std::function<void(ConfigVisitor&)>& body, const char* help) override {
    YAML::Node n = take(key);
    Reader sub(n ? n : YAML::Node(), file_, join_path(path_, key), overrides_);
    body(sub);
    sub.finish();
  }
  void list(const char* key, size_t& count, const std::function<void(size_t, ConfigVisitor&)>& item,
            const char* help) override {
    YAML::Node n = take(key);
    if (!n) return;
    std::string p = join_path(path_, key);
    if (!n.IsSequence()) fail(n, p, "expected a list, got " + scalar_text(n));
    count = n.size();
    for (size_t i = 0; i < n.size(); ++i) {
      Reader sub(n[i], file_, p + "[" + std::to_string(i) + "]", overrides_);
      item(i, sub);
      sub.finish();
    }
  }

  // Reports keys present in the YAML that the schema did not ask for.
  void finish() {
    if (!node_ || !node_.IsMap()) return;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      std::string k = it->first.Scalar();
      if (known_.count(k)) continue;
      std::vector<std::string> cands(known_.begin(), known_.end());
      std::string msg = "unknown key";
      std::string near = closest_match(k, cands);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      else if (!cands.empty()) {
        msg += "; valid keys here:";
        for (auto& c : cands) msg += " " + c;
      }
      fail(it->first, join_path(path_, k), msg);
    }
  }

 private:
  YAML::Node take(const char* key) {
    known_.insert(key);
    if (!node_ || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node n = node_[key];
    return n;
  }

  template <class T, class Parse>
  void read_list(const char* key, std::vector<T>& v, const char* what, Parse parse) {
    auto n = take(key);
    if (!n) return;
    std::string p = join_path(path_, key);
    if (!n.IsSequence()) fail(n, p, std::string("expected a list of ") + what + ", got " + scalar_text(n));
    std::vector<T> out;
    for (size_t i = 0; i < n.size(); ++i) {
      T x{};
      if (!n[i].IsScalar() || !parse(n[i].Scalar(), x))
        fail(n[i], p + "[" + std::to_string(i) + "]", std::string("expected one of ") + what + ", got '" + scalar_text(n[i]) + "'");
      out.push_back(x);
    }
    v = out;
  }

  static std::string opt_text(const Limits& l) {
    std::string t = limits_text(l);
    return t.empty() ? "" : " " + t;
  }

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path, const std::string& what) const {
    std::ostringstream os;
    os << file_;
    if (at && at.Mark().line >= 0) os << ":" << at.Mark().line + 1;
    os << ": " << path << ": " << what;
    if (overrides_) {
      std::string dotted;  // "stages[1].lr" -> "stages.1.lr", the override spelling
      for (char c : path) {
        if (c == '[') dotted += '.';
        else if (c != ']') dotted += c;
      }
      for (auto& o : *overrides_)
        if (o.rfind(dotted, 0) == 0) os << " (set on the command line: '" << o << "')";
    }
    throw InputError(os.str());
  }

  YAML::Node node_;
  std::string file_, path_;
  const std::vector<std::string>* overrides_;
  std::set<std::string> known_;
};

// Writes every field, nested sections and lists included.
class Writer final : public ConfigVisitor {
 public:
  explicit Writer(YAML::Emitter& out) : out_(out) {}
  void field(const char* key, int64_t& v, const char*, Limits) override { out_ << YAML::Key << key << YAML::Value << v; }
  void field(const char* key, double& v, const char*, Limits) override {
    std::ostringstream os;
    os.precision(17);
    os << v;
    std::string s = os.str();
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    out_ << YAML::Key << key << YAML::Value << s;
  }
  void field(const char* key, bool& v, const char*) override { out_ << YAML::Key << key << YAML::Value << (v ? "true" : "false"); }
  void field(const char* key, std::string& v, const char*) override {
    out_ << YAML::Key << key << YAML::Value;
    if (v.empty()) out_ << YAML::Null;
    else out_ << YAML::DoubleQuoted << v;
  }
  void field(const char* key, std::vector<int64_t>& v, const char*) override { seq(key, v); }
  void field(const char* key, std::vector<double>& v, const char*) override { seq(key, v); }
  void field(const char* key, std::vector<std::string>& v, const char*) override { seq(key, v); }
  void choice(const char* key, std::string& v, const std::vector<std::string>&, const char*) override {
    out_ << YAML::Key << key << YAML::Value << v;
  }
  void section(const char* key, const std::function<void(ConfigVisitor&)>& body, const char*) override {
    out_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    body(*this);
    out_ << YAML::EndMap;
  }
  void list(const char* key, size_t& count, const std::function<void(size_t, ConfigVisitor&)>& item, const char*) override {
    out_ << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    for (size_t i = 0; i < count; ++i) {
      out_ << YAML::BeginMap;
      item(i, *this);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

 private:
  template <class T>
  void seq(const char* key, const std::vector<T>& v) {
    out_ << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (auto& x : v) out_ << x;
    out_ << YAML::EndSeq;
  }
  YAML::Emitter& out_;
};

// Lists keys with their defaults and help text.
class Describer final : public ConfigVisitor {
 public:
  Describer(std::ostringstream& os, std::string path) : os_(os), path_(std::move(path)) {}
  void field(const char* key, int64_t& v, const char* help, Limits l) override { line(key, "int", std::to_string(v), help, l); }
  void field(const char* key, double& v, const char* help, Limits l) override {
    std::ostringstream s;
    s << v;
    line(key, "number", s.str(), help, l);
  }
  void field(const char* key, bool& v, const char* help) override { line(key, "bool", v ? "true" : "false", help, {}); }
  void field(const char* key, std::string& v, const char* help) override { line(key, "string", "'" + v + "'", help, {}); }
  void field(const char* key, std::vector<int64_t>& v, const char* help) override { line(key, "int list", "", help, {}); }
  void field(const char* key, std::vector<double>& v, const char* help) override { line(key, "number list", "", help, {}); }
  void field(const char* key, std::vector<std::string>& v, const char* help) override { line(key, "string list", "", help, {}); }
  void choice(const char* key, std::string& v, const std::vector<std::string>& options, const char* help) override {
    std::string t;
    for (auto& o : options) t += (t.empty() ? "" : "|") + o;
    line(key, t, v, help, {});
  }
  void section(const char* key, const std::function<void(ConfigVisitor&)>& body, const char* help) override {
    Describer sub(os_, join_path(path_, key));
    body(sub);
  }
  void list(const char* key, size_t& count, const std::function<void(size_t, ConfigVisitor&)>& item, const char* help) override {
    os_ << join_path(path_, key) << "[i]  (list)  " << help << "\n";
    size_t shown = std::max<size_t>(count, 1);
    (void)shown;
    Describer sub(os_, join_path(path_, key) + "[i]");
    item(count == 0 ? 0 : 0, sub);
  }

 private:
  void line(const char* key, const std::string& type, const std::string& def, const char* help, const Limits& l) {
    os_ << join_path(path_, key) << "  (" << type;
    std::string lt = limits_text(l);
    if (!lt.empty()) os_ << ", " << lt;
    os_ << ")";
    if (!def.empty()) os_ << "  default " << def;
    os_ << "  " << help << "\n";
  }
  std::ostringstream& os_;
  std::string path_;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Applies "a.b.c=value" to the tree. In lists, a segment is an index or an item's `name`/`kind`.
void apply_override(YAML::Node& root, const std::string& file, const std::string& ov) {
  auto eq = ov.find('=');
  R1_INPUT_CHECK(eq != std::string::npos && eq > 0, "command line: override '", ov, "' is not of the form key.path=value");
  std::string path = ov.substr(0, eq), value = ov.substr(eq + 1);
  auto segs = split(path, '.');
  YAML::Node value_node;
  try {
    value_node = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw InputError("command line: override '" + ov + "': value is not valid YAML: " + e.msg);
  }
  std::vector<YAML::Node> chain{root};
  std::string walked;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& s = segs[i];
    R1_INPUT_CHECK(!s.empty(), "command line: override '", ov, "' has an empty key segment");
    YAML::Node cur = chain.back();
    bool last = i + 1 == segs.size();
    if (cur.IsSequence()) {
      int64_t idx = -1;
      if (!parse_int(s, idx)) {
        for (size_t j = 0; j < cur.size(); ++j)
          if ((cur[j]["name"] && cur[j]["name"].Scalar() == s) || (!cur[j]["name"] && cur[j]["kind"] && cur[j]["kind"].Scalar() == s))
            idx = int64_t(j);
      }
      R1_INPUT_CHECK(idx >= 0 && idx < int64_t(cur.size()), "command line: override '", ov, "': ", walked,
                     " has no item '", s, "' (use an index 0..", cur.size() ? cur.size() - 1 : 0, " or a stage name)");
      if (last) cur[size_t(idx)] = value_node;
      else chain.push_back(cur[size_t(idx)]);
    } else {
      if (!cur.IsMap() && !cur.IsNull())
        throw InputError("command line: override '" + ov + "': " + walked + " is not a mapping");
      if (last) {
        cur[s] = value_node;
      } else {
        if (!cur[s]) cur[s] = YAML::Node(YAML::NodeType::Map);
        chain.push_back(cur[s]);
      }
    }
    walked = walked.empty() ? s : walked + "." + s;
  }
  (void)file;
}

}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::string::npos;
  for (auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  size_t limit = std::max<size_t>(2, word.size() / 3);
  return best_d <= limit ? best : "";
}

void read_config(const ConfigSource& source, const std::function<void(ConfigVisitor&)>& root) {
  YAML::Node doc;
  try {
    doc = YAML::Load(source.text);
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << source.file << ":" << e.mark.line + 1 << ":" << e.mark.column + 1 << ": YAML syntax error: " << e.msg;
    throw InputError(os.str());
  }
  if (!doc || doc.IsNull()) doc = YAML::Node(YAML::NodeType::Map);
  for (auto& ov : source.overrides) apply_override(doc, source.file, ov);
  std::vector<std::string> ov_paths;
  for (auto& ov : source.overrides) ov_paths.push_back(ov);
  Reader r(doc, source.file, "", &ov_paths);
  root(r);
  r.finish();
}

std::string write_config(const std::function<void(ConfigVisitor&)>& root) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  Writer w(out);
  root(w);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string describe_config_keys(const std::function<void(ConfigVisitor&)>& root) {
  std::ostringstream os;
  Describer d(os, "");
  root(d);
  return os.str();
}

ConfigSource load_config_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  R1_INPUT_CHECK(in, path, ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ConfigSource{path, ss.str(), overrides};
}

}  // namespace r1
