// CUDA full reductions returning a double: sum and sum of squares. Deterministic: the number of
// blocks depends only on the element count, each thread adds its strided elements in order (in
// double), blocks reduce with fixed butterflies, and one block adds the block partials in order.
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

template <Term term>
double reduce(const Tensor& x, const char* op) {
  check_device_tensor(op, x, "x");
  const int64_t n = x.numel();
  if (n == 0) return 0.0;
  int64_t blocks = (n + kReduceThreads * kItemsPerThread - 1) / (kReduceThreads * kItemsPerThread);
  if (blocks > kMaxReduceBlocks) blocks = kMaxReduceBlocks;
  DeviceBuffer partial(size_t(blocks + 1) * sizeof(double));  // [blocks] partials, then the result
  double* p = partial.as<double>();
  dispatch_float(x, op, "x", [&](auto tag) {
    using T = typename decltype(tag)::type;
    partial_sums_kernel<T, term><<<unsigned(blocks), kReduceThreads, 0, stream()>>>(static_cast<const T*>(x.raw()), n, p);
    CUDA_CHECK_LAUNCH();
  });
  finish_sum_kernel<<<1, kReduceThreads, 0, stream()>>>(p, blocks, p + blocks);
  CUDA_CHECK_LAUNCH();
  double result = 0;
  download_bytes(&result, p + blocks, sizeof(double));
  return result;
}

}  // namespace

double sum_squares(const Tensor& x) { return reduce<Term::square>(x, "sum_squares"); }
double sum(const Tensor& x) { return reduce<Term::value>(x, "sum"); }

}  // namespace r1::ops::cuda
