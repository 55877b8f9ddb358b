// CUDA MoE token permutation over the device routing maps (row_token, slot_row; built by
// cuda_moe_routing.cu): the gather of token rows into expert order, the weighted scatter back, and
// their backwards. Kernels write disjoint rows; a token's K contributions are added in slot order
// (f32), and the routing-weight gradient is a per-lane sum closed by a fixed butterfly, so everything
// is deterministic. bf16 rows with d % 8 == 0 (the model's case) move as one warp per row, 16 bytes
// per lane access; other activations (f32, odd widths) take element-wise grid-stride kernels.
// Routing weights and their gradient are f32.
#include "kernels/cuda/cuda_bf16x8.cuh"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kRowWarps = 8;  // warps per block of the warp-per-row kernels (rows, tokens or (token, slot) dots)

void check_routing(const char* op, const MoeRouting& routing) {
  const int64_t rows = routing.tokens * routing.top_k;
  R1_CHECK(routing.row_token.defined() && routing.row_token.numel() == rows && routing.slot_row.defined() &&
               routing.slot_row.numel() == rows && int64_t(routing.expert_offsets.size()) == routing.experts + 1,
           op, ": routing is not built (tokens=", routing.tokens, ", top_k=", routing.top_k,
           ", experts=", routing.experts, ")");
}

unsigned row_blocks(int64_t rows) { return unsigned((rows + kRowWarps - 1) / kRowWarps); }

// ---- bf16 rows, one warp per row, eight elements per lane access ------------------------------------
__device__ __forceinline__ int64_t warp_row() { return int64_t(blockIdx.x) * kRowWarps + threadIdx.x / 32; }

__global__ void gather_bf16x8_kernel(const uint4* x, const int32_t* row_token, uint4* xp, int64_t rows, int packs) {
  const int64_t r = warp_row();
  if (r >= rows) return;
  const uint4* src = x + int64_t(row_token[r]) * packs;
  for (int j = threadIdx.x % 32; j < packs; j += 32) xp[r * packs + j] = src[j];
}

__global__ void gather_backward_bf16x8_kernel(const uint4* dxp, const int32_t* slot_row, uint4* dx, int64_t tokens,
                                              int top_k, int packs) {
  const int64_t t = warp_row();
  if (t >= tokens) return;
  for (int j = threadIdx.x % 32; j < packs; j += 32) {
    float sum[8] = {0, 0, 0, 0, 0, 0, 0, 0}, v[8];
    for (int k = 0; k < top_k; ++k) {
      unpack8(dxp[int64_t(slot_row[t * top_k + k]) * packs + j], v);
#pragma unroll
      for (int e = 0; e < 8; ++e) sum[e] += v[e];
    }
    dx[t * packs + j] = pack8(sum);
  }
}

__global__ void scatter_bf16x8_kernel(const uint4* yp, const float* weight, const int32_t* slot_row, uint4* y,
                                      int64_t tokens, int top_k, int packs, bool accumulate) {
  const int64_t t = warp_row();
  if (t >= tokens) return;
  for (int j = threadIdx.x % 32; j < packs; j += 32) {
    float sum[8] = {0, 0, 0, 0, 0, 0, 0, 0}, v[8];
    if (accumulate) unpack8(y[t * packs + j], sum);
    for (int k = 0; k < top_k; ++k) {
      const float w = weight[t * top_k + k];
      unpack8(yp[int64_t(slot_row[t * top_k + k]) * packs + j], v);
#pragma unroll
      for (int e = 0; e < 8; ++e) sum[e] += w * v[e];
    }
    y[t * packs + j] = pack8(sum);
  }
}

// Token t: dyp[slot_row[t*K + k]] = weight[t, k] dy[t] and dweight[t, k] = <dy[t], yp[slot_row[t*K + k]]>.
__global__ void scatter_backward_bf16x8_kernel(const uint4* dy, const uint4* yp, const float* weight,
                                               const int32_t* slot_row, uint4* dyp, float* dweight, int64_t tokens,
                                               int top_k, int packs) {
  const int64_t t = warp_row();
  if (t >= tokens) return;
  const int lane = threadIdx.x % 32;
  for (int k = 0; k < top_k; ++k) {
    const int64_t row = slot_row[t * top_k + k];
    const float w = weight[t * top_k + k];
    float dot = 0.0f;
    for (int j = lane; j < packs; j += 32) {
      float g[8], v[8], scaled[8];
      unpack8(dy[t * packs + j], g);
      unpack8(yp[row * packs + j], v);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        scaled[e] = w * g[e];
        dot += g[e] * v[e];
      }
      dyp[row * packs + j] = pack8(scaled);
    }
    dot = warp_sum(dot);
    if (lane == 0) dweight[t * top_k + k] = dot;
  }
}

// ---- any float type, element-wise ---------------------------------------------------------------------

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
  for (int64_t tk = int64_t(blockIdx.x) * kRowWarps + warp; tk < pairs; tk += int64_t(gridDim.x) * kRowWarps) {
    const G* g = dy + (tk / top_k) * d;
    const Y* src = yp + int64_t(slot_row[tk]) * d;
    float s = 0.0f;
    for (int64_t j = lane; j < d; j += 32) s += to_f32(g[j]) * to_f32(src[j]);
    s = warp_sum(s);
    if (lane == 0) dweight[tk] = s;
  }
}

}  // namespace

