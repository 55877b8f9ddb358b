// Host backend declarations (Kokkos parallel loops on the default host execution space, GEMMs
// through BLAS), plus helpers shared by the host kernel files.
#pragma once
#include "core/tensor.hpp"
#include "kernels/ops_types.hpp"

namespace r1::ops::host {
#include "kernels/op_signatures.inc"

// Sets the threads BLAS may use inside one rank (OpenBLAS); 1 when ranks fill the cores.
void set_blas_threads(int threads);
}  // namespace r1::ops::host
