// Host causal attention over packed variable-length sequences (MHA, GQA and MLA head shapes),
// flash-attention style: the forward saves only the log-sum-exp of each row, and the backward
// recomputes the probabilities from it. Scores are formed one block of query rows at a time against
// the keys up to the block's last row (so scratch is [block, T] and blocks above the diagonal are
// never computed); the per-head products are BLAS GEMMs on strided views of [N, H, D].
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <vector>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {
namespace {

constexpr int64_t kQueryBlock = 128;  // query rows per score block

struct AttentionShape {
  int64_t tokens = 0, q_heads = 0, kv_heads = 0, key_dim = 0, value_dim = 0;
  int64_t group() const { return q_heads / kv_heads; }  // query heads per kv head
};

void check_sequences(const char* op, const SeqOffsets& seqs) {
  R1_CHECK(!seqs.empty() && seqs.front() == 0, op, ": sequence offsets must start at 0 (got ",
           seqs.empty() ? std::string("none") : std::to_string(seqs.front()), ")");
  for (size_t s = 0; s + 1 < seqs.size(); ++s)
    R1_CHECK(seqs[s + 1] >= seqs[s], op, ": sequence offsets decrease at index ", s + 1, " (", seqs[s], " -> ",
             seqs[s + 1], ")");
}

// `t` must hold [tokens, heads, dim] (any shape of that numel whose last dimension is dim; a 3-d
// tensor must have tokens rows).
void check_heads_tensor(const char* op, const Tensor& t, const char* name, const AttentionShape& shape, int64_t heads,
                        int64_t dim) {
  check_host(op, t);
  R1_CHECK(t.numel() == shape.tokens * heads * dim && t.cols() == dim && (t.ndim() != 3 || t.size(0) == shape.tokens),
           op, ": ", name, " is ", t.describe(), ", expected [", shape.tokens, ", ", heads, ", ", dim, "]");
}

// Derives N from the offsets, Dk from q's and Dv from v's last dimension, and the head counts from
// the element counts; checks q, k, v against them.
AttentionShape attention_shape(const char* op, const Tensor& q, const Tensor& k, const Tensor& v,
                               const SeqOffsets& seqs) {
  check_sequences(op, seqs);
  check_same_dtype(op, q, k);
  check_same_dtype(op, q, v);
  AttentionShape shape;
  shape.tokens = seqs.back();
  shape.key_dim = q.cols();
  shape.value_dim = v.cols();
  R1_CHECK(shape.key_dim > 0 && shape.value_dim > 0, op, ": empty head dimension in q ", q.describe(), " or v ",
           v.describe());
  R1_CHECK(k.cols() == shape.key_dim, op, ": k ", k.describe(), " and q ", q.describe(), " differ in head dimension");
  if (shape.tokens == 0) {
    R1_CHECK(q.numel() == 0 && k.numel() == 0 && v.numel() == 0, op, ": sequence offsets cover no rows but q is ",
             q.describe());
    return shape;
  }
  int64_t row = shape.tokens * shape.key_dim;
  R1_CHECK(q.numel() % row == 0 && k.numel() % row == 0, op, ": q ", q.describe(), " and k ", k.describe(),
           " are not [", shape.tokens, " rows (from the sequence offsets), heads, ", shape.key_dim, "]");
  shape.q_heads = q.numel() / row;
  shape.kv_heads = k.numel() / row;
  R1_CHECK(shape.kv_heads > 0 && shape.q_heads > 0 && shape.q_heads % shape.kv_heads == 0, op, ": ", shape.q_heads,
           " query heads are not a multiple of ", shape.kv_heads, " kv heads");
  check_heads_tensor(op, q, "q", shape, shape.q_heads, shape.key_dim);
  check_heads_tensor(op, k, "k", shape, shape.kv_heads, shape.key_dim);
  check_heads_tensor(op, v, "v", shape, shape.kv_heads, shape.value_dim);
  return shape;
}

// Turns row[0, keys) of raw scores into causal softmax probabilities over the first `visible`
// entries (the rest become 0) and returns the log-sum-exp of the scaled visible scores.
template <class T>
T causal_softmax_row(T* row, int64_t visible, int64_t keys, T scale) {
  T row_max = scale * row[0];
  for (int64_t j = 1; j < visible; ++j) row_max = std::max(row_max, scale * row[j]);
  double total = 0;
  for (int64_t j = 0; j < visible; ++j) {
    row[j] = std::exp(scale * row[j] - row_max);
    total += double(row[j]);
  }
  T inv_total = T(1.0 / total);
  for (int64_t j = 0; j < visible; ++j) row[j] *= inv_total;
  for (int64_t j = visible; j < keys; ++j) row[j] = T(0);
  return row_max + T(std::log(total));
}

// Strided per-head views: head h of a [N, H, D] tensor starting at row r0 is the matrix
// base + (r0 * H + h) * D with leading dimension H * D.
template <class T>
T* head_view(T* base, int64_t r0, int64_t heads, int64_t head, int64_t dim) {
  return base + (r0 * heads + head) * dim;
}

template <class T>
void forward_impl(const AttentionShape& sh, const T* q, const T* k, const T* v, const SeqOffsets& seqs, double scale,
                  T* out, T* lse) {
  const int64_t hq = sh.q_heads, hkv = sh.kv_heads, dk = sh.key_dim, dv = sh.value_dim, group = sh.group();
  const int64_t ldq = hq * dk, ldk = hkv * dk, ldv = hkv * dv, ldo = hq * dv;
  const int64_t* offsets = seqs.data();
  const int64_t n_seqs = int64_t(seqs.size()) - 1;
  const T scale_t = T(scale);
  // One work item per (sequence, query head): each writes its own rows of out and lse.
  parallel_for("attention_forward", n_seqs * hq, [=](int64_t item) {
    const int64_t s = item / hq, h = item % hq, g = h / group;
    const int64_t r0 = offsets[s], len = offsets[s + 1] - r0;
    if (len == 0) return;
    const T* q_h = head_view(q, r0, hq, h, dk);   // [len, dk], ld ldq
    const T* k_g = head_view(k, r0, hkv, g, dk);  // [len, dk], ld ldk
    const T* v_g = head_view(v, r0, hkv, g, dv);  // [len, dv], ld ldv
    T* out_h = head_view(out, r0, hq, h, dv);     // [len, dv], ld ldo
    T* lse_h = lse + r0 * hq + h;                 // [len], stride hq
    std::vector<T> probs(size_t(std::min(len, kQueryBlock) * len));  // [block rows, keys]
    for (int64_t i0 = 0; i0 < len; i0 += kQueryBlock) {
      const int64_t rows = std::min(kQueryBlock, len - i0), keys = i0 + rows;
      // scores [rows, keys] = Q[i0 : i0+rows] K[0 : keys]^T
      blas_gemm(false, true, rows, keys, dk, 1.0, q_h + i0 * ldq, ldq, k_g, ldk, 0.0, probs.data(), keys);
      for (int64_t r = 0; r < rows; ++r)
        lse_h[(i0 + r) * hq] = causal_softmax_row(probs.data() + r * keys, i0 + r + 1, keys, scale_t);
      // out [rows, dv] = P V[0 : keys]
      blas_gemm(false, false, rows, dv, keys, 1.0, probs.data(), keys, v_g, ldv, 0.0, out_h + i0 * ldo, ldo);
    }
  });
}

template <class T>
void backward_impl(const AttentionShape& sh, const T* q, const T* k, const T* v, const T* out, const T* lse,
                   const T* dout, const SeqOffsets& seqs, double scale, T* dq, T* dk, T* dv) {
  const int64_t hq = sh.q_heads, hkv = sh.kv_heads, kdim = sh.key_dim, vdim = sh.value_dim, group = sh.group();
  const int64_t ldq = hq * kdim, ldk = hkv * kdim, ldv = hkv * vdim, ldo = hq * vdim;
  const int64_t* offsets = seqs.data();
  const int64_t n_seqs = int64_t(seqs.size()) - 1;
  const T scale_t = T(scale);
  // One work item per (sequence, kv head): it alone writes that head's dk/dv rows of the sequence,
  // adding its query heads' contributions in a fixed order, and the dq rows of those query heads.
  parallel_for("attention_backward", n_seqs * hkv, [=](int64_t item) {
    const int64_t s = item / hkv, g = item % hkv;
    const int64_t r0 = offsets[s], len = offsets[s + 1] - r0;
    if (len == 0) return;
    const T* k_g = head_view(k, r0, hkv, g, kdim);  // [len, kdim], ld ldk
    const T* v_g = head_view(v, r0, hkv, g, vdim);  // [len, vdim], ld ldv
    T* dk_g = head_view(dk, r0, hkv, g, kdim);
    T* dv_g = head_view(dv, r0, hkv, g, vdim);
    for (int64_t i = 0; i < len; ++i) {
      std::fill(dk_g + i * ldk, dk_g + i * ldk + kdim, T(0));
      std::fill(dv_g + i * ldv, dv_g + i * ldv + vdim, T(0));
    }
    const size_t block_elems = size_t(std::min(len, kQueryBlock) * len);
    std::vector<T> probs(block_elems);  // [block rows, keys]: P
    std::vector<T> dprobs(block_elems);  // [block rows, keys]: dP, then dS
    for (int64_t h = g * group; h < (g + 1) * group; ++h) {
      const T* q_h = head_view(q, r0, hq, h, kdim);      // [len, kdim], ld ldq
      const T* out_h = head_view(out, r0, hq, h, vdim);  // [len, vdim], ld ldo
      const T* dout_h = head_view(dout, r0, hq, h, vdim);
      const T* lse_h = lse + r0 * hq + h;  // [len], stride hq
      T* dq_h = head_view(dq, r0, hq, h, kdim);
      for (int64_t i0 = 0; i0 < len; i0 += kQueryBlock) {
        const int64_t rows = std::min(kQueryBlock, len - i0), keys = i0 + rows;
        T* p = probs.data();
        T* ds = dprobs.data();
        // P [rows, keys] = exp(scale * Q K^T - lse), causal
        blas_gemm(false, true, rows, keys, kdim, 1.0, q_h + i0 * ldq, ldq, k_g, ldk, 0.0, p, keys);
        // dP [rows, keys] = dO V^T
        blas_gemm(false, true, rows, keys, vdim, 1.0, dout_h + i0 * ldo, ldo, v_g, ldv, 0.0, ds, keys);
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = i0 + r, visible = i + 1;
          const T row_lse = lse_h[i * hq];
          const T* o_row = out_h + i * ldo;
          const T* do_row = dout_h + i * ldo;
          const T d_i = T(sum4(0, vdim, [&](int64_t c) { return double(do_row[c]) * double(o_row[c]); }));  // rowsum(dO * O)
          T* p_row = p + r * keys;
          T* ds_row = ds + r * keys;
          for (int64_t j = 0; j < visible; ++j) {
            p_row[j] = std::exp(scale_t * p_row[j] - row_lse);
            ds_row[j] = p_row[j] * (ds_row[j] - d_i);  // dS = P * (dP - D)
          }
          for (int64_t j = visible; j < keys; ++j) p_row[j] = ds_row[j] = T(0);
        }
        // dQ [rows, kdim] = scale * dS K
        blas_gemm(false, false, rows, kdim, keys, scale, ds, keys, k_g, ldk, 0.0, dq_h + i0 * ldq, ldq);
        // dK [keys, kdim] += scale * dS^T Q
        blas_gemm(true, false, keys, kdim, rows, scale, ds, keys, q_h + i0 * ldq, ldq, 1.0, dk_g, ldk);
        // dV [keys, vdim] += P^T dO
        blas_gemm(true, false, keys, vdim, rows, 1.0, p, keys, dout_h + i0 * ldo, ldo, 1.0, dv_g, ldv);
      }
    }
  });
}

}  // namespace

