// Sharing examples produced on each rank (rejection sampling, distillation traces) with every rank,
// in rank order, so the following stage sees one global dataset.
#pragma once
#include <vector>

#include "parallel/comm.hpp"
#include "rl/data/example.hpp"

namespace r1 {

std::vector<Example> allgather_examples(const Comm& comm, const std::vector<Example>& mine);

}  // namespace r1
