// Host Multi-head Latent Attention key assembly: per-head keys are the head's own no-position part
// followed by the rotary part shared by all heads, k[n, h, :] = [k_nope[n, h, :], k_rope[n, :]].
// The backward splits dk back and sums the shared part over heads in head order (deterministic).
#include <algorithm>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

namespace {
struct MlaKeyDims {
  int64_t tokens = 0, heads = 0, nope = 0, rope = 0;
};

// Reads [N, H, nope] / [N, rope] / [N, H, nope + rope] from the shapes: rope is k_rope's last
// dimension, nope + rope is k's last dimension, N and H follow from the element counts.
MlaKeyDims mla_key_dims(const char* op, const Tensor& k_nope, const Tensor& k_rope, const Tensor& k) {
  check_same_dtype(op, k_nope, k);
  check_same_dtype(op, k_rope, k);
  MlaKeyDims dims;
  dims.rope = k_rope.cols();
  dims.nope = k.cols() - dims.rope;
  R1_CHECK(dims.rope > 0 && dims.nope >= 0, op, ": key width ", k.cols(), " cannot hold rotary part ", k_rope.describe());
  dims.tokens = k_rope.rows();
  int64_t per_token = k.cols();
  R1_CHECK(dims.tokens > 0 ? k.numel() % (dims.tokens * per_token) == 0 : k.numel() == 0, op, ": keys ", k.describe(),
           " are not [", dims.tokens, ", heads, ", per_token, "]");
  dims.heads = dims.tokens > 0 ? k.numel() / (dims.tokens * per_token) : 0;
  check_numel(op, k_nope, dims.tokens * dims.heads * dims.nope, "k_nope");
  return dims;
}
}  // namespace

void mla_assemble_keys(const Tensor& k_nope, const Tensor& k_rope, Tensor& k) {
  MlaKeyDims dims = mla_key_dims("mla_assemble_keys", k_nope, k_rope, k);
  int64_t heads = dims.heads, nope = dims.nope, rope = dims.rope, width = nope + rope;
  dispatch_float(k, "mla_assemble_keys", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *pn = k_nope.data<T>(), *pr = k_rope.data<T>();  // [N, H, nope], [N, rope]
    T* pk = k.data<T>();                                      // [N, H, nope + rope]
    parallel_for("mla_assemble_keys", dims.tokens * heads, [=](int64_t nh) {
      int64_t n = nh / heads;
      T* dst = pk + nh * width;
      std::copy(pn + nh * nope, pn + (nh + 1) * nope, dst);
      std::copy(pr + n * rope, pr + (n + 1) * rope, dst + nope);
    });
  });
}

void mla_assemble_keys_backward(const Tensor& dk, Tensor& dk_nope, Tensor& dk_rope) {
  MlaKeyDims dims = mla_key_dims("mla_assemble_keys_backward", dk_nope, dk_rope, dk);
  int64_t heads = dims.heads, nope = dims.nope, rope = dims.rope, width = nope + rope;
  dispatch_float(dk, "mla_assemble_keys_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pk = dk.data<T>();  // [N, H, nope + rope]
    T *pn = dk_nope.data<T>(), *pr = dk_rope.data<T>();
    parallel_for("mla_assemble_keys_backward", dims.tokens, [=](int64_t n) {
      T* rope_out = pr + n * rope;  // [rope]
      std::fill(rope_out, rope_out + rope, T(0));
      for (int64_t h = 0; h < heads; ++h) {
        const T* src = pk + (n * heads + h) * width;
        std::copy(src, src + nope, pn + (n * heads + h) * nope);
        for (int64_t j = 0; j < rope; ++j) rope_out[j] += src[nope + j];
      }
    });
  });
}

}  // namespace r1::ops::host
