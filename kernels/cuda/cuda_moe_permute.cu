// CUDA MoE token permutation. moe_build_routing reads topk_idx on the host and builds the same
// expert-sorted layout as the host version (a counting sort; rows of one expert in (token, slot)
// order). Gather/scatter kernels upload row_token / slot_row and write disjoint rows; a token's K
// contributions are added in slot order (f32), and the weight gradient is one warp per (token, slot)
// with a fixed butterfly, so everything is deterministic. Activations are f32 or bf16, routing
// weights and their gradient f32.
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kDotWarps = 8;  // (token, slot) dot products per block

void check_routing(const char* op, const MoeRouting& routing) {
  const int64_t rows = routing.tokens * routing.top_k;
  R1_CHECK(int64_t(routing.row_token.size()) == rows && int64_t(routing.slot_row.size()) == rows &&
               int64_t(routing.expert_offsets.size()) == routing.experts + 1,
           op, ": routing is not built (tokens=", routing.tokens, ", top_k=", routing.top_k, ", experts=",
           routing.experts, ")");
}

template <class S, class D>
__global__ void gather_kernel(const S* x, const int32_t* row_token, D* xp, int64_t rows, int64_t d) {
  const int64_t total = rows * d;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    xp[i] = from_f32<D>(to_f32(x[int64_t(row_token[i / d]) * d + i % d]));
}

template <class S, class D>
__global__ void gather_backward_kernel(const S* dxp, const int32_t* slot_row, D* dx, int64_t tokens, int64_t top_k,
                                       int64_t d) {
  const int64_t total = tokens * d;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t t = i / d, j = i % d;
    float s = 0.0f;
    for (int64_t k = 0; k < top_k; ++k) s += to_f32(dxp[int64_t(slot_row[t * top_k + k]) * d + j]);
    dx[i] = from_f32<D>(s);
  }
}

template <class S, class D>
__global__ void scatter_kernel(const S* yp, const float* weight, const int32_t* slot_row, D* y, int64_t tokens,
                               int64_t top_k, int64_t d, bool accumulate) {
  const int64_t total = tokens * d;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t t = i / d, j = i % d;
    float s = accumulate ? to_f32(y[i]) : 0.0f;
    for (int64_t k = 0; k < top_k; ++k)
      s += weight[t * top_k + k] * to_f32(yp[int64_t(slot_row[t * top_k + k]) * d + j]);
    y[i] = from_f32<D>(s);
  }
}

// dyp[slot_row[t*K + k], j] = weight[t, k] * dy[t, j].
template <class G, class D>
__global__ void scatter_backward_rows_kernel(const G* dy, const float* weight, const int32_t* slot_row, D* dyp,
                                             int64_t tokens, int64_t top_k, int64_t d) {
  const int64_t total = tokens * top_k * d;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t tk = i / d, j = i % d, t = tk / top_k;
    dyp[int64_t(slot_row[tk]) * d + j] = from_f32<D>(weight[tk] * to_f32(dy[t * d + j]));
  }
}

// dweight[t, k] = <dy[t, :], yp[slot_row[t*K + k], :]>, one warp per (t, k).
template <class G, class Y>
__global__ void scatter_backward_weight_kernel(const G* dy, const Y* yp, const int32_t* slot_row, float* dweight,
                                               int64_t tokens, int64_t top_k, int64_t d) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t pairs = tokens * top_k;
  for (int64_t tk = int64_t(blockIdx.x) * kDotWarps + warp; tk < pairs; tk += int64_t(gridDim.x) * kDotWarps) {
    const G* g = dy + (tk / top_k) * d;
    const Y* src = yp + int64_t(slot_row[tk]) * d;
    float s = 0.0f;
    for (int64_t j = lane; j < d; j += 32) s += to_f32(g[j]) * to_f32(src[j]);
    s = warp_sum(s);
    if (lane == 0) dweight[tk] = s;
  }
}

}  // namespace

void moe_build_routing(const Tensor& topk_idx, int64_t n_experts, MoeRouting& routing) {
  const char* op = "moe_build_routing";
  R1_CHECK(n_experts >= 1, op, ": n_experts = ", n_experts);
  const std::vector<int32_t> idx = host_indices(topk_idx, op, "topk_idx");  // [tokens, K]
  const int64_t tokens = topk_idx.rows(), top_k = topk_idx.cols(), rows = tokens * top_k;
  routing.tokens = tokens;
  routing.top_k = top_k;
  routing.experts = n_experts;
  routing.expert_offsets.assign(size_t(n_experts + 1), 0);
  routing.row_token.assign(size_t(rows), 0);
  routing.slot_row.assign(size_t(rows), 0);
  for (int64_t i = 0; i < rows; ++i) {
    R1_CHECK(idx[size_t(i)] >= 0 && idx[size_t(i)] < n_experts, op, ": topk_idx[", i / top_k, ", ", i % top_k, "] = ",
             idx[size_t(i)], " is not an expert index in [0, ", n_experts, ")");
    ++routing.expert_offsets[size_t(idx[size_t(i)]) + 1];
  }
  for (int64_t e = 0; e < n_experts; ++e) routing.expert_offsets[size_t(e + 1)] += routing.expert_offsets[size_t(e)];
  std::vector<int64_t> next_row(routing.expert_offsets.begin(), routing.expert_offsets.end() - 1);  // [experts]
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t row = next_row[size_t(idx[size_t(i)])]++;
    routing.row_token[size_t(row)] = int32_t(i / top_k);
    routing.slot_row[size_t(i)] = int32_t(row);
  }
}

