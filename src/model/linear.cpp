// Linear layer forward/backward over r1::ops GEMMs.
#include "model/linear.hpp"

namespace r1 {

Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& bias, std::optional<DType> out_dtype) {
  Tensor y = Tensor::empty({x.rows(), w.size(0)}, out_dtype.value_or(x.dtype()), x.device());
  ops::gemm(x, ops::Trans::no, w, ops::Trans::yes, y, 1.0, 0.0);
  if (bias.defined()) ops::bias_add(y, bias);
  return y;
}

void linear_backward(const Tensor& dy, const Tensor& x, const Tensor& w, Tensor& dx, ops::Accumulate acc, const Tensor& dw,
                     const Tensor& dbias) {
  ops::gemm(dy, ops::Trans::no, w, ops::Trans::no, dx, 1.0, acc == ops::Accumulate::yes ? 1.0 : 0.0);
  Tensor dw_mut = dw;
  ops::gemm(dy, ops::Trans::yes, x, ops::Trans::no, dw_mut, 1.0, 1.0);
  if (dbias.defined()) {
    Tensor db = dbias;
    ops::bias_grad(dy, db);
  }
}

Tensor linear_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& dw, const Tensor& dbias) {
  Tensor dx = Tensor::empty({x.rows(), x.cols()}, x.dtype(), x.device());
  linear_backward(dy, x, w, dx, ops::Accumulate::no, dw, dbias);
  return dx;
}

}  // namespace r1
