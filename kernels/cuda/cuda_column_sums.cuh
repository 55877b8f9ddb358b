// Deterministic column sums for the CUDA backend: out[c] += sum over rows r of value(r, c), for
// bias and RMSNorm weight gradients. Pass 1: blocks own 32 columns x a fixed chunk of rows; each of
// 8 row lanes adds its rows in order, then lane sums are added in lane order -> partial[chunk][c].
// Pass 2: one thread per column adds the chunk partials in chunk order into out. The chunking
// depends only on the shape, and no float atomics are used, so results are bit-reproducible.
#pragma once
#include "kernels/cuda/cuda_common.cuh"

namespace r1::ops::cuda {

constexpr int kColumnTile = 32;      // columns per block (one warp's width)
constexpr int kRowLanes = 8;         // row lanes per block
constexpr int64_t kRowChunk = 256;   // rows per partial sum

// value(r, c) -> float, a __device__ functor.
template <class Value>
__global__ void column_partial_sums_kernel(Value value, int64_t rows, int64_t cols, float* partial) {
  __shared__ float lane_sums[kRowLanes][kColumnTile];
  const int64_t c = int64_t(blockIdx.x) * kColumnTile + threadIdx.x;
  const int64_t r0 = int64_t(blockIdx.y) * kRowChunk;
  const int64_t r1 = r0 + kRowChunk < rows ? r0 + kRowChunk : rows;
  float s = 0.0f;
  if (c < cols)
    for (int64_t r = r0 + threadIdx.y; r < r1; r += kRowLanes) s += value(r, c);
  lane_sums[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float total = 0.0f;
    for (int lane = 0; lane < kRowLanes; ++lane) total += lane_sums[lane][threadIdx.x];
    partial[int64_t(blockIdx.y) * cols + c] = total;
  }
}

template <class Out>
__global__ void column_finish_kernel(const float* partial, int64_t chunks, int64_t cols, Out* out) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= cols) return;
  float total = 0.0f;
  for (int64_t k = 0; k < chunks; ++k) total += partial[k * cols + c];
  out[c] = from_f32<Out>(to_f32(out[c]) + total);
}

// out[c] (f32 or bf16, on the device) += sum_r value(r, c).
template <class Out, class Value>
void accumulate_column_sums(const Value& value, int64_t rows, int64_t cols, Out* out) {
  if (rows == 0 || cols == 0) return;
  const int64_t chunks = (rows + kRowChunk - 1) / kRowChunk;
  R1_CHECK(chunks < 65536, "column sums: ", rows, " rows exceed the grid's row chunks");
  DeviceBuffer partial(size_t(chunks * cols) * sizeof(float));  // [chunks, cols]
  dim3 grid(unsigned((cols + kColumnTile - 1) / kColumnTile), unsigned(chunks));
  column_partial_sums_kernel<<<grid, dim3(kColumnTile, kRowLanes), 0, stream()>>>(value, rows, cols,
                                                                                   partial.as<float>());
  CUDA_CHECK_LAUNCH();
  column_finish_kernel<<<unsigned((cols + kThreads - 1) / kThreads), kThreads, 0, stream()>>>(partial.as<float>(),
                                                                                             chunks, cols, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace r1::ops::cuda
