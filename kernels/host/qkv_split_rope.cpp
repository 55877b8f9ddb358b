// Host q/k/v split with bias and RoPE: literally bias_add, copy_columns, rope_apply and (for rows
// addressed through kv_rows) scatter_rows in sequence — the reference the fused GPU kernel matches.
#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

void qkv_split_rope(const Tensor& qkv, const Tensor& bias, int64_t heads, int64_t kv_heads, const Tensor& positions,
                    const Tensor& cos, const Tensor& sin, RopeLayout layout, const Tensor& kv_rows, Tensor& q, Tensor& k,
                    Tensor& v) {
  const int64_t n = qkv.rows(), width = qkv.cols();
  R1_CHECK(heads > 0 && kv_heads > 0 && width % (heads + 2 * kv_heads) == 0, "qkv_split_rope: ", qkv.describe(),
           " is not [N, (", heads, " + 2 x ", kv_heads, ") head_dim]");
  const int64_t d = width / (heads + 2 * kv_heads), qw = heads * d, kw = kv_heads * d;
  R1_CHECK(q.numel() == n * qw, "qkv_split_rope: q ", q.describe(), " should have ", n * qw, " elements");
  R1_CHECK(k.numel() % kw == 0 && v.numel() % kw == 0, "qkv_split_rope: k ", k.describe(), " and v ", v.describe(),
           " are not rows of ", kw);
  Tensor t = qkv.clone();
  if (bias.defined()) bias_add(t, bias);
  Tensor q2 = q.view({n, qw});
  copy_columns(t, 0, q2, 0, qw, Accumulate::no);
  rope_apply(q2, heads, 0, d, positions, cos, sin, layout, RopeDirection::forward);
  Tensor kt = Tensor::empty({n, kw}, k.dtype()), vt = Tensor::empty({n, kw}, v.dtype());
  copy_columns(t, qw, kt, 0, kw, Accumulate::no);
  copy_columns(t, qw + kw, vt, 0, kw, Accumulate::no);
  rope_apply(kt, kv_heads, 0, d, positions, cos, sin, layout, RopeDirection::forward);
  Tensor k2 = k.view({-1, kw}), v2 = v.view({-1, kw});
  if (kv_rows.defined()) {
    scatter_rows(kt, kv_rows, k2, 0);
    scatter_rows(vt, kv_rows, v2, 0);
  } else {
    R1_CHECK(k2.rows() == n && v2.rows() == n, "qkv_split_rope: k and v need ", n, " rows without kv_rows");
    copy_columns(kt, 0, k2, 0, kw, Accumulate::no);
    copy_columns(vt, 0, v2, 0, kw, Accumulate::no);
  }
}

}  // namespace r1::ops::host
