// Writing an SFT set produced inside a recipe (rejection sampling, distillation traces) as an HDF5
// dataset file (io/formats/dataset_file.hpp), so it can be inspected with `r1 data info` and reused.
#pragma once
#include <string>
#include <vector>

#include "rl/data/example.hpp"
#include "rl/run_context.hpp"

namespace r1 {

// Writes on rank 0 to `path` (default: <run_dir>/<stage name>.h5); returns the path written.
std::string write_sft_dataset(RunContext& ctx, const StageConfig& stage, const std::string& path,
                              const std::vector<Example>& examples);

}  // namespace r1
