// Optimizer: AdamW state over a model's flat parameter buffer (first and second moments, step
// count), the learning-rate schedule (linear warm-up, then constant / linear / cosine decay to
// min_lr_ratio * lr), and global-norm gradient clipping.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"
#include "model/param_store.hpp"
#include "engine/engine_config.hpp"

namespace r1 {

double learning_rate(const OptimConfig& c, int64_t step, int64_t total_steps);  // step is 0-based

class Optimizer {
 public:
  Optimizer(ParamStore& params, const OptimConfig& config, int64_t total_steps);
  // Clips the gradients by the global norm `grad_norm` (computed by the caller across ranks), then
  // takes one AdamW step with the scheduled learning rate. Returns the learning rate used.
  double step(double grad_norm);
  int64_t steps_taken() const { return step_; }
  Tensor& first_moment() { return m_; }
  Tensor& second_moment() { return v_; }
  void set_steps_taken(int64_t s) { step_ = s; }

 private:
  ParamStore& params_;
  OptimConfig config_;
  int64_t total_steps_;
  int64_t step_ = 0;
  Tensor m_, v_;
};

}  // namespace r1
