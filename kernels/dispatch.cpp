// Routes each r1::ops entry point to the backend of its tensors' device. Tensors of one call must
// share a device; mixing is a programming error reported with the op name.
#include <string>

#include "kernels/host/host_ops.hpp"
#include "kernels/ops.hpp"
#ifdef R1_WITH_CUDA
#include "kernels/cuda/cuda_ops.hpp"
#endif

namespace r1::ops {

namespace {
[[noreturn]] void no_cuda(const char* op) {
  throw Error(std::string(op) + ": tensor is on the cuda device but this binary was built without CUDA");
}
}  // namespace

#ifdef R1_WITH_CUDA
#define R1_DISPATCH(dev, name, ...)                                            \
  do {                                                                         \
    if ((dev) == Device::cuda) {                                               \
      ::r1::ops::cuda::OpProfileScope r1_profile_scope_(#name);                \
      return ::r1::ops::cuda::name(__VA_ARGS__);                               \
    }                                                                          \
    return ::r1::ops::host::name(__VA_ARGS__);                                 \
  } while (0)
bool cuda_compiled() { return true; }
#else
#define R1_DISPATCH(dev, name, ...)                                            \
  do {                                                                         \
    if ((dev) == Device::cuda) no_cuda(#name);                                 \
    return ::r1::ops::host::name(__VA_ARGS__);                                 \
  } while (0)
bool cuda_compiled() { return false; }
#endif

void fill(Tensor& x, double value) { R1_DISPATCH(x.device(), fill, x, value); }
void add(const Tensor& a, const Tensor& b, Tensor& out) { R1_DISPATCH(out.device(), add, a, b, out); }
void axpy(double alpha, const Tensor& x, Tensor& y) { R1_DISPATCH(y.device(), axpy, alpha, x, y); }
void scale(Tensor& x, double s) { R1_DISPATCH(x.device(), scale, x, s); }
void mul(const Tensor& a, const Tensor& b, Tensor& out) { R1_DISPATCH(out.device(), mul, a, b, out); }
double sum_squares(const Tensor& x) { R1_DISPATCH(x.device(), sum_squares, x); }
double sum(const Tensor& x) { R1_DISPATCH(x.device(), sum, x); }
std::vector<double> sum_squares_each(const std::vector<Tensor>& parts) {
  R1_DISPATCH(parts.empty() ? Device::host : parts.front().device(), sum_squares_each, parts);
}
void convert(const Tensor& src, Tensor& dst) { R1_DISPATCH(dst.device(), convert, src, dst); }
void copy_columns(const Tensor& src, int64_t src_col, Tensor& dst, int64_t dst_col, int64_t ncols, Accumulate acc) {
  R1_DISPATCH(dst.device(), copy_columns, src, src_col, dst, dst_col, ncols, acc);
}

void gemm(const Tensor& a, Trans ta, const Tensor& b, Trans tb, Tensor& c, double alpha, double beta) {
  R1_DISPATCH(c.device(), gemm, a, ta, b, tb, c, alpha, beta);
}
void grouped_gemm(const Tensor& x, const Tensor& w, Trans tw, const std::vector<int64_t>& offsets, Tensor& y) {
  R1_DISPATCH(y.device(), grouped_gemm, x, w, tw, offsets, y);
}
void grouped_gemm_weight_grad(const Tensor& dy, const Tensor& x, const std::vector<int64_t>& offsets, Tensor& dw) {
  R1_DISPATCH(dw.device(), grouped_gemm_weight_grad, dy, x, offsets, dw);
}
void bias_add(Tensor& y, const Tensor& b) { R1_DISPATCH(y.device(), bias_add, y, b); }
void bias_grad(const Tensor& dy, Tensor& db) { R1_DISPATCH(db.device(), bias_grad, dy, db); }

void embedding_forward(const Tensor& ids, const Tensor& table, Tensor& out) {
  R1_DISPATCH(out.device(), embedding_forward, ids, table, out);
}
void embedding_backward(const Tensor& ids, const Tensor& dout, Tensor& dtable) {
  R1_DISPATCH(dtable.device(), embedding_backward, ids, dout, dtable);
}

void rmsnorm_forward(const Tensor& x, const Tensor& w, double eps, Tensor& y, Tensor& rstd) {
  R1_DISPATCH(y.device(), rmsnorm_forward, x, w, eps, y, rstd);
}
void add_rmsnorm_forward(const Tensor& x, const Tensor& y, const Tensor& w, double eps, Tensor& sum, Tensor& normed,
                         Tensor& rstd) {
  R1_DISPATCH(normed.device(), add_rmsnorm_forward, x, y, w, eps, sum, normed, rstd);
}
void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& rstd, Tensor& dx, Tensor& dw) {
  R1_DISPATCH(dx.device(), rmsnorm_backward, dy, x, w, rstd, dx, dw);
}

void rope_apply(Tensor& x, int64_t heads, int64_t col_offset, int64_t rope_dim, const Tensor& positions,
                const Tensor& cos, const Tensor& sin, RopeLayout layout, RopeDirection direction) {
  R1_DISPATCH(x.device(), rope_apply, x, heads, col_offset, rope_dim, positions, cos, sin, layout, direction);
}

void qkv_split_rope(const Tensor& qkv, const Tensor& bias, int64_t heads, int64_t kv_heads, const Tensor& positions,
                    const Tensor& cos, const Tensor& sin, RopeLayout layout, const Tensor& kv_rows, Tensor& q, Tensor& k,
                    Tensor& v) {
  R1_DISPATCH(q.device(), qkv_split_rope, qkv, bias, heads, kv_heads, positions, cos, sin, layout, kv_rows, q, k, v);
}

void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const SeqOffsets& seqs, double scale,
                       Tensor& out, Tensor& lse) {
  R1_DISPATCH(out.device(), attention_forward, q, k, v, seqs, scale, out, lse);
}
void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& lse,
                        const Tensor& dout, const SeqOffsets& seqs, double scale, Tensor& dq, Tensor& dk, Tensor& dv) {
  R1_DISPATCH(dq.device(), attention_backward, q, k, v, out, lse, dout, seqs, scale, dq, dk, dv);
}

