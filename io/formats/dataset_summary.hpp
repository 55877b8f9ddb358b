// Summary statistics of a dataset file, computed from its offsets only (no token is read): record
// count and the total / min / mean / max token length of prompts and responses. Used by
// `r1 data info` and by runs that log what they train on.
#pragma once
#include <cstdint>

#include "io/formats/dataset_file.hpp"

namespace r1 {

struct TokenLengthStats {
  int64_t total = 0, min = 0, max = 0;
  double mean = 0;
};

struct DatasetSummary {
  int64_t records = 0;
  bool has_prompts = false, has_responses = false;
  TokenLengthStats prompt, response;
};

DatasetSummary summarize_dataset(const DatasetReader& reader);

}  // namespace r1
