// Layering probe (tests/layering/tests.cmake): the host backend's headers are private to
// r1_kernels. Built against r1_rl; the test passes when the second include is not found.
#include "rl/run_config.hpp"
#include "kernels/host/host_ops.hpp"
