// TEMPORARY (removed when the kernels below are implemented): throwing definitions so the tree links.
#include "kernels/host/host_ops.hpp"
namespace r1::ops::host {
void embedding_forward(const Tensor& ids, const Tensor& table, Tensor& out) { throw Error("embedding_forward: pending"); }
void embedding_backward(const Tensor& ids, const Tensor& dout, Tensor& dtable) { throw Error("embedding_backward: pending"); }
void rmsnorm_forward(const Tensor& x, const Tensor& w, double eps, Tensor& y, Tensor& rstd) { throw Error("rmsnorm_forward: pending"); }
void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& rstd, Tensor& dx, Tensor& dw) { throw Error("rmsnorm_backward: pending"); }
void rope_apply(Tensor& x, int64_t heads, int64_t col_offset, int64_t rope_dim, const Tensor& positions, const Tensor& cos, const Tensor& sin, RopeLayout layout, RopeDirection direction) { throw Error("rope_apply: pending"); }
void mla_assemble_keys(const Tensor& k_nope, const Tensor& k_rope, Tensor& k) { throw Error("mla_assemble_keys: pending"); }
void mla_assemble_keys_backward(const Tensor& dk, Tensor& dk_nope, Tensor& dk_rope) { throw Error("mla_assemble_keys_backward: pending"); }
void swiglu_forward(const Tensor& gate_up, Tensor& out) { throw Error("swiglu_forward: pending"); }
void swiglu_backward(const Tensor& gate_up, const Tensor& dout, Tensor& dgate_up) { throw Error("swiglu_backward: pending"); }
void adamw_step(Tensor& params, const Tensor& grads, Tensor& m, Tensor& v, const std::vector<ParamSegment>& segments, const AdamWParams& p) { throw Error("adamw_step: pending"); }
}
