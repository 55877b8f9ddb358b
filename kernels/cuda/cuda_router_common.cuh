// Pieces shared by the CUDA router kernels (forward/backward and the sequence balance loss): the
// parameter checks (as the host version makes them), the on-device check of chosen expert indices,
// and the per-row map from dL/dscores to dL/dlogits through sigmoid or softmax scoring.
#pragma once
#include <cstdio>

#include "kernels/cuda/cuda_common.cuh"

namespace r1::ops::cuda {

constexpr double kRouterNormEps = 1e-20;  // Hugging Face's denominator guard: sum of weights + 1e-20
constexpr int kRouterWarps = 4;           // warps (tokens in flight) per block

inline void check_router_params(const RouterParams& p, int64_t experts) {
  R1_CHECK(p.n_group >= 1 && experts % p.n_group == 0, "router: ", experts, " experts do not split into n_group=",
           p.n_group, " equal groups");
  R1_CHECK(p.topk_group >= 1 && p.topk_group <= p.n_group, "router: topk_group=", p.topk_group,
           " outside [1, n_group=", p.n_group, "]");
  const int64_t eligible = p.topk_group * (experts / p.n_group);
  R1_CHECK(p.top_k >= 1 && p.top_k <= eligible, "router: top_k=", p.top_k, " outside [1, ", eligible,
           "] (experts in the kept groups)");
}

// Stops the kernel (device trap, reported by the next CUDA call) on an expert index outside [0, E).
__device__ __forceinline__ void require_expert_index(int32_t e, int64_t experts, int64_t token) {
  if (e < 0 || e >= experts) {
    printf("router: chosen expert %d of token %lld is outside [0, %lld)\n", e, (long long)token, (long long)experts);
    __trap();
  }
}

// One warp turns dscores (double, shared memory, [E]) of one row into dlogits:
//   sigmoid: g_e = ds_e s_e (1 - s_e);  softmax: g_e = s_e (ds_e - sum_j s_j ds_j);
// then dlogits_e = factor * g_e, written or (accumulate) added.
__device__ __forceinline__ void scores_to_logits_grad(const float* scores, const double* dscores, int64_t experts,
                                                      bool softmax, double factor, bool accumulate, float* dlogits) {
  const int lane = threadIdx.x & 31;
  double weighted = 0;
  if (softmax) {
    for (int64_t e = lane; e < experts; e += 32) weighted += double(scores[e]) * dscores[e];
    weighted = warp_sum(weighted);
  }
  for (int64_t e = lane; e < experts; e += 32) {
    const double s = double(scores[e]);
    double g = softmax ? s * (dscores[e] - weighted) : dscores[e] * s * (1.0 - s);
    g *= factor;
    dlogits[e] = accumulate ? float(double(dlogits[e]) + g) : float(g);
  }
}

}  // namespace r1::ops::cuda