void mla_assemble_keys(const Tensor& k_nope, const Tensor& k_rope, Tensor& k) {
  R1_DISPATCH(k.device(), mla_assemble_keys, k_nope, k_rope, k);
}
void mla_assemble_keys_backward(const Tensor& dk, Tensor& dk_nope, Tensor& dk_rope) {
  R1_DISPATCH(dk.device(), mla_assemble_keys_backward, dk, dk_nope, dk_rope);
}

void swiglu_forward(const Tensor& gate_up, Tensor& out) { R1_DISPATCH(out.device(), swiglu_forward, gate_up, out); }
void swiglu_backward(const Tensor& gate_up, const Tensor& dout, Tensor& dgate_up) {
  R1_DISPATCH(dgate_up.device(), swiglu_backward, gate_up, dout, dgate_up);
}

void router_forward(const Tensor& logits, const Tensor& bias, const RouterParams& p, Tensor& scores,
                    Tensor& topk_idx, Tensor& topk_weight) {
  R1_DISPATCH(scores.device(), router_forward, logits, bias, p, scores, topk_idx, topk_weight);
}
void router_backward(const Tensor& scores, const Tensor& topk_idx, const Tensor& dweight, const RouterParams& p,
                     Tensor& dlogits) {
  R1_DISPATCH(dlogits.device(), router_backward, scores, topk_idx, dweight, p, dlogits);
}
double router_seq_aux_loss(const Tensor& scores, const Tensor& topk_idx, const SeqOffsets& seqs, double alpha,
                           const RouterParams& p, double weight, Tensor& dlogits) {
  R1_DISPATCH(dlogits.device(), router_seq_aux_loss, scores, topk_idx, seqs, alpha, p, weight, dlogits);
}

