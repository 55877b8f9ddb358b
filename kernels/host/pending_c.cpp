// TEMPORARY (removed when the kernels below are implemented): throwing definitions so the tree links.
#include "kernels/host/host_ops.hpp"
namespace r1::ops::host {
void router_forward(const Tensor& logits, const Tensor& bias, const RouterParams& p, Tensor& scores, Tensor& topk_idx, Tensor& topk_weight) { throw Error("router_forward: pending"); }
void router_backward(const Tensor& scores, const Tensor& topk_idx, const Tensor& dweight, const RouterParams& p, Tensor& dlogits) { throw Error("router_backward: pending"); }
double router_seq_aux_loss(const Tensor& scores, const Tensor& topk_idx, const SeqOffsets& seqs, double alpha, const RouterParams& p, double weight, Tensor& dlogits) { throw Error("router_seq_aux_loss: pending"); }
void moe_build_routing(const Tensor& topk_idx, int64_t n_experts, MoeRouting& routing) { throw Error("moe_build_routing: pending"); }
void moe_gather(const Tensor& x, const MoeRouting& routing, Tensor& xp) { throw Error("moe_gather: pending"); }
void moe_gather_backward(const Tensor& dxp, const MoeRouting& routing, Tensor& dx) { throw Error("moe_gather_backward: pending"); }
void moe_scatter(const Tensor& yp, const Tensor& weight, const MoeRouting& routing, Tensor& y, Accumulate acc) { throw Error("moe_scatter: pending"); }
void moe_scatter_backward(const Tensor& dy, const Tensor& yp, const Tensor& weight, const MoeRouting& routing, Tensor& dyp, Tensor& dweight) { throw Error("moe_scatter_backward: pending"); }
void lm_head_forward(const Tensor& h, const Tensor& w, const Tensor& targets, double logit_scale, int64_t chunk_rows, Tensor& logp, Tensor& lse, Tensor& entropy) { throw Error("lm_head_forward: pending"); }
void lm_head_backward(const Tensor& h, const Tensor& w, const Tensor& targets, const Tensor& lse, const Tensor& dlogp, double logit_scale, int64_t chunk_rows, Tensor& dh, Tensor& dw) { throw Error("lm_head_backward: pending"); }
}
