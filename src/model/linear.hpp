// Linear layers as used by every module: y = x W^T (+ b), with W stored [out, in] (PyTorch and
// Hugging Face layout), and the matching backward.
#pragma once
#include <optional>

#include "core/tensor.hpp"
#include "kernels/ops.hpp"

namespace r1 {

// y [N, out] = x [N, in] W^T + b. `bias` may be an undefined Tensor. y has x's dtype unless
// `out_dtype` says otherwise (f32 router logits from bf16 activations).
Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor(),
                      std::optional<DType> out_dtype = std::nullopt);
// dx [N, in] = dy W (overwritten, or added into dx when acc == yes); dw += dy^T x; db += colsum(dy).
void linear_backward(const Tensor& dy, const Tensor& x, const Tensor& w, Tensor& dx, ops::Accumulate acc, const Tensor& dw,
                     const Tensor& dbias = Tensor());
// Same, returning a fresh dx.
Tensor linear_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& dw, const Tensor& dbias = Tensor());

}  // namespace r1