void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const SeqOffsets& seqs, double scale,
                       Tensor& out, Tensor& lse) {
  const char* op = "attention_forward";
  AttentionShape sh = attention_shape(op, q, k, v, seqs);
  check_same_dtype(op, q, out);
  check_same_dtype(op, q, lse);
  if (sh.tokens == 0) return;
  check_heads_tensor(op, out, "out", sh, sh.q_heads, sh.value_dim);
  check_host(op, lse);
  R1_CHECK(lse.numel() == sh.tokens * sh.q_heads, op, ": lse is ", lse.describe(), ", expected [", sh.tokens, ", ",
           sh.q_heads, "]");
  dispatch_float(q, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    forward_impl<T>(sh, q.data<T>(), k.data<T>(), v.data<T>(), seqs, scale, out.data<T>(), lse.data<T>());
  });
}

void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& lse,
                        const Tensor& dout, const SeqOffsets& seqs, double scale, Tensor& dq, Tensor& dk, Tensor& dv) {
  const char* op = "attention_backward";
  AttentionShape sh = attention_shape(op, q, k, v, seqs);
  for (const Tensor* t : std::initializer_list<const Tensor*>{&out, &lse, &dout, &dq, &dk, &dv})
    check_same_dtype(op, q, *t);
  if (sh.tokens == 0) return;
  check_heads_tensor(op, out, "out", sh, sh.q_heads, sh.value_dim);
  check_heads_tensor(op, dout, "dout", sh, sh.q_heads, sh.value_dim);
  check_heads_tensor(op, dq, "dq", sh, sh.q_heads, sh.key_dim);
  check_heads_tensor(op, dk, "dk", sh, sh.kv_heads, sh.key_dim);
  check_heads_tensor(op, dv, "dv", sh, sh.kv_heads, sh.value_dim);
  check_host(op, lse);
  R1_CHECK(lse.numel() == sh.tokens * sh.q_heads, op, ": lse is ", lse.describe(), ", expected [", sh.tokens, ", ",
           sh.q_heads, "]");
  dispatch_float(q, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    backward_impl<T>(sh, q.data<T>(), k.data<T>(), v.data<T>(), out.data<T>(), lse.data<T>(), dout.data<T>(), seqs,
                     scale, dq.data<T>(), dk.data<T>(), dv.data<T>());
  });
}

}  // namespace r1::ops::host
