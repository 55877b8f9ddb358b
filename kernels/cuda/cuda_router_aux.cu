// CUDA sequence-wise balance loss of the MoE router (DeepSeek-V3 eq. 17-20) and its gradient, all
// f32 tensors with double arithmetic. Per sequence s of length T:
//   f_i = E / (K T) * #{t : i in topk_t},  P_i = 1/T * sum_t s'_{t,i},  s' = scores / row sum,
//   L_s = alpha * sum_i f_i P_i;  returns weight * sum_s L_s, adds weight * dL/dlogits into dlogits.
// Deterministic: expert counts are integer (shared-memory integer atomics), P_i sums tokens in order
// (one thread per expert), the per-sequence losses are added on the host in sequence order, and the
// gradient is one warp per token.
#include <vector>

#include "kernels/cuda/cuda_ops.hpp"
#include "kernels/cuda/cuda_router_common.cuh"

namespace r1::ops::cuda {

namespace {

constexpr int kSequenceThreads = 256;

// row_sum[t] = sum_e scores[t, e] (double), one warp per token.
__global__ void row_sums_kernel(const float* scores, int64_t tokens, int64_t experts, double* row_sum) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  for (int64_t t = int64_t(blockIdx.x) * kRouterWarps + warp; t < tokens; t += int64_t(gridDim.x) * kRouterWarps) {
    double s = 0;
    for (int64_t e = lane; e < experts; e += 32) s += double(scores[t * experts + e]);
    s = warp_sum(s);
    if (lane == 0) row_sum[t] = s;
  }
}

// One block per sequence: f[s, :] and the sequence's loss alpha * sum_i f_i P_i.
__global__ void sequence_stats_kernel(const float* scores, const int32_t* topk_idx, const double* row_sum,
                                      const int64_t* offsets, int64_t experts, int64_t top_k, double alpha, double* f,
                                      double* seq_loss) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ double scratch[32];
  int* counts = reinterpret_cast<int*>(smem);  // [E]
  const int64_t s = blockIdx.x, begin = offsets[s], length = offsets[s + 1] - begin;
  double* f_s = f + s * experts;
  for (int64_t e = threadIdx.x; e < experts; e += blockDim.x) counts[e] = 0;
  __syncthreads();
  for (int64_t i = threadIdx.x; i < length * top_k; i += blockDim.x) {
    const int32_t e = topk_idx[begin * top_k + i];
    require_expert_index(e, experts, begin + i / top_k);
    atomicAdd(&counts[e], 1);
  }
  __syncthreads();
  double contribution = 0;
  for (int64_t e = threadIdx.x; e < experts; e += blockDim.x) {
    const double fe = length > 0 ? double(counts[e]) * (double(experts) / double(top_k * length)) : 0.0;
    double prob = 0;
    for (int64_t t = begin; t < begin + length; ++t) prob += double(scores[t * experts + e]) / row_sum[t];
    f_s[e] = fe;
    if (length > 0) contribution += fe * prob / double(length);
  }
  contribution = block_sum(contribution, scratch);
  if (threadIdx.x == 0) seq_loss[s] = alpha * contribution;
}

// dL/ds'_{t,i} = alpha f_i / T =: g_i; through s' = s / S: dL/ds_{t,j} = (g_j - sum_i g_i s'_{t,i}) / S;
// then through the scoring function, times weight, added into dlogits. One warp per token.
__global__ void aux_gradient_kernel(const float* scores, const double* row_sum, const int32_t* seq_of_token,
                                    const int64_t* offsets, const double* f, int64_t tokens, int64_t experts,
                                    double alpha, bool softmax, double weight, float* dlogits) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  double* dscores = reinterpret_cast<double*>(smem) + warp * experts;
  for (int64_t t = int64_t(blockIdx.x) * kRouterWarps + warp; t < tokens; t += int64_t(gridDim.x) * kRouterWarps) {
    const int32_t seq = seq_of_token[t];
    if (seq < 0) continue;  // the whole warp skips together
    const double* f_s = f + int64_t(seq) * experts;
    const double length = double(offsets[seq + 1] - offsets[seq]);
    const float* s = scores + t * experts;
    const double rs = row_sum[t];
    double weighted = 0;
    for (int64_t e = lane; e < experts; e += 32) weighted += f_s[e] * double(s[e]) / rs;
    weighted = warp_sum(weighted);
    const double g_scale = alpha / length;
    for (int64_t e = lane; e < experts; e += 32) dscores[e] = g_scale * (f_s[e] - weighted) / rs;
    __syncwarp();
    scores_to_logits_grad(s, dscores, experts, softmax, weight, true, dlogits + t * experts);
    __syncwarp();
  }
}

}  // namespace

