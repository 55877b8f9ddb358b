// Layering probe (tests/layering/tests.cmake): parallel must reach the GPU through kernels'
// public API, never the CUDA backend's own header. Built against r1_parallel only; the test passes
// when the second include is not found.
#include "parallel/comm.hpp"
#include "kernels/cuda/cuda_ops.hpp"
