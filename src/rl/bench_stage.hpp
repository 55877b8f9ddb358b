// The stage a benchmark (`r1 bench train`, `r1 bench grpo`) times: the one named by `wanted` (its
// name or index), which must be of one of `kinds`, or without a name the first stage of those kinds.
// Bad choices are input errors naming the config, e.g. "no 'x' stage to benchmark" or "stage 'eval'
// is a eval stage; r1 bench grpo times grpo stages".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rl/run_config.hpp"

namespace r1 {

int64_t bench_stage_index(const RunConfig& c, const std::string& config_file, const std::string& wanted,
                          const std::vector<StageKind>& kinds, const std::string& command);

}  // namespace r1
