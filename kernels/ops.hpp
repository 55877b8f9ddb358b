// The one dispatch header: model code calls r1::ops::<op>(tensors...) and the call goes to the
// backend of the tensors' device (kernels/host for Device::host, kernels/cuda for Device::cuda).
// The signatures and their contracts are in op_signatures.inc.
#pragma once
#include "core/tensor.hpp"
#include "kernels/ops_types.hpp"

namespace r1::ops {
#include "kernels/op_signatures.inc"

// Gradient-norm clipping as used by the trainer: the coefficient to multiply gradients by so that
// their global norm (computed across ranks by the caller) is at most max_norm (1 when max_norm <= 0).
double clip_coefficient(double global_norm, double max_norm);

// True when this binary has the CUDA backend compiled in.
bool cuda_compiled();
}  // namespace r1::ops
