// RoPE parameters of config.json (see hf_config_rope.hpp).
#include "io/hf/hf_config_rope.hpp"

#include "core/error.hpp"

namespace r1::hf {

namespace {

constexpr double kDefaultTheta = 10000.0;

double number(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& v = object.at(key);
  R1_INPUT_CHECK(v.is_number(), where, ".", key, " must be a number, got ", v.dump());
  return v.get<double>();
}

// Reads one rope object ({rope_type|type, factor, ...}) named `name` into `config`.
void read_rope_object(const nlohmann::json& rope, const std::string& name, ModelConfig& config,
                      const std::string& where) {
  const std::string at = where + ": " + name;
  R1_INPUT_CHECK(rope.is_object(), at, " must be an object, got ", rope.dump());
  std::string type = "default";
  for (const char* key : {"rope_type", "type"}) {
    if (!rope.contains(key)) continue;
    R1_INPUT_CHECK(rope[key].is_string(), at, ".", key, " must be a string");
    std::string t = rope[key].get<std::string>();
    R1_INPUT_CHECK(type == "default" || t == type, at, ": rope_type '", type, "' and type '", t, "' disagree");
    type = t;
  }
  RopeScalingConfig& rs = config.rope_scaling;
  rs = RopeScalingConfig{};
  std::set<std::string> allowed = {"rope_type", "type", "rope_theta"};
  if (type == "default") {
    rs.type = RopeScalingType::none;
  } else if (type == "linear") {
    rs.type = RopeScalingType::linear;
    allowed.insert("factor");
  } else if (type == "yarn") {
    rs.type = RopeScalingType::yarn;
    allowed.insert({"factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "mscale", "mscale_all_dim",
                    "truncate"});
  } else if (type == "llama3") {
    rs.type = RopeScalingType::llama3;
    allowed.insert({"factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"});
  } else {
    throw InputError(at + ".rope_type: '" + type + "' is not supported (r1 implements default, linear, yarn and llama3)");
  }
  for (auto it = rope.begin(); it != rope.end(); ++it) {
    if (it.key() == "partial_rotary_factor") {
      R1_INPUT_CHECK(it->is_number() && it->get<double>() == 1.0, at, ".partial_rotary_factor: only 1.0 is supported");
      continue;
    }
    R1_INPUT_CHECK(allowed.count(it.key()), at, ".", it.key(), ": not supported with rope type '", type, "'");
  }
  if (rs.type == RopeScalingType::none) return;
  R1_INPUT_CHECK(rope.contains("factor"), at, ".factor is missing");
  rs.factor = number(rope, "factor", at);
  R1_INPUT_CHECK(rs.factor >= 1.0, at, ".factor must be >= 1, got ", rs.factor);
  if (rs.type == RopeScalingType::linear) return;
  if (rs.type == RopeScalingType::llama3) {
    // transformers' _compute_llama3_parameters reads all four keys (no defaults).
    for (const char* key : {"original_max_position_embeddings", "low_freq_factor", "high_freq_factor"})
      R1_INPUT_CHECK(rope.contains(key) && !rope[key].is_null(), at, ".", key, " is missing (needed by rope type llama3)");
    const nlohmann::json& v = rope["original_max_position_embeddings"];
    R1_INPUT_CHECK(v.is_number_integer() && v.get<int64_t>() >= 1, at,
                   ".original_max_position_embeddings must be a positive integer, got ", v.dump());
    rs.original_max_position_embeddings = v.get<int64_t>();
    rs.low_freq_factor = number(rope, "low_freq_factor", at);
    rs.high_freq_factor = number(rope, "high_freq_factor", at);
    R1_INPUT_CHECK(rs.low_freq_factor > 0 && rs.high_freq_factor > rs.low_freq_factor, at,
                   ": llama3 needs 0 < low_freq_factor < high_freq_factor, got ", rs.low_freq_factor, " and ",
                   rs.high_freq_factor);
    return;
  }
  // YaRN, as transformers' _compute_yarn_parameters reads it.
  auto truthy = [&](const char* key) {
    return rope.contains(key) && !rope[key].is_null() && number(rope, key, at) != 0.0;
  };
  rs.original_max_position_embeddings = config.max_position_embeddings;
  if (rope.contains("original_max_position_embeddings") && !rope["original_max_position_embeddings"].is_null()) {
    const nlohmann::json& v = rope["original_max_position_embeddings"];
    R1_INPUT_CHECK(v.is_number_integer() && v.get<int64_t>() >= 1, at,
                   ".original_max_position_embeddings must be a positive integer, got ", v.dump());
    rs.original_max_position_embeddings = v.get<int64_t>();
  }
  if (truthy("beta_fast")) rs.beta_fast = number(rope, "beta_fast", at);
  if (truthy("beta_slow")) rs.beta_slow = number(rope, "beta_slow", at);
  R1_INPUT_CHECK(rs.beta_fast > 0 && rs.beta_slow > 0, at, ": beta_fast and beta_slow must be positive");
  if (rope.contains("truncate"))
    R1_INPUT_CHECK(rope["truncate"].is_boolean() && rope["truncate"].get<bool>(), at,
                   ".truncate: only true (the default) is supported");
  // transformers uses mscale only together with mscale_all_dim: the attention factor is
  // get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim) when both are non-zero, else
  // get_mscale(factor) (mscale = 1). r1 computes the same with (mscale, mscale_all_dim) and
  // (1, 0) respectively.
  if (truthy("mscale_all_dim")) {
    R1_INPUT_CHECK(truthy("mscale"), at, ".mscale: must be given (non-zero) with mscale_all_dim");
    rs.mscale = number(rope, "mscale", at);
    rs.mscale_all_dim = number(rope, "mscale_all_dim", at);
    R1_INPUT_CHECK(rs.mscale > 0 && rs.mscale_all_dim > 0, at, ": mscale and mscale_all_dim must be positive");
  } else {
    rs.mscale = 1.0;
    rs.mscale_all_dim = 0.0;
  }
}

}  // namespace

void read_rope(const nlohmann::json& json, ModelConfig& config, std::set<std::string>& consumed,
               const std::string& where) {
  const nlohmann::json* parameters = nullptr;
  if (json.contains("rope_parameters") && !json["rope_parameters"].is_null()) {
    parameters = &json["rope_parameters"];
    R1_INPUT_CHECK(parameters->is_object(), where, ": rope_parameters must be an object");
    for (auto it = parameters->begin(); it != parameters->end(); ++it)
      R1_INPUT_CHECK(!it->is_object(), where, ": rope_parameters.", it.key(),
                     ": per-layer-type RoPE parameters are not supported");
  }
  config.rope_theta = kDefaultTheta;
  if (parameters && parameters->contains("rope_theta")) {
    config.rope_theta = number(*parameters, "rope_theta", where + ": rope_parameters");
  } else if (json.contains("rope_theta")) {
    config.rope_theta = number(json, "rope_theta", where);
  }
  R1_INPUT_CHECK(config.rope_theta > 1, where, ": rope_theta must be > 1, got ", config.rope_theta);
  // As in transformers 5: a legacy rope_scaling object takes precedence over rope_parameters.
  if (json.contains("rope_scaling") && !json["rope_scaling"].is_null()) {
    read_rope_object(json["rope_scaling"], "rope_scaling", config, where);
  } else if (parameters) {
    read_rope_object(*parameters, "rope_parameters", config, where);
  } else {
    config.rope_scaling = RopeScalingConfig{};
  }
  for (const char* key : {"rope_theta", "rope_scaling", "rope_parameters"})
    if (json.contains(key)) consumed.insert(key);
}

void write_rope(const ModelConfig& config, nlohmann::ordered_json& out) {
  const RopeScalingConfig& rs = config.rope_scaling;
  const std::string hf_type = rs.type == RopeScalingType::none ? "default" : to_string(rs.type);
  nlohmann::ordered_json scaling = nlohmann::ordered_json::object();
  if (rs.type != RopeScalingType::none) scaling["factor"] = rs.factor;
  if (rs.type == RopeScalingType::yarn) {
    R1_INPUT_CHECK(rs.mscale_all_dim > 0 || rs.mscale == 1.0,
                   "model.rope_scaling.mscale: transformers ignores mscale unless mscale_all_dim is set; got mscale ",
                   rs.mscale, " with mscale_all_dim 0");
    R1_INPUT_CHECK(rs.mscale_all_dim == 0 || rs.mscale > 0,
                   "model.rope_scaling.mscale: must be positive when mscale_all_dim is set (transformers)");
    scaling["original_max_position_embeddings"] = rs.original_max_position_embeddings;
    scaling["beta_fast"] = rs.beta_fast;
    scaling["beta_slow"] = rs.beta_slow;
    scaling["mscale"] = rs.mscale;
    scaling["mscale_all_dim"] = rs.mscale_all_dim;
  } else if (rs.type == RopeScalingType::llama3) {
    scaling["low_freq_factor"] = rs.low_freq_factor;
    scaling["high_freq_factor"] = rs.high_freq_factor;
    scaling["original_max_position_embeddings"] = rs.original_max_position_embeddings;
  }
  nlohmann::ordered_json parameters = {{"rope_type", hf_type}, {"rope_theta", config.rope_theta}};
  for (auto it = scaling.begin(); it != scaling.end(); ++it) parameters[it.key()] = it.value();
  out["rope_theta"] = config.rope_theta;
  if (rs.type == RopeScalingType::none) {
    out["rope_scaling"] = nullptr;
  } else {
    nlohmann::ordered_json legacy = {{"type", hf_type}, {"rope_type", hf_type}};
    for (auto it = scaling.begin(); it != scaling.end(); ++it) legacy[it.key()] = it.value();
    out["rope_scaling"] = std::move(legacy);
  }
  out["rope_parameters"] = std::move(parameters);
}

}  // namespace r1::hf
