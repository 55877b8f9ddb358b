// AdamW state, learning-rate schedule and clipping.
#include "engine/optimizer.hpp"

#include <cmath>

#include "kernels/ops.hpp"

namespace r1 {

double learning_rate(const OptimConfig& c, int64_t step, int64_t total_steps) {
  if (c.warmup_steps > 0 && step < c.warmup_steps) return c.lr * double(step + 1) / double(c.warmup_steps);
  if (c.schedule == LrSchedule::constant) return c.lr;
  double span = double(std::max<int64_t>(1, total_steps - c.warmup_steps));
  double progress = std::min(1.0, double(step - c.warmup_steps) / span);
  double floor = c.lr * c.min_lr_ratio;
  if (c.schedule == LrSchedule::linear) return c.lr - (c.lr - floor) * progress;
  return floor + 0.5 * (c.lr - floor) * (1.0 + std::cos(M_PI * progress));
}

Optimizer::Optimizer(ParamStore& params, const OptimConfig& config, int64_t total_steps)
    : params_(params), config_(config), total_steps_(total_steps) {
  const Tensor& values = params.flat_values();
  m_ = Tensor::zeros(values.shape(), values.dtype(), values.device());
  v_ = Tensor::zeros(values.shape(), values.dtype(), values.device());
}

double Optimizer::step(double grad_norm) {
  const double coefficient = ops::clip_coefficient(grad_norm, config_.grad_clip);
  double lr = learning_rate(config_, step_, total_steps_);
  ops::AdamWParams p;
  p.lr = lr;
  p.beta1 = config_.beta1;
  p.beta2 = config_.beta2;
  p.eps = config_.eps;
  p.weight_decay = config_.weight_decay;
  p.step = ++step_;
  p.grad_scale = coefficient;  // clipping applied as the gradients are read
  // The bf16 compute copy follows the f32 master weights in the same pass (trainable ranges; the
  // others do not change here).
  Tensor none;
  ops::adamw_step(params_.flat_values(), params_.flat_grads(), m_, v_, params_.optimizer_segments(), p,
                  params_.separate_weights() ? params_.flat_weights() : none);
  return lr;
}

}  // namespace r1
