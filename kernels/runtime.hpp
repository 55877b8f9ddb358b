// Process-wide start-up of the compute backends: Kokkos (host execution space), the BLAS thread
// count, and the CUDA backend when built in and asked for. Held by main (and the test fixture) for
// the life of the process so no other code touches Kokkos or CUDA initialisation.
#pragma once
#include <string>

namespace r1 {

class ComputeRuntime {
 public:
  // threads: host threads per rank for Kokkos (an OpenMP build) and BLAS.
  ComputeRuntime(int& argc, char** argv, int threads);
  ~ComputeRuntime();
  ComputeRuntime(const ComputeRuntime&) = delete;
  ComputeRuntime& operator=(const ComputeRuntime&) = delete;

  // Starts the CUDA backend on GPU (local_rank mod device count); throws if unavailable.
  static void enable_cuda(int local_rank);
  static std::string host_description();  // e.g. "Kokkos 3.4.1 Serial, BLAS threads 1, OpenBLAS 0.3.21 Zen kernels"
  // Device memory through r1's allocator (0 without CUDA): peak since the last reset, in bytes.
  static int64_t device_peak_bytes();
  static void reset_device_peak();
  // Bytes r1 can still allocate on the device (its free memory plus r1's cached blocks); -1 without
  // a device (host memory is not budgeted).
  static int64_t device_available_bytes();
  static void synchronize_device();
  // The CUDA stream every r1 kernel runs on, as a cudaStream_t (nullptr without CUDA): for NCCL.
  static void* device_stream();
  // Per-op GPU times (runtime.profile_ops, R1_PROFILE_OPS=1): the report of the window since the last call or reset,
  // empty when profiling is off or without CUDA.
  static std::string device_op_profile();
  static void reset_device_op_profile();

 private:
  bool owns_kokkos_ = false;
};

}  // namespace r1
