// The r1 parameter set of a config and the Hugging Face tensor names that are not r1 parameters
// (see hf_checkpoint_layout.hpp).
#include "io/hf/hf_checkpoint_layout.hpp"

#include <cctype>

#include "model/model.hpp"

namespace r1 {

namespace {
const std::string kLayerPrefix = "model.layers.";

// Parses the decimal number at the start of `s` (no sign, no leading '+'); nullopt if none.
std::optional<int64_t> leading_number(const std::string& s, size_t* length) {
  size_t n = 0;
  while (n < s.size() && n < 18 && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  if (n == 0 || (n > 1 && s[0] == '0')) return std::nullopt;
  *length = n;
  return std::stoll(s.substr(0, n));
}

// "model.layers.<i>.<rest>" -> (i, rest).
std::optional<std::pair<int64_t, std::string>> split_layer_name(const std::string& name) {
  if (name.compare(0, kLayerPrefix.size(), kLayerPrefix) != 0) return std::nullopt;
  std::string tail = name.substr(kLayerPrefix.size());
  size_t len = 0;
  auto index = leading_number(tail, &len);
  if (!index || len >= tail.size() || tail[len] != '.') return std::nullopt;
  return std::make_pair(*index, tail.substr(len + 1));
}
}  // namespace

std::vector<HfParam> model_parameter_list(const ModelConfig& config) {
  std::vector<HfParam> out;
  for (const ParamInfo& p : Model::declared_parameters(config)) out.push_back({p.name, p.shape});
  return out;
}

std::optional<int64_t> hf_layer_index(const std::string& name) {
  auto split = split_layer_name(name);
  if (!split) return std::nullopt;
  return split->first;
}

std::string mtp_copy_name(int64_t layer, MtpCopy what) {
  return kLayerPrefix + std::to_string(layer) + (what == MtpCopy::embedding ? ".embed_tokens.weight" : ".shared_head.head.weight");
}

std::optional<FusedExpertName> parse_fused_expert_name(const std::string& name) {
  auto split = split_layer_name(name);
  if (!split) return std::nullopt;
  if (split->second == "mlp.experts.gate_up_proj") return FusedExpertName{split->first, FusedExpertKind::gate_up};
  if (split->second == "mlp.experts.down_proj") return FusedExpertName{split->first, FusedExpertKind::down};
  return std::nullopt;
}

std::string fused_expert_name(int64_t layer, FusedExpertKind kind) {
  return kLayerPrefix + std::to_string(layer) + (kind == FusedExpertKind::gate_up ? ".mlp.experts.gate_up_proj" : ".mlp.experts.down_proj");
}

std::optional<ExpertParamName> parse_expert_param_name(const std::string& name) {
  auto split = split_layer_name(name);
  if (!split) return std::nullopt;
  const std::string prefix = "mlp.experts.";
  const std::string& rest = split->second;
  if (rest.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  std::string tail = rest.substr(prefix.size());
  size_t len = 0;
  auto expert = leading_number(tail, &len);
  if (!expert || len >= tail.size() || tail[len] != '.') return std::nullopt;
  std::string projection = tail.substr(len + 1);
  const std::string suffix = ".weight";
  if (projection.size() <= suffix.size() || projection.compare(projection.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  projection.resize(projection.size() - suffix.size());
  if (projection != "gate_proj" && projection != "up_proj" && projection != "down_proj") return std::nullopt;
  return ExpertParamName{split->first, *expert, projection};
}

bool is_rotary_buffer_name(const std::string& name) {
  const std::string suffix = "rotary_emb.inv_freq";
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool natural_name_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])), db = std::isdigit(static_cast<unsigned char>(b[j]));
    if (da && db) {
      size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
      // Compare the digit runs as numbers: strip leading zeros, then by length, then lexically.
      size_t zi = i, zj = j;
      while (zi + 1 < ei && a[zi] == '0') ++zi;
      while (zj + 1 < ej && b[zj] == '0') ++zj;
      if (ei - zi != ej - zj) return ei - zi < ej - zj;
      int c = a.compare(zi, ei - zi, b, zj, ej - zj);
      if (c != 0) return c < 0;
      i = ei;
      j = ej;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

}  // namespace r1
