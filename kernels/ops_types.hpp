// Plain types that appear in kernel signatures (flags as enum classes, small parameter structs, the
// MoE routing record).
// Shared by the dispatch header, the host backend and the CUDA backend: C++17-clean.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace r1::ops {

enum class Trans { no, yes };
enum class Accumulate { no, yes };  // overwrite the output, or add into it
enum class RopeLayout { half, interleaved };  // half: NeoX/Qwen2/Llama rotate_half; interleaved: GPT-J/DeepSeek-V3 pairs
enum class RopeDirection { forward, inverse };  // inverse rotates by -theta (the backward pass)
enum class RouterScoring { sigmoid, softmax };

// Row ranges of packed variable-length sequences: sequence s is rows [offsets[s], offsets[s+1]).
using SeqOffsets = std::vector<int64_t>;

struct RouterParams {
  int64_t top_k = 2;                 // experts per token
  int64_t n_group = 1;               // expert groups (group-limited routing)
  int64_t topk_group = 1;            // groups kept per token
  bool norm_topk_prob = true;        // normalise the chosen experts' weights to sum to 1
  double routed_scaling_factor = 1;  // multiplies the (normalised) weights
  RouterScoring scoring = RouterScoring::sigmoid;
};

// Tokens of one MoE layer in expert-sorted order ("permuted rows"). Row r holds token row_token[r];
// token t's k-th choice sits at row slot_row[t*K + k]; expert e owns rows
// [expert_offsets[e], expert_offsets[e+1]). Within an expert, rows are ordered by (token, slot), so
// the layout is deterministic. The row maps stay on the device of the top-k choices they were built
// from (the permutation kernels read them there); the offsets are on the host, where the grouped
// GEMMs and the expert exchange size their work.
struct MoeRouting {
  int64_t tokens = 0, top_k = 0, experts = 0;
  std::vector<int64_t> expert_offsets;  // host, size experts + 1
  Tensor row_token;                     // i32 [tokens * top_k]
  Tensor slot_row;                      // i32 [tokens * top_k]
};

// Token sampling: softmax(logits / temperature) restricted to the top_k most likely tokens (0 = all)
// and then to the smallest most-likely set whose probability reaches top_p; temperature 0 = greedy.
struct SamplingParams {
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = 0;
};

struct AdamWParams {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.0;
  int64_t step = 1;          // 1-based step count for bias correction
  double grad_scale = 1.0;  // gradients are used multiplied by this (the clipping coefficient)
};

// A contiguous range of the flat parameter buffer and whether weight decay applies to it.
struct ParamSegment {
  int64_t offset = 0, size = 0;
  bool decay = true;
};

}  // namespace r1::ops
