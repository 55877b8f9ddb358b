// Which BLAS kernels the host GEMMs run on. OpenBLAS built with DYNAMIC_ARCH picks its kernels from
// the CPU's family/model numbers; a release older than the CPU (Debian 12's 0.3.21 on Intel's
// Sapphire/Emerald Rapids) does not know the model and falls back to its generic "Prescott" SSE3
// kernels, 4x slower than its AVX-512 ones on the same core. r1 checks this first thing in main:
// when OpenBLAS chose Prescott on a CPU with AVX-512 (or AVX2 + FMA) and the user set no
// OPENBLAS_CORETYPE, the process re-executes itself with OPENBLAS_CORETYPE naming the kernels the
// CPU can run (the variable is read only when the library loads). A user's own OPENBLAS_CORETYPE is
// never overridden. Without OpenBLAS (R1_HAVE_OPENBLAS unset) nothing happens.
#pragma once
#include <string>

namespace r1 {

// Returns when nothing is to be done; otherwise execv's /proc/self/exe with the same argv.
void reexec_with_cpu_blas_kernels(char** argv);

// "OpenBLAS 0.3.21 SkylakeX kernels (OPENBLAS_CORETYPE=SkylakeX set by r1: this OpenBLAS chose
// Prescott for this CPU)"; "" without OpenBLAS. Part of ComputeRuntime::host_description().
std::string blas_kernels_description();

}  // namespace r1
