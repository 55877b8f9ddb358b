// Layering probe (tests/layering/tests.cmake): the model must not see file formats (io sits above
// model). Built against r1_model only; the test passes when the second include is not found.
#include "model/model_config.hpp"
#include "io/hf/hf_config.hpp"
