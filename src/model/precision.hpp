// The precision policy in one place: activations and compute weights in the model's activation
// dtype; per-row statistics (RMSNorm rstd, attention log-sum-exp, log-probs, entropy, router logits,
// scores and weights), master weights, gradients and optimizer state one step wider — f32 for bf16
// activations (the CUDA path: bf16 compute, f32 master weights), and equal to the activation dtype
// on the host (f32, or f64 in tests).
#pragma once
#include "core/dtype.hpp"

namespace r1 {

inline DType stat_dtype_for(DType activation) { return activation == DType::bf16 ? DType::f32 : activation; }
inline DType master_dtype_for(DType activation) { return stat_dtype_for(activation); }

}  // namespace r1
