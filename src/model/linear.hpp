// Linear layers as used by every module: y = x W^T (+ b), with W stored [out, in] (PyTorch and
// Hugging Face layout), and the matching backward.
#pragma once
#include "core/tensor.hpp"
#include "kernels/ops.hpp"

namespace r1 {

// y [N, out] = x [N, in] W^T + b. `bias` may be an undefined Tensor.
Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor());
// dx [N, in] = dy W (overwritten, or added into dx when acc == yes); dw += dy^T x; db += colsum(dy).
void linear_backward(const Tensor& dy, const Tensor& x, const Tensor& w, Tensor& dx, ops::Accumulate acc, const Tensor& dw,
                     const Tensor& dbias = Tensor());
// Same, returning a fresh dx.
Tensor linear_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& dw, const Tensor& dbias = Tensor());

}  // namespace r1
