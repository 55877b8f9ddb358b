// CUDA SwiGLU: gate_up [N, 2I] holds the gate in columns [0, I) and up in [I, 2I);
// out = silu(gate) * up, silu(g) = g * sigmoid(g), evaluated in f32 (1 / (1 + exp(-g)) saturates to
// 0 or 1 without NaN). Blocks take rows and column ranges, threads columns; one thread per (row, j)
// reads gate j and up j before writing, so the backward's dgate_up may alias gate_up. gate_up, out,
// dout and dgate_up share a dtype (f32 or bf16).
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

__device__ __forceinline__ float sigmoid(float g) { return 1.0f / (1.0f + expf(-g)); }

// Row-strided blocks, columns across threads in groups of V elements (V = 8 for bf16 rows that
// allow 16-byte vectors, else 1): no 64-bit division per element, full-width memory transactions.
template <class T, int V>
struct alignas(sizeof(T) * V) Pack {
  T x[V];
};

template <class T, int V>
__global__ void swiglu_forward_kernel(const T* gate_up, T* out, int64_t rows, int64_t inter) {
  const int64_t groups = inter / V;
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const Pack<T, V>* gate = reinterpret_cast<const Pack<T, V>*>(gate_up + r * 2 * inter);
    const Pack<T, V>* up = reinterpret_cast<const Pack<T, V>*>(gate_up + r * 2 * inter + inter);
    Pack<T, V>* y = reinterpret_cast<Pack<T, V>*>(out + r * inter);
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; j < groups; j += stride) {
      const Pack<T, V> gv = gate[j], uv = up[j];
      Pack<T, V> yv;
#pragma unroll
      for (int e = 0; e < V; ++e) {
        const float g = to_f32(gv.x[e]), u = to_f32(uv.x[e]);
        yv.x[e] = from_f32<T>(g * sigmoid(g) * u);
      }
      y[j] = yv;
    }
  }
}

// d silu(g)/dg = sig (1 + g (1 - sig)).
template <class T, int V>
__global__ void swiglu_backward_kernel(const T* gate_up, const T* dout, T* dgate_up, int64_t rows, int64_t inter) {
  const int64_t groups = inter / V;
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const Pack<T, V>* gate = reinterpret_cast<const Pack<T, V>*>(gate_up + r * 2 * inter);
    const Pack<T, V>* up = reinterpret_cast<const Pack<T, V>*>(gate_up + r * 2 * inter + inter);
    const Pack<T, V>* dy_row = reinterpret_cast<const Pack<T, V>*>(dout + r * inter);
    Pack<T, V>* dgate = reinterpret_cast<Pack<T, V>*>(dgate_up + r * 2 * inter);
    Pack<T, V>* dup = reinterpret_cast<Pack<T, V>*>(dgate_up + r * 2 * inter + inter);
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; j < groups; j += stride) {
      const Pack<T, V> gv = gate[j], uv = up[j], dyv = dy_row[j];
      Pack<T, V> dgv, duv;
#pragma unroll
      for (int e = 0; e < V; ++e) {
        const float g = to_f32(gv.x[e]), u = to_f32(uv.x[e]), dy = to_f32(dyv.x[e]);
        const float sig = sigmoid(g);
        duv.x[e] = from_f32<T>(dy * g * sig);
        dgv.x[e] = from_f32<T>(dy * u * sig * (1.0f + g * (1.0f - sig)));
      }
      dup[j] = duv;
      dgate[j] = dgv;
    }
  }
}

// 16-byte groups when every row start of every tensor stays 16-byte aligned.
template <class T>
bool vectorisable(int64_t inter, std::initializer_list<const void*> ptrs) {
  if (!std::is_same_v<T, bf16_t> || inter % 8 != 0) return false;
  for (const void* p : ptrs)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  return true;
}

// Blocks across a row's column groups times rows, up to a cap (the loops cover the rest), so a few
// long rows (decoding) still spread over the device.
dim3 swiglu_grid(int64_t rows, int64_t groups) {
  const int64_t column_blocks = std::min<int64_t>((groups + kThreads - 1) / kThreads, 64);
  const int64_t cap = int64_t(multiprocessor_count()) * 64 / column_blocks;
  const int64_t row_blocks = std::max<int64_t>(1, std::min({rows, cap, int64_t(65535)}));
  return dim3(unsigned(std::max<int64_t>(1, column_blocks)), unsigned(row_blocks));
}

int64_t check_swiglu(const char* op, const Tensor& gate_up, const Tensor& per_row) {
  check_device_tensor(op, gate_up, "gate_up");
  check_device_tensor(op, per_row, "output");
  check_dtype(op, per_row, gate_up.dtype(), "output");
  const int64_t inter = per_row.cols();
  R1_CHECK(gate_up.cols() == 2 * inter && gate_up.rows() == per_row.rows(), op, ": gate_up ", gate_up.describe(),
           " should be [", per_row.rows(), ", ", 2 * inter, "] for ", per_row.describe());
  return inter;
}

}  // namespace

void swiglu_forward(const Tensor& gate_up, Tensor& out) {
  const char* op = "swiglu_forward";
  const int64_t inter = check_swiglu(op, gate_up, out);
  if (out.numel() == 0) return;
  dispatch_float(out, op, "out", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* gu = static_cast<const T*>(gate_up.raw());
    T* y = static_cast<T*>(out.raw());
    if (vectorisable<T>(inter, {gu, y}))
      swiglu_forward_kernel<T, 8>
          <<<swiglu_grid(out.rows(), inter / 8), kThreads, 0, stream()>>>(gu, y, out.rows(), inter);
    else
      swiglu_forward_kernel<T, 1><<<swiglu_grid(out.rows(), inter), kThreads, 0, stream()>>>(gu, y, out.rows(), inter);
    CUDA_CHECK_LAUNCH();
  });
}

void swiglu_backward(const Tensor& gate_up, const Tensor& dout, Tensor& dgate_up) {
  const char* op = "swiglu_backward";
  const int64_t inter = check_swiglu(op, gate_up, dout);
  check_device_numel(op, dgate_up, gate_up.numel(), "dgate_up");
  check_dtype(op, dgate_up, gate_up.dtype(), "dgate_up");
  if (dout.numel() == 0) return;
  dispatch_float(dout, op, "dout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* gu = static_cast<const T*>(gate_up.raw());
    const T* dy = static_cast<const T*>(dout.raw());
    T* dgu = static_cast<T*>(dgate_up.raw());
    if (vectorisable<T>(inter, {gu, dy, dgu}))
      swiglu_backward_kernel<T, 8>
          <<<swiglu_grid(dout.rows(), inter / 8), kThreads, 0, stream()>>>(gu, dy, dgu, dout.rows(), inter);
    else
      swiglu_backward_kernel<T, 1>
          <<<swiglu_grid(dout.rows(), inter), kThreads, 0, stream()>>>(gu, dy, dgu, dout.rows(), inter);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace r1::ops::cuda