double router_seq_aux_loss(const Tensor& scores, const Tensor& topk_idx, const SeqOffsets& seqs, double alpha,
                           const RouterParams& p, double weight, Tensor& dlogits) {
  const char* op = "router_seq_aux_loss";
  const float* ps = device_ptr<float>(scores, op, "scores");
  const int64_t tokens = scores.rows(), experts = scores.cols(), top_k = p.top_k;
  check_device_numel(op, topk_idx, tokens * top_k, "topk_idx");
  check_device_numel(op, dlogits, tokens * experts, "dlogits");
  const int32_t* pi = device_ptr<int32_t>(topk_idx, op, "topk_idx");
  float* pdl = device_ptr<float>(dlogits, op, "dlogits");
  for (size_t s = 0; s + 1 < seqs.size(); ++s)
    R1_CHECK(seqs[s] >= 0 && seqs[s] <= seqs[s + 1] && seqs[s + 1] <= tokens, op, ": sequence ", s, " spans rows [",
             seqs[s], ", ", seqs[s + 1], ") outside [0, ", tokens, ")");
  const int64_t n_seqs = seqs.size() > 1 ? int64_t(seqs.size()) - 1 : 0;
  if (n_seqs == 0 || tokens == 0 || experts == 0) return 0.0;
  checked_int(n_seqs, op, "sequence count");
  R1_CHECK(top_k >= 1, op, ": top_k = ", top_k);
  const size_t count_smem = size_t(experts) * sizeof(int);
  const size_t grad_smem = size_t(experts) * sizeof(double) * kRouterWarps;
  R1_CHECK(grad_smem <= size_t(max_shared_memory_per_block()), op, ": ", experts, " experts need ", grad_smem,
           " bytes of shared memory per block");
  if (grad_smem > 48 * 1024)
    CUDA_CHECK(cudaFuncSetAttribute(aux_gradient_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(grad_smem)));

  std::vector<int32_t> seq_of_token(static_cast<size_t>(tokens), -1);
  for (int64_t s = 0; s < n_seqs; ++s)
    for (int64_t t = seqs[size_t(s)]; t < seqs[size_t(s) + 1]; ++t) seq_of_token[size_t(t)] = int32_t(s);
  std::vector<int64_t> offsets(seqs.begin(), seqs.end());
  DeviceBuffer d_offsets = upload(offsets), d_seq_of_token = upload(seq_of_token);
  DeviceBuffer row_sum(size_t(tokens) * sizeof(double));          // [tokens]
  DeviceBuffer f(size_t(n_seqs * experts) * sizeof(double));      // [n_seqs, E]
  DeviceBuffer seq_loss(size_t(n_seqs) * sizeof(double));         // [n_seqs]

  const int64_t token_blocks = (tokens + kRouterWarps - 1) / kRouterWarps;
  const unsigned blocks = unsigned(token_blocks < int64_t(multiprocessor_count()) * 16 ? token_blocks
                                                                                        : int64_t(multiprocessor_count()) * 16);
  row_sums_kernel<<<blocks, kRouterWarps * 32, 0, stream()>>>(ps, tokens, experts, row_sum.as<double>());
  CUDA_CHECK_LAUNCH();
  sequence_stats_kernel<<<unsigned(n_seqs), kSequenceThreads, count_smem, stream()>>>(
      ps, pi, row_sum.as<double>(), d_offsets.as<int64_t>(), experts, top_k, alpha, f.as<double>(),
      seq_loss.as<double>());
  CUDA_CHECK_LAUNCH();
  aux_gradient_kernel<<<blocks, kRouterWarps * 32, grad_smem, stream()>>>(
      ps, row_sum.as<double>(), d_seq_of_token.as<int32_t>(), d_offsets.as<int64_t>(), f.as<double>(), tokens, experts,
      alpha, p.scoring == RouterScoring::softmax, weight, pdl);
  CUDA_CHECK_LAUNCH();

  std::vector<double> losses(static_cast<size_t>(n_seqs));
  download_bytes(losses.data(), seq_loss.as<void>(), losses.size() * sizeof(double));
  double total = 0;
  for (double v : losses) total += v;
  return weight * total;
}

}  // namespace r1::ops::cuda
