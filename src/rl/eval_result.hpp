// EvalResult: one row of the evaluation table (stage, which model, pass@1, cons@k, format, length).
#pragma once
#include <cstdint>
#include <string>

namespace r1 {

struct EvalResult {
  std::string stage, model;
  int64_t step = 0, prompts = 0, k = 0;
  double pass_at_1 = 0, cons_at_k = 0, format_rate = 0, length = 0;
};

}  // namespace r1