void moe_gather(const Tensor& x, const MoeRouting& routing, Tensor& xp) {
  const char* op = "moe_gather";
  check_routing(op, routing);
  check_device_tensor(op, x, "x");
  const int64_t d = x.cols(), rows = routing.tokens * routing.top_k;
  check_device_numel(op, x, routing.tokens * d, "x");
  check_device_numel(op, xp, rows * d, "xp");
  if (rows == 0 || d == 0) return;
  const int32_t* row_token = device_ptr<int32_t>(routing.row_token, op, "routing.row_token");
  if (bf16x8_rows(d, {&x, &xp})) {
    gather_bf16x8_kernel<<<row_blocks(rows), kRowWarps * 32, 0, stream()>>>(
        static_cast<const uint4*>(x.raw()), row_token, static_cast<uint4*>(xp.raw()), rows, int(d / 8));
    CUDA_CHECK_LAUNCH();
    return;
  }
  dispatch_float(x, op, "x", [&](auto ts) {
    dispatch_float(xp, op, "xp", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      gather_kernel<<<grid_blocks(rows * d), kThreads, 0, stream()>>>(static_cast<const S*>(x.raw()), row_token,
                                                                      static_cast<D*>(xp.raw()), rows, d);
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
  const int32_t* slot_row = device_ptr<int32_t>(routing.slot_row, op, "routing.slot_row");
  if (bf16x8_rows(d, {&dxp, &dx})) {
    gather_backward_bf16x8_kernel<<<row_blocks(routing.tokens), kRowWarps * 32, 0, stream()>>>(
        static_cast<const uint4*>(dxp.raw()), slot_row, static_cast<uint4*>(dx.raw()), routing.tokens, int(top_k),
        int(d / 8));
    CUDA_CHECK_LAUNCH();
    return;
  }
  dispatch_float(dxp, op, "dxp", [&](auto ts) {
    dispatch_float(dx, op, "dx", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      gather_backward_kernel<<<grid_blocks(routing.tokens * d), kThreads, 0, stream()>>>(
          static_cast<const S*>(dxp.raw()), slot_row, static_cast<D*>(dx.raw()), routing.tokens, top_k, d);
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
  const int32_t* slot_row = device_ptr<int32_t>(routing.slot_row, op, "routing.slot_row");
  if (bf16x8_rows(d, {&yp, &y})) {
    scatter_bf16x8_kernel<<<row_blocks(routing.tokens), kRowWarps * 32, 0, stream()>>>(
        static_cast<const uint4*>(yp.raw()), pw, slot_row, static_cast<uint4*>(y.raw()), routing.tokens, int(top_k),
        int(d / 8), acc == Accumulate::yes);
    CUDA_CHECK_LAUNCH();
    return;
  }
  dispatch_float(yp, op, "yp", [&](auto ts) {
    dispatch_float(y, op, "y", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      scatter_kernel<<<grid_blocks(routing.tokens * d), kThreads, 0, stream()>>>(
          static_cast<const S*>(yp.raw()), pw, slot_row, static_cast<D*>(y.raw()), routing.tokens, top_k, d,
          acc == Accumulate::yes);
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
  const int32_t* slot_row = device_ptr<int32_t>(routing.slot_row, op, "routing.slot_row");
  if (d > 0 && bf16x8_rows(d, {&dy, &yp, &dyp})) {
    scatter_backward_bf16x8_kernel<<<row_blocks(routing.tokens), kRowWarps * 32, 0, stream()>>>(
        static_cast<const uint4*>(dy.raw()), static_cast<const uint4*>(yp.raw()), pw, slot_row,
        static_cast<uint4*>(dyp.raw()), pdw, routing.tokens, int(top_k), int(d / 8));
    CUDA_CHECK_LAUNCH();
    return;
  }
  dispatch_float(dy, op, "dy", [&](auto tg) {
    using G = typename decltype(tg)::type;
    dispatch_float(dyp, op, "dyp", [&](auto td) {
      using D = typename decltype(td)::type;
      if (d == 0) return;
      scatter_backward_rows_kernel<<<grid_blocks(rows * d), kThreads, 0, stream()>>>(
          static_cast<const G*>(dy.raw()), pw, slot_row, static_cast<D*>(dyp.raw()), routing.tokens, top_k, d);
      CUDA_CHECK_LAUNCH();
    });
    dispatch_float(yp, op, "yp", [&](auto ty) {
      using Y = typename decltype(ty)::type;
      const int64_t blocks = (rows + kRowWarps - 1) / kRowWarps;
      const int64_t cap = int64_t(multiprocessor_count()) * 32;
      scatter_backward_weight_kernel<<<unsigned(blocks < cap ? blocks : cap), kRowWarps * 32, 0, stream()>>>(
          static_cast<const G*>(dy.raw()), static_cast<const Y*>(yp.raw()), slot_row, pdw, routing.tokens, top_k, d);
      CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace r1::ops::cuda
