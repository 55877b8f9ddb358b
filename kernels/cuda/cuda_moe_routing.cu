// CUDA build of the MoE routing layout (kernels/ops_types.hpp, MoeRouting) from the device top-k
// choices, without copying them to the host: the same stable counting sort as the host version
// (rows of one expert in (token, slot) order), in three small kernels over chunks of the flattened
// choices. Counts per (chunk, expert) -> each chunk's first row per expert (a scan over chunks,
// experts in order) -> placement, one warp per chunk walking its choices in order. Only the expert
// offsets (and a flag for out-of-range choices) come back to the host, in one copy: the grouped GEMMs
// size their work from them. Deterministic: every step is a count or an ordered walk.
#include <string>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kChunk = 1024;  // choices per chunk
constexpr int kCountThreads = 256;

// counts[c * experts + e] = choices of chunk c naming expert e; summary[experts + 1] = 1 when a choice
// is outside [0, experts) (it is then left out).
__global__ void chunk_counts_kernel(const int32_t* idx, int64_t entries, int experts, int* counts, int64_t* summary) {
  extern __shared__ int histogram[];  // [experts]
  for (int e = threadIdx.x; e < experts; e += blockDim.x) histogram[e] = 0;
  __syncthreads();
  const int64_t begin = int64_t(blockIdx.x) * kChunk, end = min(begin + kChunk, entries);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const int e = idx[i];
    if (e < 0 || e >= experts) {
      summary[experts + 1] = 1;
      continue;
    }
    atomicAdd(&histogram[e], 1);  // a count: the order of the additions does not matter
  }
  __syncthreads();
  for (int e = threadIdx.x; e < experts; e += blockDim.x) counts[int64_t(blockIdx.x) * experts + e] = histogram[e];
}

// One block: expert totals, their prefix sums (summary[0..experts] = expert_offsets), then each
// chunk's counts replaced by the row where its first choice of that expert goes.
__global__ void chunk_bases_kernel(int* counts, int chunks, int experts, int64_t* summary) {
  extern __shared__ int64_t first_row[];  // [experts]
  for (int e = threadIdx.x; e < experts; e += blockDim.x) {
    int64_t total = 0;
    for (int c = 0; c < chunks; ++c) total += counts[int64_t(c) * experts + e];
    first_row[e] = total;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int64_t running = 0;
    summary[0] = 0;
    for (int e = 0; e < experts; ++e) {
      const int64_t total = first_row[e];
      first_row[e] = running;
      running += total;
      summary[e + 1] = running;
    }
  }
  __syncthreads();
  for (int e = threadIdx.x; e < experts; e += blockDim.x) {
    int64_t row = first_row[e];
    for (int c = 0; c < chunks; ++c) {
      int* p = counts + int64_t(c) * experts + e;
      const int count = *p;
      *p = int(row);
      row += count;
    }
  }
}

// One warp per chunk, 32 choices at a time in order: lanes naming the same expert take consecutive
// rows in lane order, after the rows that expert already gave earlier choices of the chunk.
__global__ void place_kernel(const int32_t* idx, int64_t entries, int experts, int64_t top_k, const int* bases,
                             int32_t* row_token, int32_t* slot_row) {
  extern __shared__ int next_row[];  // [experts]
  const int lane = threadIdx.x;
  for (int e = lane; e < experts; e += 32) next_row[e] = bases[int64_t(blockIdx.x) * experts + e];
  __syncwarp();
  const int64_t begin = int64_t(blockIdx.x) * kChunk;
  const unsigned lower_lanes = (1u << lane) - 1u;
  for (int64_t i0 = begin; i0 < begin + kChunk && i0 < entries; i0 += 32) {
    const int64_t i = i0 + lane;
    int e = i < entries ? idx[i] : -1;
    if (e >= experts) e = -1;  // reported by chunk_counts_kernel
    const unsigned same = __match_any_sync(0xffffffffu, e);
    const int rank = __popc(same & lower_lanes);
    if (e >= 0) {
      const int row = next_row[e] + rank;
      slot_row[i] = row;
      row_token[row] = int32_t(i / top_k);
    }
    __syncwarp();
    if (e >= 0 && rank == __popc(same) - 1) next_row[e] += __popc(same);  // the group's last lane
    __syncwarp();
  }
}