void moe_build_routing(const Tensor& topk_idx, int64_t n_experts, MoeRouting& routing) {
  R1_DISPATCH(topk_idx.device(), moe_build_routing, topk_idx, n_experts, routing);
}
void moe_gather(const Tensor& x, const MoeRouting& routing, Tensor& xp) { R1_DISPATCH(xp.device(), moe_gather, x, routing, xp); }
void moe_gather_backward(const Tensor& dxp, const MoeRouting& routing, Tensor& dx) {
  R1_DISPATCH(dx.device(), moe_gather_backward, dxp, routing, dx);
}
void moe_scatter(const Tensor& yp, const Tensor& weight, const MoeRouting& routing, Tensor& y, Accumulate acc) {
  R1_DISPATCH(y.device(), moe_scatter, yp, weight, routing, y, acc);
}
void moe_scatter_backward(const Tensor& dy, const Tensor& yp, const Tensor& weight, const MoeRouting& routing,
                          Tensor& dyp, Tensor& dweight) {
  R1_DISPATCH(dyp.device(), moe_scatter_backward, dy, yp, weight, routing, dyp, dweight);
}

void lm_head_forward(const Tensor& h, const Tensor& w, const Tensor& targets, double logit_scale, int64_t chunk_rows,
                     Tensor& logp, Tensor& lse, Tensor& entropy) {
  R1_DISPATCH(logp.device(), lm_head_forward, h, w, targets, logit_scale, chunk_rows, logp, lse, entropy);
}
void lm_head_backward(const Tensor& h, const Tensor& w, const Tensor& targets, const Tensor& lse, const Tensor& dlogp,
                      double logit_scale, int64_t chunk_rows, Tensor& dh, Tensor& dw) {
  R1_DISPATCH(dh.device(), lm_head_backward, h, w, targets, lse, dlogp, logit_scale, chunk_rows, dh, dw);
}
void lm_head_forward_saving(const Tensor& h, const Tensor& w, const Tensor& targets, double logit_scale,
                            int64_t chunk_rows, Tensor& logp, Tensor& lse, Tensor& entropy, Tensor& unit_dlogits) {
  R1_DISPATCH(logp.device(), lm_head_forward_saving, h, w, targets, logit_scale, chunk_rows, logp, lse, entropy,
              unit_dlogits);
}
void lm_head_backward_saved(const Tensor& h, const Tensor& w, const Tensor& unit_dlogits, const Tensor& dlogp,
                            double logit_scale, Tensor& dh, Tensor& dw) {
  R1_DISPATCH(dh.device(), lm_head_backward_saved, h, w, unit_dlogits, dlogp, logit_scale, dh, dw);
}

void scatter_rows(const Tensor& src, const Tensor& rows, Tensor& dst, int64_t dst_col) {
  R1_DISPATCH(dst.device(), scatter_rows, src, rows, dst, dst_col);
}
void gather_rows(const Tensor& src, const Tensor& rows, Tensor& dst) { R1_DISPATCH(dst.device(), gather_rows, src, rows, dst); }
void attention_cached(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, int64_t v_dim,
                      const Tensor& row_slot, const Tensor& row_pos, double scale, Tensor& out) {
  R1_DISPATCH(out.device(), attention_cached, q, k_cache, v_cache, v_dim, row_slot, row_pos, scale, out);
}
void sample_tokens(const Tensor& logits, const SamplingParams& p, const Tensor& uniforms, Tensor& tokens) {
  R1_DISPATCH(logits.device(), sample_tokens, logits, p, uniforms, tokens);
}
void token_logprobs(const Tensor& logits, const Tensor& tokens, double scale, Tensor& logp) {
  R1_DISPATCH(logits.device(), token_logprobs, logits, tokens, scale, logp);
}

void adamw_step(Tensor& params, const Tensor& grads, Tensor& m, Tensor& v, const std::vector<ParamSegment>& segments,
                const AdamWParams& p, Tensor& weights) {
  R1_DISPATCH(params.device(), adamw_step, params, grads, m, v, segments, p, weights);
}

double clip_coefficient(double global_norm, double max_norm) {
  if (max_norm <= 0 || !(global_norm > max_norm)) return 1.0;
  return max_norm / (global_norm + 1e-6);
}

}  // namespace r1::ops
