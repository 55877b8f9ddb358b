// CUDA Multi-head Latent Attention key assembly: k[n, h, :] = [k_nope[n, h, :], k_rope[n, :]] (one
// thread per output element), and its backward: dk_nope = dk[..., :nope], dk_rope[n, :] = sum over
// heads of dk[n, h, nope:] added in head order by one thread per (n, column): deterministic.
// All three tensors of a call share a dtype (f32 or bf16).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

struct MlaKeyDims {
  int64_t tokens = 0, heads = 0, nope = 0, rope = 0;
};

// [N, H, nope] / [N, rope] / [N, H, nope + rope] read from the shapes (as the host version does).
MlaKeyDims mla_key_dims(const char* op, const Tensor& k_nope, const Tensor& k_rope, const Tensor& k) {
  check_device_tensor(op, k_nope, "k_nope");
  check_device_tensor(op, k_rope, "k_rope");
  check_device_tensor(op, k, "k");
  check_dtype(op, k_nope, k.dtype(), "k_nope");
  check_dtype(op, k_rope, k.dtype(), "k_rope");
  MlaKeyDims dims;
  dims.rope = k_rope.cols();
  dims.nope = k.cols() - dims.rope;
  R1_CHECK(dims.rope > 0 && dims.nope >= 0, op, ": key width ", k.cols(), " cannot hold rotary part ", k_rope.describe());
  dims.tokens = k_rope.rows();
  const int64_t per_token = k.cols();
  R1_CHECK(dims.tokens > 0 ? k.numel() % (dims.tokens * per_token) == 0 : k.numel() == 0, op, ": keys ", k.describe(),
           " are not [", dims.tokens, ", heads, ", per_token, "]");
  dims.heads = dims.tokens > 0 ? k.numel() / (dims.tokens * per_token) : 0;
  check_device_numel(op, k_nope, dims.tokens * dims.heads * dims.nope, "k_nope");
  return dims;
}

template <class T>
__global__ void assemble_kernel(const T* k_nope, const T* k_rope, T* k, int64_t tokens, int64_t heads, int64_t nope,
                                int64_t rope) {
  const int64_t width = nope + rope, total = tokens * heads * width;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t col = i % width, token_head = i / width, token = token_head / heads;
    k[i] = col < nope ? k_nope[token_head * nope + col] : k_rope[token * rope + (col - nope)];
  }
}

template <class T>
__global__ void split_nope_kernel(const T* dk, T* dk_nope, int64_t token_heads, int64_t nope, int64_t rope) {
  const int64_t total = token_heads * nope;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    dk_nope[i] = dk[(i / nope) * (nope + rope) + i % nope];
}

template <class T>
__global__ void sum_rope_kernel(const T* dk, T* dk_rope, int64_t tokens, int64_t heads, int64_t nope, int64_t rope) {
  const int64_t total = tokens * rope, width = nope + rope;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t token = i / rope, col = i % rope;
    float s = 0.0f;
    for (int64_t h = 0; h < heads; ++h) s += to_f32(dk[(token * heads + h) * width + nope + col]);
    dk_rope[i] = from_f32<T>(s);
  }
}

}  // namespace

void mla_assemble_keys(const Tensor& k_nope, const Tensor& k_rope, Tensor& k) {
  const char* op = "mla_assemble_keys";
  const MlaKeyDims dims = mla_key_dims(op, k_nope, k_rope, k);
  if (k.numel() == 0) return;
  dispatch_float(k, op, "k", [&](auto tag) {
    using T = typename decltype(tag)::type;
    assemble_kernel<<<grid_blocks(k.numel()), kThreads, 0, stream()>>>(
        static_cast<const T*>(k_nope.raw()), static_cast<const T*>(k_rope.raw()), static_cast<T*>(k.raw()), dims.tokens,
        dims.heads, dims.nope, dims.rope);
    CUDA_CHECK_LAUNCH();
  });
}

void mla_assemble_keys_backward(const Tensor& dk, Tensor& dk_nope, Tensor& dk_rope) {
  const char* op = "mla_assemble_keys_backward";
  const MlaKeyDims dims = mla_key_dims(op, dk_nope, dk_rope, dk);
  if (dims.tokens == 0) return;
  dispatch_float(dk, op, "dk", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pk = static_cast<const T*>(dk.raw());
    if (dims.nope > 0 && dims.heads > 0) {
      split_nope_kernel<<<grid_blocks(dims.tokens * dims.heads * dims.nope), kThreads, 0, stream()>>>(
          pk, static_cast<T*>(dk_nope.raw()), dims.tokens * dims.heads, dims.nope, dims.rope);
      CUDA_CHECK_LAUNCH();
    }
    sum_rope_kernel<<<grid_blocks(dims.tokens * dims.rope), kThreads, 0, stream()>>>(
        pk, static_cast<T*>(dk_rope.raw()), dims.tokens, dims.heads, dims.nope, dims.rope);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace r1::ops::cuda