// The first out-of-range choice, for the error message (only after the flag was raised).
std::string first_bad_choice(const Tensor& topk_idx, int64_t n_experts, const char* op) {
  const std::vector<int32_t> idx = host_indices(topk_idx, op, "topk_idx");
  const int64_t top_k = topk_idx.cols();
  for (size_t i = 0; i < idx.size(); ++i)
    if (idx[i] < 0 || idx[i] >= n_experts)
      return std::string("topk_idx[") + std::to_string(int64_t(i) / top_k) + ", " + std::to_string(int64_t(i) % top_k) +
             "] = " + std::to_string(idx[i]);
  return "a choice";
}

}  // namespace

void moe_build_routing(const Tensor& topk_idx, int64_t n_experts, MoeRouting& routing) {
  const char* op = "moe_build_routing";
  R1_CHECK(n_experts >= 1, op, ": n_experts = ", n_experts);
  check_device_tensor(op, topk_idx, "topk_idx");
  check_dtype(op, topk_idx, DType::i32, "topk_idx");
  const int64_t tokens = topk_idx.rows(), top_k = topk_idx.cols(), entries = tokens * top_k;
  R1_CHECK(entries < (int64_t(1) << 31), op, ": ", entries, " choices do not fit 32-bit row indices");
  const int experts = checked_int(n_experts, op, "n_experts");
  routing.tokens = tokens;
  routing.top_k = top_k;
  routing.experts = n_experts;
  routing.row_token = Tensor::empty({entries}, DType::i32, Device::cuda);
  routing.slot_row = Tensor::empty({entries}, DType::i32, Device::cuda);
  const int chunks = int((entries + kChunk - 1) / kChunk);
  DeviceBuffer summary(sizeof(int64_t) * size_t(experts + 2));
  CUDA_CHECK(cudaMemsetAsync(summary.as<void>(), 0, summary.bytes(), stream()));
  if (chunks > 0) {
    DeviceBuffer counts(sizeof(int) * size_t(chunks) * size_t(experts));
    const int32_t* idx = static_cast<const int32_t*>(topk_idx.raw());
    const size_t int_table = sizeof(int) * size_t(experts), row_table = sizeof(int64_t) * size_t(experts);
    R1_CHECK(row_table <= size_t(max_shared_memory_per_block()), op, ": ", experts,
             " experts do not fit the routing kernels' shared memory");
    if (row_table > 48 * 1024) {
      for (const void* kernel :
           {reinterpret_cast<const void*>(chunk_counts_kernel), reinterpret_cast<const void*>(chunk_bases_kernel),
            reinterpret_cast<const void*>(place_kernel)})
        CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(row_table)));
    }
    chunk_counts_kernel<<<unsigned(chunks), kCountThreads, int_table, stream()>>>(
        idx, entries, experts, counts.as<int>(), summary.as<int64_t>());
    CUDA_CHECK_LAUNCH();
    chunk_bases_kernel<<<1, 1024, row_table, stream()>>>(counts.as<int>(), chunks, experts, summary.as<int64_t>());
    CUDA_CHECK_LAUNCH();
    place_kernel<<<unsigned(chunks), 32, int_table, stream()>>>(idx, entries, experts, top_k, counts.as<int>(),
                                                                routing.row_token.data<int32_t>(),
                                                                routing.slot_row.data<int32_t>());
    CUDA_CHECK_LAUNCH();
  }
  std::vector<int64_t> host_summary(size_t(experts + 2));
  download_bytes(host_summary.data(), summary.as<void>(), summary.bytes());
  if (host_summary.back() != 0)
    throw Error(std::string(op) + ": " + first_bad_choice(topk_idx, n_experts, op) + " is not an expert index in [0, " +
                std::to_string(n_experts) + ")");
  routing.expert_offsets.assign(host_summary.begin(), host_summary.end() - 1);
}

}  // namespace r1::ops::cuda
