// ComputeRuntime: Kokkos initialise/finalise, BLAS threads, optional CUDA start.
#include "kernels/runtime.hpp"

#include <Kokkos_Core.hpp>

#include <sstream>

#include "core/error.hpp"
#include "kernels/blas_kernels.hpp"
#include "kernels/host/host_ops.hpp"
#ifdef R1_WITH_CUDA
#include "kernels/cuda/cuda_ops.hpp"
#endif

namespace r1 {

namespace {
int g_blas_threads = 1;
}

ComputeRuntime::ComputeRuntime(int& argc, char** argv, int threads) {
  g_blas_threads = threads < 1 ? 1 : threads;
  if (!Kokkos::is_initialized()) {
    Kokkos::InitArguments args;
    args.num_threads = g_blas_threads;
    args.disable_warnings = true;
    Kokkos::initialize(args);
    owns_kokkos_ = true;
  }
  ops::host::set_blas_threads(g_blas_threads);
  (void)argc;
  (void)argv;
}

ComputeRuntime::~ComputeRuntime() {
  if (owns_kokkos_ && Kokkos::is_initialized()) Kokkos::finalize();
}

void ComputeRuntime::enable_cuda(int local_rank) {
#ifdef R1_WITH_CUDA
  ops::cuda::initialize(local_rank);
#else
  (void)local_rank;
  throw InputError("device: cuda requested but this binary was built without CUDA (configure with the 'cuda' preset)");
#endif
}

void* ComputeRuntime::device_stream() {
#ifdef R1_WITH_CUDA
  return ops::cuda::stream_handle();
#else
  return nullptr;
#endif
}

int64_t ComputeRuntime::device_peak_bytes() {
#ifdef R1_WITH_CUDA
  return ops::cuda::available() ? ops::cuda::memory_stats().peak : 0;
#else
  return 0;
#endif
}

int64_t ComputeRuntime::device_available_bytes() {
#ifdef R1_WITH_CUDA
  return ops::cuda::available() ? ops::cuda::memory_stats().available : -1;
#else
  return -1;
#endif
}

void ComputeRuntime::reset_device_peak() {
#ifdef R1_WITH_CUDA
  if (ops::cuda::available()) ops::cuda::reset_memory_peak();
#endif
}

void ComputeRuntime::synchronize_device() {
#ifdef R1_WITH_CUDA
  if (ops::cuda::available()) ops::cuda::synchronize();
#endif
}

std::string ComputeRuntime::device_op_profile() {
#ifdef R1_WITH_CUDA
  if (ops::cuda::available()) return ops::cuda::op_profile_report();
#endif
  return {};
}

void ComputeRuntime::reset_device_op_profile() {
#ifdef R1_WITH_CUDA
  if (ops::cuda::available()) ops::cuda::op_profile_reset();
#endif
}

std::string ComputeRuntime::host_description() {
  std::ostringstream os;
  os << "Kokkos " << KOKKOS_VERSION / 10000 << "." << (KOKKOS_VERSION / 100) % 100 << "." << KOKKOS_VERSION % 100 << " "
     << Kokkos::DefaultHostExecutionSpace::name() << ", BLAS threads " << g_blas_threads;
  if (std::string blas = blas_kernels_description(); !blas.empty()) os << ", " << blas;
  return os.str();
}

}  // namespace r1
