// Helpers for reading tokenizer.json with error messages that name the file and the JSON field
// ("FILE: field 'model.vocab': ..."). Internal to io/tokenizer_json*.cpp.
#pragma once
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace r1::bpe::json_field {

using nlohmann::json;

// Location of a JSON value inside a file, for error messages: "FILE: field 'model.vocab'".
struct Field {
  const std::string& file;
  std::string path;

  Field operator[](const std::string& key) const { return {file, path.empty() ? key : path + "." + key}; }
  Field operator[](size_t index) const { return {file, path + "[" + std::to_string(index) + "]"}; }
  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(file + ": field '" + path + "': " + message);
  }
};

inline const char* type_name(const json& value) { return value.type_name(); }

inline void expect_object(const json& value, const Field& field) {
  if (!value.is_object()) field.fail(std::string("expected an object, found ") + type_name(value));
}

// Fails on keys outside `known`, so unsupported options are reported rather than ignored.
inline void expect_known_keys(const json& object, const std::set<std::string>& known, const Field& field) {
  for (const auto& [key, value] : object.items())
    if (known.count(key) == 0) field[key].fail("unsupported field");
}

inline std::string get_string(const json& object, const std::string& key, const Field& field) {
  auto it = object.find(key);
  if (it == object.end()) field[key].fail("missing");
  if (!it->is_string()) field[key].fail(std::string("expected a string, found ") + type_name(*it));
  return it->get<std::string>();
}

inline bool get_bool(const json& object, const std::string& key, bool default_value, const Field& field) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return default_value;
  if (!it->is_boolean()) field[key].fail(std::string("expected true or false, found ") + type_name(*it));
  return it->get<bool>();
}

inline int32_t get_id(const json& value, const Field& field) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > INT32_MAX)
    field.fail("expected a non-negative 32-bit integer id, found " + value.dump());
  return int32_t(value.get<int64_t>());
}

// Fails unless `key` is absent or holds the value that means "feature not used".
inline void expect_unused(const json& object, const std::string& key, const Field& field) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null() || (it->is_boolean() && !it->get<bool>()) ||
      (it->is_string() && it->get<std::string>().empty()) || (it->is_number() && it->get<double>() == 0.0))
    return;
  field[key].fail("unsupported value " + it->dump());
}

inline std::string get_type(const json& object, const Field& field) {
  expect_object(object, field);
  return get_string(object, "type", field);
}

}  // namespace r1::bpe::json_field
