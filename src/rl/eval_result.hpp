// EvalResult: one row of the evaluation table (stage, which model, pass@1, pass@k and maj@k for every
// k, cons@k, format, length).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

struct EvalResult {
  std::string stage, model;
  int64_t step = 0, prompts = 0, k = 0;
  double pass_at_1 = 0, cons_at_k = 0, format_rate = 0, length = 0;
  std::vector<double> pass_at, maj_at;  // index k - 1: unbiased pass@k and maj@k for k = 1..k (may be empty)
};

}  // namespace r1
