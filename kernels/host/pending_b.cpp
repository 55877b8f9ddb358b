// TEMPORARY (removed when the kernels below are implemented): throwing definitions so the tree links.
#include "kernels/host/host_ops.hpp"
namespace r1::ops::host {
void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const SeqOffsets& seqs, double scale, Tensor& out, Tensor& lse) { throw Error("attention_forward: pending"); }
void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& lse, const Tensor& dout, const SeqOffsets& seqs, double scale, Tensor& dq, Tensor& dk, Tensor& dv) { throw Error("attention_backward: pending"); }
}
