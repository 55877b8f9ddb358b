// The host and CUDA dtype policies in bytes per element.
#include "model/memory_policy.hpp"

namespace r1 {

BytesPolicy bytes_policy(Device device) {
  BytesPolicy p;
  p.device = device;
  if (device == Device::host) {
    p.name = "host: f32 weights, gradients, AdamW moments and activations";
    return p;
  }
  p.name = "cuda: bf16 compute weights + f32 master weights, f32 gradients and AdamW moments, bf16 activations";
  p.compute_weight = 2;
  p.master_weight = 4;
  p.activation = 2;
  p.kv_cache = 2;
  // The CUDA LM head keeps an f32 logits chunk and, in the backward with bf16 operands, a bf16
  // dlogits chunk (kernels/cuda/cuda_lm_head.cu).
  p.lm_head_logit = 4 + 2;
  p.host_vectors_count = false;
  return p;
}

}  // namespace r1
