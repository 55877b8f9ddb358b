// CUDA MoE router (DeepSeek-V3), one warp per token, all in f32 tensors (logits, bias, scores,
// weights, gradients) with double arithmetic where the host version uses it, so choices match it:
// sigmoid or softmax scores; group-limited top-k on the biased scores (groups ranked by the sum of
// their two best scores, ties to the lower group; experts in descending order, ties to the lower
// index), found by repeated warp arg-max under that strict order, which yields exactly the host's
// sorted top-k; weights = unbiased scores (normalised, scaled). The backward runs through the
// normalisation and the scoring function.
#include <climits>

#include "kernels/cuda/cuda_ops.hpp"
#include "kernels/cuda/cuda_router_common.cuh"

namespace r1::ops::cuda {

namespace {

// Per-warp shared memory of the forward: score[E], choice[E] (f32), group_score[G] (f32),
// blocked[E] (expert chosen or outside the kept groups), group_kept[G] (bytes).
size_t forward_warp_bytes(int64_t experts, int64_t groups) {
  const size_t bytes = size_t(4 * (2 * experts + groups) + experts + groups);
  return (bytes + 15) / 16 * 16;
}

// Better candidate under (value descending, index ascending).
__device__ __forceinline__ bool better(float v, int i, float best_v, int best_i) {
  return v > best_v || (v == best_v && i < best_i);
}

__global__ void router_forward_kernel(const float* logits, const float* bias, int64_t tokens, int64_t experts,
                                      RouterParams p, size_t warp_bytes, float* scores, int32_t* topk_idx,
                                      float* topk_weight) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  unsigned char* mem = smem + warp * warp_bytes;
  const int64_t groups = p.n_group, group_size = experts / groups, top_k = p.top_k;
  float* score = reinterpret_cast<float*>(mem);
  float* choice = score + experts;
  float* group_score = choice + experts;
  unsigned char* blocked = reinterpret_cast<unsigned char*>(group_score + groups);
  unsigned char* group_kept = blocked + experts;
  const bool softmax = p.scoring == RouterScoring::softmax;

  for (int64_t t = int64_t(blockIdx.x) * kRouterWarps + warp; t < tokens; t += int64_t(gridDim.x) * kRouterWarps) {
    const float* lg = logits + t * experts;
    float* s_out = scores + t * experts;
    double max_logit = 0, denom = 1;
    if (softmax) {
      max_logit = -INFINITY;
      for (int64_t e = lane; e < experts; e += 32) max_logit = fmax(max_logit, double(lg[e]));
      max_logit = warp_max(max_logit);
      denom = 0;
      for (int64_t e = lane; e < experts; e += 32) denom += exp(double(lg[e]) - max_logit);
      denom = warp_sum(denom);
    }
    for (int64_t e = lane; e < experts; e += 32) {
      const double l = double(lg[e]);
      const float s = softmax ? float(exp(l - max_logit) / denom) : float(1.0 / (1.0 + exp(-l)));
      score[e] = s;
      s_out[e] = s;
      choice[e] = bias ? s + bias[e] : s;
      blocked[e] = 0;
    }
    __syncwarp();
    if (groups > 1) {
      for (int64_t g = lane; g < groups; g += 32) {
        const float* c = choice + g * group_size;
        float best = c[0], second = -INFINITY;
        for (int64_t j = 1; j < group_size; ++j) {
          if (c[j] > best) {
            second = best;
            best = c[j];
          } else if (c[j] > second) {
            second = c[j];
          }
        }
        group_score[g] = group_size >= 2 ? best + second : best;
        group_kept[g] = 0;
      }
      __syncwarp();
      if (lane == 0) {
        for (int64_t i = 0; i < p.topk_group; ++i) {
          float best_v = -INFINITY;
          int best_g = INT_MAX;
          for (int g = 0; g < int(groups); ++g)
            if (!group_kept[g] && better(group_score[g], g, best_v, best_g)) {
              best_v = group_score[g];
              best_g = g;
            }
          if (best_g == INT_MAX) {
            printf("router_forward: no group left for token %lld (NaN scores?)\n", (long long)t);
            __trap();
          }
          group_kept[best_g] = 1;
        }
      }
      __syncwarp();
      for (int64_t e = lane; e < experts; e += 32)
        if (!group_kept[e / group_size]) blocked[e] = 1;
      __syncwarp();
    }
    for (int64_t k = 0; k < top_k; ++k) {
      float best_v = -INFINITY;
      int best_e = INT_MAX;
      for (int64_t e = lane; e < experts; e += 32)
        if (!blocked[e] && better(choice[e], int(e), best_v, best_e)) {
          best_v = choice[e];
          best_e = int(e);
        }
      for (int offset = 16; offset > 0; offset >>= 1) {
        const float other_v = __shfl_xor_sync(0xffffffffu, best_v, offset);
        const int other_e = __shfl_xor_sync(0xffffffffu, best_e, offset);
        if (better(other_v, other_e, best_v, best_e)) {
          best_v = other_v;
          best_e = other_e;
        }
      }
      if (lane == 0) {
        if (best_e == INT_MAX) {
          printf("router_forward: no expert left for token %lld (NaN scores?)\n", (long long)t);
          __trap();
        }
        topk_idx[t * top_k + k] = best_e;
        blocked[best_e] = 1;
      }
      __syncwarp();
    }
    if (lane == 0) {
      const int32_t* chosen = topk_idx + t * top_k;
      double total = 0;
      for (int64_t k = 0; k < top_k; ++k) total += double(score[chosen[k]]);
      const double factor = p.routed_scaling_factor / (p.norm_topk_prob ? total + kRouterNormEps : 1.0);
      for (int64_t k = 0; k < top_k; ++k) topk_weight[t * top_k + k] = float(double(score[chosen[k]]) * factor);
    }
    __syncwarp();  // the next token reuses this warp's shared memory
  }
}

// dL/dscores at the chosen experts: w_k = c s_k / D, D = sum_m s_m + eps (when normalising):
// dL/ds_k = c (dw_k / D - sum_m dw_m s_m / D^2); then through the scoring function.
__global__ void router_backward_kernel(const float* scores, const int32_t* topk_idx, const float* dweight,
                                       int64_t tokens, int64_t experts, RouterParams p, float* dlogits) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  double* dscores = reinterpret_cast<double*>(smem) + warp * experts;
  const int64_t top_k = p.top_k;
  for (int64_t t = int64_t(blockIdx.x) * kRouterWarps + warp; t < tokens; t += int64_t(gridDim.x) * kRouterWarps) {
    const float* s = scores + t * experts;
    const int32_t* chosen = topk_idx + t * top_k;
    const float* dw = dweight + t * top_k;
    for (int64_t e = lane; e < experts; e += 32) dscores[e] = 0.0;
    __syncwarp();
    if (lane == 0) {
      double total = 0, dot = 0;
      for (int64_t k = 0; k < top_k; ++k) {
        require_expert_index(chosen[k], experts, t);
        total += double(s[chosen[k]]);
        dot += double(dw[k]) * double(s[chosen[k]]);
      }
      const double c = p.routed_scaling_factor;
      const double denom = p.norm_topk_prob ? total + kRouterNormEps : 1.0;
      const double shared = p.norm_topk_prob ? dot / (denom * denom) : 0.0;
      for (int64_t k = 0; k < top_k; ++k) dscores[chosen[k]] += c * (double(dw[k]) / denom - shared);
    }
    __syncwarp();
    scores_to_logits_grad(s, dscores, experts, p.scoring == RouterScoring::softmax, 1.0, false, dlogits + t * experts);
    __syncwarp();
  }
}

