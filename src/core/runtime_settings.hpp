// Run settings that change kernels or transports but not the recipe: what the R1_* environment
// variables used to switch. They live in the config's `runtime:` section, are resolved once at start
// (config, then environment overrides for debugging), printed with the resolved config, written to
// <run_dir>/config.yaml and so into every checkpoint. Kernels and transports read them through
// runtime_settings(); processes that load no config (tests, benches) get the defaults plus the
// environment.
#pragma once
#include <string>
#include <vector>

namespace r1 {

class ConfigVisitor;

enum class TensorTransport { automatic, nccl, mpi };

struct RuntimeSettings {
  bool cuda_graphs = true;        // R1_CUDA_GRAPHS: replay decoding rounds as CUDA graphs
  bool cuda_wgmma = true;         // R1_CUDA_WGMMA: Hopper wgmma grouped GEMMs (off: cuBLAS / mma.sync)
  bool cuda_exact_alloc = false;  // R1_CUDA_EXACT_ALLOC: one exact cudaMalloc per tensor (for compute-sanitizer)
  bool profile_ops = false;       // R1_PROFILE_OPS: time every CUDA op (a report per benchmark window)
  // R1_TENSOR_TRANSPORT: GPU tensor traffic through NCCL, or staged through host memory and MPI
  // (several ranks on one GPU, or a site whose NCCL does not work); automatic: NCCL for GPU tensors.
  TensorTransport tensor_transport = TensorTransport::automatic;
  void visit(ConfigVisitor& v);
};

// Applies the R1_* environment variables set in this process to `s`; returns one line per override
// ("runtime.cuda_graphs: false (R1_CUDA_GRAPHS=0 in the environment)"). A value that is not a
// boolean / not a transport name is an InputError naming the variable.
std::vector<std::string> apply_environment_overrides(RuntimeSettings& s);

// The settings in effect. Before set_runtime_settings: the defaults with environment overrides.
const RuntimeSettings& runtime_settings();
void set_runtime_settings(const RuntimeSettings& s);

// "cuda_graphs on, cuda_wgmma on, cuda_exact_alloc off, profile_ops off, tensor_transport automatic"
std::string describe(const RuntimeSettings& s);

}  // namespace r1
