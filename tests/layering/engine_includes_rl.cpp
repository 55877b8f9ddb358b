// Layering probe (tests/layering/tests.cmake): the engine must not see the recipe. Built against
// r1_engine only; the test passes when the second include is not found.
#include "engine/update_step.hpp"
#include "rl/run_context.hpp"
