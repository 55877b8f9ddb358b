// BytesPolicy: how many bytes each kind of tensor takes per element under r1's dtype policy for a
// device — what `r1 plan` multiplies its analytic element counts by. Host: f32 everywhere (the
// weights are their own master copy). CUDA (kernels/op_signatures.inc): bf16 compute weights cast
// from f32 master weights, f32 gradients and AdamW moments, bf16 activations, f32 per-row
// statistics and router tensors, i32 indices.
#pragma once
#include <cstdint>
#include <string>

#include "core/dtype.hpp"

namespace r1 {

struct BytesPolicy {
  std::string name;
  Device device = Device::host;
  int64_t compute_weight = 4;   // the parameter values the kernels read
  int64_t master_weight = 0;    // f32 master copy the optimizer updates (0: the compute weights are f32 already)
  int64_t grad = 4;             // parameter gradients (accumulated over micro-batches, all-reduced)
  int64_t adam_moments = 8;     // AdamW first + second moment
  int64_t activation = 4;       // hidden states, q/k/v, attention outputs, MLP intermediates
  int64_t stat = 4;             // rstd, lse, router logits/scores/weights, RoPE tables
  int64_t index = 4;            // i32 token ids, targets, positions, top-k expert ids
  int64_t kv_cache = 4;         // per cached element
  int64_t lm_head_logit = 4;    // per element of the LM head's [chunk_rows, vocab] work buffer(s)
  bool host_vectors_count = true;  // host-side routing vectors live in this memory (host device only)
  int64_t weight_state() const { return compute_weight + master_weight; }
};

BytesPolicy bytes_policy(Device device);

}  // namespace r1
