// CUDA SwiGLU: gate_up [N, 2I] holds the gate in columns [0, I) and up in [I, 2I);
// out = silu(gate) * up, silu(g) = g * sigmoid(g), evaluated in f32 (1 / (1 + exp(-g)) saturates to
// 0 or 1 without NaN). One thread per (row, j) reads gate j and up j before writing, so the backward's
// dgate_up may alias gate_up. gate_up, out, dout and dgate_up share a dtype (f32 or bf16).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

__device__ __forceinline__ float sigmoid(float g) { return 1.0f / (1.0f + expf(-g)); }

template <class T>
__global__ void swiglu_forward_kernel(const T* gate_up, T* out, int64_t rows, int64_t inter) {
  const int64_t total = rows * inter;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / inter, j = i % inter;
    const float g = to_f32(gate_up[r * 2 * inter + j]), u = to_f32(gate_up[r * 2 * inter + inter + j]);
    out[i] = from_f32<T>(g * sigmoid(g) * u);
  }
}

// d silu(g)/dg = sig (1 + g (1 - sig)).
template <class T>
__global__ void swiglu_backward_kernel(const T* gate_up, const T* dout, T* dgate_up, int64_t rows, int64_t inter) {
  const int64_t total = rows * inter;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / inter, j = i % inter;
    const int64_t gi = r * 2 * inter + j, ui = gi + inter;
    const float g = to_f32(gate_up[gi]), u = to_f32(gate_up[ui]), dy = to_f32(dout[i]);
    const float sig = sigmoid(g);
    dgate_up[ui] = from_f32<T>(dy * g * sig);
    dgate_up[gi] = from_f32<T>(dy * u * sig * (1.0f + g * (1.0f - sig)));
  }
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
    swiglu_forward_kernel<<<grid_blocks(out.numel()), kThreads, 0, stream()>>>(
        static_cast<const T*>(gate_up.raw()), static_cast<T*>(out.raw()), out.rows(), inter);
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
    swiglu_backward_kernel<<<grid_blocks(dout.numel()), kThreads, 0, stream()>>>(
        static_cast<const T*>(gate_up.raw()), static_cast<const T*>(dout.raw()), static_cast<T*>(dgate_up.raw()),
        dout.rows(), inter);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace r1::ops::cuda
