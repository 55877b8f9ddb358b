// The OpenBLAS kernel check of blas_kernels.hpp (compiled in with R1_HAVE_OPENBLAS, like the BLAS
// thread control in host/gemm.cpp).
#include "kernels/blas_kernels.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifdef R1_HAVE_OPENBLAS
extern "C" {
char* openblas_get_corename(void);
char* openblas_get_config(void);
}
#endif

namespace r1 {

#ifdef R1_HAVE_OPENBLAS
namespace {

constexpr const char* kChosenByR1 = "R1_OPENBLAS_CORETYPE_FROM";  // set on re-exec: what OpenBLAS had chosen

// The newest kernel family of OpenBLAS 0.3.21+ this CPU can run, or nullptr.
const char* kernels_this_cpu_runs() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}

}  // namespace

void reexec_with_cpu_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv(kChosenByR1)) return;
  const char* chosen = openblas_get_corename();
  if (!chosen || std::strcmp(chosen, "Prescott") != 0) return;
  const char* better = kernels_this_cpu_runs();
  if (!better) return;
  setenv(kChosenByR1, chosen, 1);
  setenv("OPENBLAS_CORETYPE", better, 1);
  execv("/proc/self/exe", argv);
  // exec failed: carry on with the generic kernels, as before.
  unsetenv("OPENBLAS_CORETYPE");
  std::fprintf(stderr, "r1: note: OpenBLAS chose its generic Prescott kernels for this CPU and r1 could not restart "
                       "with OPENBLAS_CORETYPE=%s (set it yourself for faster host GEMMs)\n", better);
}

std::string blas_kernels_description() {
  std::string config = openblas_get_config();
  std::string version = config.substr(0, config.find(' ', config.find(' ') + 1));  // "OpenBLAS 0.3.21"
  std::string s = version + " " + openblas_get_corename() + " kernels";
  if (const char* from = std::getenv(kChosenByR1))
    s += std::string(" (OPENBLAS_CORETYPE=") + std::getenv("OPENBLAS_CORETYPE") + " set by r1: this OpenBLAS chose " + from +
         " for this CPU)";
  return s;
}

#else
void reexec_with_cpu_blas_kernels(char**) {}
std::string blas_kernels_description() { return ""; }
#endif

}  // namespace r1
