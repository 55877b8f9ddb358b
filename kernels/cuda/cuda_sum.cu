// CUDA full reductions returning a double: sum and sum of squares (also of many tensors with one
// transfer back, for the gradient norm). Deterministic: the number of
// blocks depends only on the element count, each thread adds its strided elements in order (in
// double), blocks reduce with fixed butterflies, and one block adds the block partials in order.
#include <algorithm>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kReduceThreads = 512;
constexpr int64_t kMaxReduceBlocks = 1024;
constexpr int64_t kItemsPerThread = 8;  // before the grid reaches its cap

enum class Term { value, square };

template <class T, Term term>
__global__ void partial_sums_kernel(const T* x, int64_t n, double* partial) {
  __shared__ double scratch[32];
  double s = 0;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const double v = double(to_f32(x[i]));
    s += term == Term::square ? v * v : v;
  }
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void finish_sum_kernel(const double* partial, int64_t count, double* result) {
  __shared__ double scratch[32];
  double s = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) *result = s;
}

int64_t reduce_blocks(int64_t n) {
  const int64_t blocks = (n + kReduceThreads * kItemsPerThread - 1) / (kReduceThreads * kItemsPerThread);
  return blocks > kMaxReduceBlocks ? kMaxReduceBlocks : blocks;
}

// Queues the reduction of x into *result (device memory), using `partial` (reduce_blocks(n) doubles).
template <Term term>
void reduce_into(const Tensor& x, double* partial, double* result, const char* op) {
  check_device_tensor(op, x, "x");
  const int64_t n = x.numel();
  if (n == 0) {
    CUDA_CHECK(cudaMemsetAsync(result, 0, sizeof(double), stream()));
    return;
  }
  const int64_t blocks = reduce_blocks(n);
  dispatch_float(x, op, "x", [&](auto tag) {
    using T = typename decltype(tag)::type;
    partial_sums_kernel<T, term>
        <<<unsigned(blocks), kReduceThreads, 0, stream()>>>(static_cast<const T*>(x.raw()), n, partial);
    CUDA_CHECK_LAUNCH();
  });
  finish_sum_kernel<<<1, kReduceThreads, 0, stream()>>>(partial, blocks, result);
  CUDA_CHECK_LAUNCH();
}

template <Term term>
double reduce(const Tensor& x, const char* op) {
  if (x.numel() == 0) return 0.0;
  const int64_t blocks = reduce_blocks(x.numel());
  DeviceBuffer partial(size_t(blocks + 1) * sizeof(double));  // [blocks] partials, then the result
  double* p = partial.as<double>();
  reduce_into<term>(x, p, p + blocks, op);
  double result = 0;
  download_bytes(&result, p + blocks, sizeof(double));
  return result;
}

}  // namespace

double sum_squares(const Tensor& x) { return reduce<Term::square>(x, "sum_squares"); }
double sum(const Tensor& x) { return reduce<Term::value>(x, "sum"); }

std::vector<double> sum_squares_each(const std::vector<Tensor>& parts) {
  // The parts' reductions queue one after another (one stream: they may share the partials), each
  // into its own result slot; then one download.
  std::vector<double> sums(parts.size(), 0.0);
  if (parts.empty()) return sums;
  int64_t most_blocks = 1;
  for (const Tensor& part : parts) most_blocks = std::max(most_blocks, reduce_blocks(part.numel()));
  DeviceBuffer scratch((size_t(most_blocks) + parts.size()) * sizeof(double));
  double* partial = scratch.as<double>();
  double* results = partial + most_blocks;
  for (size_t i = 0; i < parts.size(); ++i) reduce_into<Term::square>(parts[i], partial, results + i, "sum_squares_each");
  download_bytes(sums.data(), results, sums.size() * sizeof(double));
  return sums;
}

}  // namespace r1::ops::cuda
