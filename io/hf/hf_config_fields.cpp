// JSON visitors over ModelConfig's schema (see hf_config_fields.hpp).
#include "io/hf/hf_config_fields.hpp"

#include <algorithm>

#include "core/config_visitor.hpp"
#include "core/error.hpp"

namespace r1::hf {

namespace {

class JsonWriter : public ConfigVisitor {
 public:
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  void field(const char* key, int64_t& v, const char*, Limits) override { out[key] = v; }
  void field(const char* key, double& v, const char*, Limits) override { out[key] = v; }
  void field(const char* key, bool& v, const char*) override { out[key] = v; }
  void field(const char* key, std::string& v, const char*) override { out[key] = v; }
  void field(const char* key, std::vector<int64_t>& v, const char*) override { out[key] = v; }
  void field(const char* key, std::vector<double>& v, const char*) override { out[key] = v; }
  void field(const char* key, std::vector<std::string>& v, const char*) override { out[key] = v; }
  void choice(const char* key, std::string& v, const std::vector<std::string>&, const char*) override { out[key] = v; }
  void section(const char*, const std::function<void(ConfigVisitor&)>&, const char*) override {}
  void list(const char*, size_t&, const std::function<void(size_t, ConfigVisitor&)>&, const char*) override {}
};

class JsonReader : public ConfigVisitor {
 public:
  JsonReader(const nlohmann::json& json, const std::set<std::string>& skip, std::set<std::string>& consumed,
             const std::string& where)
      : json_(json), skip_(skip), consumed_(consumed), where_(where) {}

  void field(const char* key, int64_t& v, const char*, Limits limits) override {
    if (const nlohmann::json* j = take(key)) {
      R1_INPUT_CHECK(j->is_number_integer(), where_, ": key '", key, "' must be an integer, got ", j->dump());
      v = j->get<int64_t>();
      check_limits(key, double(v), limits);
    }
  }
  void field(const char* key, double& v, const char*, Limits limits) override {
    if (const nlohmann::json* j = take(key)) {
      R1_INPUT_CHECK(j->is_number(), where_, ": key '", key, "' must be a number, got ", j->dump());
      v = j->get<double>();
      check_limits(key, v, limits);
    }
  }
  void field(const char* key, bool& v, const char*) override {
    if (const nlohmann::json* j = take(key)) {
      R1_INPUT_CHECK(j->is_boolean(), where_, ": key '", key, "' must be true or false, got ", j->dump());
      v = j->get<bool>();
    }
  }
  void field(const char* key, std::string& v, const char*) override {
    if (const nlohmann::json* j = take(key)) {
      R1_INPUT_CHECK(j->is_string(), where_, ": key '", key, "' must be a string, got ", j->dump());
      v = j->get<std::string>();
    }
  }
  void field(const char* key, std::vector<int64_t>&, const char*) override { unsupported(key); }
  void field(const char* key, std::vector<double>&, const char*) override { unsupported(key); }
  void field(const char* key, std::vector<std::string>&, const char*) override { unsupported(key); }
  void choice(const char* key, std::string& v, const std::vector<std::string>& options, const char*) override {
    if (const nlohmann::json* j = take(key)) {
      R1_INPUT_CHECK(j->is_string(), where_, ": key '", key, "' must be a string, got ", j->dump());
      std::string value = j->get<std::string>();
      R1_INPUT_CHECK(std::find(options.begin(), options.end(), value) != options.end(), where_, ": key '", key, "': '",
                     value, "' is not supported (expected one of: ", join(options), ")");
      v = value;
    }
  }
  void section(const char*, const std::function<void(ConfigVisitor&)>&, const char*) override {}
  void list(const char*, size_t&, const std::function<void(size_t, ConfigVisitor&)>&, const char*) override {}
  bool reading() const override { return true; }

 private:
  const nlohmann::json* take(const char* key) {
    if (skip_.count(key)) return nullptr;
    auto it = json_.find(key);
    if (it == json_.end()) return nullptr;
    consumed_.insert(key);
    return &*it;
  }
  void check_limits(const char* key, double v, const Limits& limits) const {
    if (limits.min) {
      bool ok = limits.min_exclusive ? v > *limits.min : v >= *limits.min;
      R1_INPUT_CHECK(ok, where_, ": key '", key, "' must be ", limits.min_exclusive ? "> " : ">= ", *limits.min,
                     ", got ", v);
    }
    if (limits.max) R1_INPUT_CHECK(v <= *limits.max, where_, ": key '", key, "' must be <= ", *limits.max, ", got ", v);
  }
  void unsupported(const char* key) const {
    R1_CHECK(!json_.contains(key), "hf config: list field '", key, "' has no config.json mapping");
  }
  static std::string join(const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
    return s;
  }

  const nlohmann::json& json_;
  const std::set<std::string>& skip_;
  std::set<std::string>& consumed_;
  std::string where_;
};

}  // namespace

nlohmann::ordered_json model_fields_to_json(const ModelConfig& config) {
  ModelConfig copy = config;
  JsonWriter writer;
  copy.visit(writer);
  return std::move(writer.out);
}

void read_model_fields(const nlohmann::json& json, const std::set<std::string>& skip, ModelConfig& config,
                       std::set<std::string>& consumed, const std::string& where) {
  JsonReader reader(json, skip, consumed, where);
  config.visit(reader);
}

}  // namespace r1::hf
