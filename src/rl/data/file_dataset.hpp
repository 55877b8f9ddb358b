// Examples from an HDF5 dataset file (io/formats/dataset_file.hpp): imported with `r1 data import`, or
// written by an earlier stage (rejection sampling, distillation traces). The file's tokenizer must
// be the run's.
#pragma once
#include <string>
#include <vector>

#include "io/tokenizer/tokenizer.hpp"
#include "rl/data/example.hpp"

namespace r1 {

// The first `limit` records (all when limit < 0).
std::vector<Example> load_dataset_examples(const Tokenizer& tokenizer, const std::string& path, int64_t limit = -1);

}  // namespace r1
