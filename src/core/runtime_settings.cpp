// The runtime: section, its environment overrides and the process's settings in effect.
#include "core/runtime_settings.hpp"

#include <cstdlib>
#include <mutex>

#include "core/config_visitor.hpp"
#include "core/error.hpp"

namespace r1 {

namespace {

const std::vector<std::pair<TensorTransport, std::string>>& transport_names() {
  static const std::vector<std::pair<TensorTransport, std::string>> names = {
      {TensorTransport::automatic, "automatic"}, {TensorTransport::nccl, "nccl"}, {TensorTransport::mpi, "mpi"}};
  return names;
}

std::string transport_name(TensorTransport t) {
  for (auto& [e, name] : transport_names())
    if (e == t) return name;
  return "?";
}

bool parse_bool(const char* variable, const std::string& value) {
  if (value == "1" || value == "true" || value == "on") return true;
  if (value == "0" || value == "false" || value == "off") return false;
  throw InputError(std::string(variable) + ": '" + value + "' is not a boolean (1/0, true/false, on/off)");
}

struct Settings {
  std::once_flag from_environment;
  RuntimeSettings value;
  bool set = false;
};

Settings& settings() {
  static Settings s;
  return s;
}

}  // namespace

void RuntimeSettings::visit(ConfigVisitor& v) {
  v.field("cuda_graphs", cuda_graphs, "replay decoding rounds as CUDA graphs (env R1_CUDA_GRAPHS)");
  v.field("cuda_wgmma", cuda_wgmma, "Hopper wgmma kernels for the grouped expert GEMMs (env R1_CUDA_WGMMA)");
  v.field("cuda_exact_alloc", cuda_exact_alloc,
          "one exact-size cudaMalloc per tensor, for compute-sanitizer (env R1_CUDA_EXACT_ALLOC)");
  v.field("profile_ops", profile_ops, "time every CUDA op for the benchmarks' per-op report (env R1_PROFILE_OPS)");
  choice(v, "tensor_transport", tensor_transport, transport_names(),
         "GPU tensor traffic: automatic (NCCL) | nccl | mpi (staged through host memory; env R1_TENSOR_TRANSPORT)");
}

std::vector<std::string> apply_environment_overrides(RuntimeSettings& s) {
  std::vector<std::string> lines;
  auto flag = [&](const char* variable, const char* key, bool& field) {
    const char* env = std::getenv(variable);
    if (env == nullptr) return;
    field = parse_bool(variable, env);
    lines.push_back(std::string("runtime.") + key + ": " + (field ? "true" : "false") + " (" + variable + "=" + env +
                    " in the environment)");
  };
  flag("R1_CUDA_GRAPHS", "cuda_graphs", s.cuda_graphs);
  flag("R1_CUDA_WGMMA", "cuda_wgmma", s.cuda_wgmma);
  flag("R1_CUDA_EXACT_ALLOC", "cuda_exact_alloc", s.cuda_exact_alloc);
  flag("R1_PROFILE_OPS", "profile_ops", s.profile_ops);
  if (const char* env = std::getenv("R1_TENSOR_TRANSPORT")) {
    const std::string value = env;
    bool known = false;
    for (auto& [e, name] : transport_names())
      if (name == value) {
        s.tensor_transport = e;
        known = true;
      }
    if (!known) throw InputError("R1_TENSOR_TRANSPORT: '" + value + "' is not one of: automatic, nccl, mpi");
    lines.push_back("runtime.tensor_transport: " + value + " (R1_TENSOR_TRANSPORT=" + value + " in the environment)");
  }
  return lines;
}

const RuntimeSettings& runtime_settings() {
  Settings& s = settings();
  std::call_once(s.from_environment, [&] {
    if (!s.set) apply_environment_overrides(s.value);
  });
  return s.value;
}

void set_runtime_settings(const RuntimeSettings& value) {
  Settings& s = settings();
  std::call_once(s.from_environment, [] {});  // the config's resolution already applied the environment
  s.value = value;
  s.set = true;
}

std::string describe(const RuntimeSettings& s) {
  auto on = [](bool b) { return b ? "on" : "off"; };
  return std::string("cuda_graphs ") + on(s.cuda_graphs) + ", cuda_wgmma " + on(s.cuda_wgmma) + ", cuda_exact_alloc " +
         on(s.cuda_exact_alloc) + ", profile_ops " + on(s.profile_ops) + ", tensor_transport " +
         transport_name(s.tensor_transport);
}

}  // namespace r1
