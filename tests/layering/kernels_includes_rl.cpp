// Layering probe (tests/layering/tests.cmake): kernels must not see the recipe. Built against
// r1_kernels only; the test passes when the second include is not found.
#include "kernels/ops.hpp"
#include "rl/run_config.hpp"
