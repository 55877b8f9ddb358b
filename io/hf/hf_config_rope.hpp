// RoPE settings in config.json (private to io/hf_config*): transformers 5's `rope_parameters`
// {rope_type, rope_theta, factor, ...} and the legacy `rope_theta` + `rope_scaling` {type, ...},
// mapped to ModelConfig::rope_theta and ModelConfig::rope_scaling with transformers' semantics
// (e.g. YaRN's `original_max_position_embeddings` defaults to max_position_embeddings, and mscale
// only counts together with mscale_all_dim).
#pragma once
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "model/model_config.hpp"

namespace r1::hf {

// Call after max_position_embeddings is known. Marks rope_theta / rope_scaling / rope_parameters
// consumed; unsupported rope types or parameters throw InputError naming the key.
void read_rope(const nlohmann::json& json, ModelConfig& config, std::set<std::string>& consumed,
               const std::string& where);

// Adds "rope_theta", "rope_scaling" and "rope_parameters"; throws InputError for YaRN settings
// transformers would compute differently.
void write_rope(const ModelConfig& config, nlohmann::ordered_json& out);

}  // namespace r1::hf
