// ModelConfig fields as JSON through its visit() schema (private to io/hf_config*): every
// top-level scalar field by its key, for writing; and reading the keys a config.json has, with the
// schema's type and range checks. Sections (rope_scaling) are left to the caller.
#pragma once
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "model/model_config.hpp"

namespace r1::hf {

// {key: value} for every top-level scalar field of `config`, in schema order.
nlohmann::ordered_json model_fields_to_json(const ModelConfig& config);

// Sets each field of `config` whose key is in `json` and not in `skip`, adding the key to
// `consumed`. Wrong types, values out of the schema's range and unknown choices throw InputError
// naming `where` and the key.
void read_model_fields(const nlohmann::json& json, const std::set<std::string>& skip, ModelConfig& config,
                       std::set<std::string>& consumed, const std::string& where);

}  // namespace r1::hf