void moe_gather(const Tensor& x, const MoeRouting& routing, Tensor& xp) {
  const char* op = "moe_gather";
  check_routing(op, routing);
  check_device_tensor(op, x, "x");
  const int64_t d = x.cols(), rows = routing.tokens * routing.top_k;
  check_device_numel(op, x, routing.tokens * d, "x");
  check_device_numel(op, xp, rows * d, "xp");
  if (rows == 0 || d == 0) return;
  DeviceBuffer row_token = upload(routing.row_token);
  dispatch_float(x, op, "x", [&](auto ts) {
    dispatch_float(xp, op, "xp", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      gather_kernel<<<grid_blocks(rows * d), kThreads, 0, stream()>>>(static_cast<const S*>(x.raw()),
                                                                       row_token.as<int32_t>(), static_cast<D*>(xp.raw()),
                                                                       rows, d);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void moe_gather_backward(const Tensor& dxp, const MoeRouting& routing, Tensor& dx) {
  const char* op = "moe_gather_backward";
  check_routing(op, routing);
  check_device_tensor(op, dx, "dx");
  const int64_t d = dx.cols(), top_k = routing.top_k;
  check_device_numel(op, dx, routing.tokens * d, "dx");
  check_device_numel(op, dxp, routing.tokens * top_k * d, "dxp");
  if (routing.tokens == 0 || d == 0) return;
  DeviceBuffer slot_row = upload(routing.slot_row);
  dispatch_float(dxp, op, "dxp", [&](auto ts) {
    dispatch_float(dx, op, "dx", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      gather_backward_kernel<<<grid_blocks(routing.tokens * d), kThreads, 0, stream()>>>(
          static_cast<const S*>(dxp.raw()), slot_row.as<int32_t>(), static_cast<D*>(dx.raw()), routing.tokens, top_k, d);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void moe_scatter(const Tensor& yp, const Tensor& weight, const MoeRouting& routing, Tensor& y, Accumulate acc) {
  const char* op = "moe_scatter";
  check_routing(op, routing);
  check_device_tensor(op, y, "y");
  const int64_t d = y.cols(), top_k = routing.top_k;
  check_device_numel(op, y, routing.tokens * d, "y");
  check_device_numel(op, yp, routing.tokens * top_k * d, "yp");
  check_device_numel(op, weight, routing.tokens * top_k, "weight");
  const float* pw = device_ptr<float>(weight, op, "weight");
  if (routing.tokens == 0 || d == 0) return;
  DeviceBuffer slot_row = upload(routing.slot_row);
  dispatch_float(yp, op, "yp", [&](auto ts) {
    dispatch_float(y, op, "y", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      scatter_kernel<<<grid_blocks(routing.tokens * d), kThreads, 0, stream()>>>(
          static_cast<const S*>(yp.raw()), pw, slot_row.as<int32_t>(), static_cast<D*>(y.raw()), routing.tokens, top_k,
          d, acc == Accumulate::yes);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void moe_scatter_backward(const Tensor& dy, const Tensor& yp, const Tensor& weight, const MoeRouting& routing,
                          Tensor& dyp, Tensor& dweight) {
  const char* op = "moe_scatter_backward";
  check_routing(op, routing);
  check_device_tensor(op, dy, "dy");
  const int64_t d = dy.cols(), top_k = routing.top_k, rows = routing.tokens * top_k;
  check_device_numel(op, dy, routing.tokens * d, "dy");
  check_device_numel(op, yp, rows * d, "yp");
  check_device_numel(op, dyp, rows * d, "dyp");
  check_device_numel(op, weight, rows, "weight");
  check_device_numel(op, dweight, rows, "dweight");
  const float* pw = device_ptr<float>(weight, op, "weight");
  float* pdw = device_ptr<float>(dweight, op, "dweight");
  if (rows == 0) return;
  DeviceBuffer slot_row = upload(routing.slot_row);
  dispatch_float(dy, op, "dy", [&](auto tg) {
    using G = typename decltype(tg)::type;
    dispatch_float(dyp, op, "dyp", [&](auto td) {
      using D = typename decltype(td)::type;
      if (d == 0) return;
      scatter_backward_rows_kernel<<<grid_blocks(rows * d), kThreads, 0, stream()>>>(
          static_cast<const G*>(dy.raw()), pw, slot_row.as<int32_t>(), static_cast<D*>(dyp.raw()), routing.tokens,
          top_k, d);
      CUDA_CHECK_LAUNCH();
    });
    dispatch_float(yp, op, "yp", [&](auto ty) {
      using Y = typename decltype(ty)::type;
      const int64_t blocks = (rows + kDotWarps - 1) / kDotWarps;
      const int64_t cap = int64_t(multiprocessor_count()) * 32;
      scatter_backward_weight_kernel<<<unsigned(blocks < cap ? blocks : cap), kDotWarps * 32, 0, stream()>>>(
          static_cast<const G*>(dy.raw()), static_cast<const Y*>(yp.raw()), slot_row.as<int32_t>(), pdw, routing.tokens,
          top_k, d);
      CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace r1::ops::cuda