unsigned router_blocks(int64_t tokens) {
  const int64_t blocks = (tokens + kRouterWarps - 1) / kRouterWarps;
  const int64_t cap = int64_t(multiprocessor_count()) * 16;
  return unsigned(blocks < cap ? blocks : cap);
}

}  // namespace

void router_forward(const Tensor& logits, const Tensor& bias, const RouterParams& p, Tensor& scores, Tensor& topk_idx,
                    Tensor& topk_weight) {
  const char* op = "router_forward";
  const float* pl = device_ptr<float>(logits, op, "logits");
  const int64_t tokens = logits.rows(), experts = logits.cols();
  check_router_params(p, experts);
  check_device_numel(op, scores, tokens * experts, "scores");
  check_device_numel(op, topk_idx, tokens * p.top_k, "topk_idx");
  check_device_numel(op, topk_weight, tokens * p.top_k, "topk_weight");
  const float* pb = nullptr;
  if (bias.defined()) {
    pb = device_ptr<float>(bias, op, "bias");
    check_device_numel(op, bias, experts, "bias");
  }
  float* ps = device_ptr<float>(scores, op, "scores");
  int32_t* pi = device_ptr<int32_t>(topk_idx, op, "topk_idx");
  float* pw = device_ptr<float>(topk_weight, op, "topk_weight");
  checked_int(experts, op, "experts");
  if (tokens == 0) return;
  const size_t warp_bytes = forward_warp_bytes(experts, p.n_group);
  const size_t smem = warp_bytes * kRouterWarps;
  R1_CHECK(smem <= size_t(max_shared_memory_per_block()), op, ": ", experts, " experts need ", smem,
           " bytes of shared memory per block");
  if (smem > 48 * 1024)
    CUDA_CHECK(cudaFuncSetAttribute(router_forward_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  router_forward_kernel<<<router_blocks(tokens), kRouterWarps * 32, smem, stream()>>>(pl, pb, tokens, experts, p,
                                                                                      warp_bytes, ps, pi, pw);
  CUDA_CHECK_LAUNCH();
}

void router_backward(const Tensor& scores, const Tensor& topk_idx, const Tensor& dweight, const RouterParams& p,
                     Tensor& dlogits) {
  const char* op = "router_backward";
  const float* ps = device_ptr<float>(scores, op, "scores");
  const int64_t tokens = scores.rows(), experts = scores.cols();
  check_device_numel(op, topk_idx, tokens * p.top_k, "topk_idx");
  check_device_numel(op, dweight, tokens * p.top_k, "dweight");
  check_device_numel(op, dlogits, tokens * experts, "dlogits");
  const int32_t* pi = device_ptr<int32_t>(topk_idx, op, "topk_idx");
  const float* pdw = device_ptr<float>(dweight, op, "dweight");
  float* pdl = device_ptr<float>(dlogits, op, "dlogits");
  if (tokens == 0) return;
  const size_t smem = size_t(experts) * sizeof(double) * kRouterWarps;
  R1_CHECK(smem <= size_t(max_shared_memory_per_block()), op, ": ", experts, " experts need ", smem,
           " bytes of shared memory per block");
  if (smem > 48 * 1024)
    CUDA_CHECK(cudaFuncSetAttribute(router_backward_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  router_backward_kernel<<<router_blocks(tokens), kRouterWarps * 32, smem, stream()>>>(ps, pi, pdw, tokens, experts, p,
                                                                                       pdl);
  CUDA_CHECK_LAUNCH();
}

}  // namespace r1::ops::cuda
