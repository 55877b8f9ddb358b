// CUDA bias kernels: y[r, :] += b (elementwise) and db += column sums of dy (deterministic, through
// the shared column-sum passes). y/dy and b/db are each f32 or bf16.
#include "kernels/cuda/cuda_column_sums.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

template <class Y, class B>
__global__ void bias_add_kernel(Y* y, const B* b, int64_t total, int64_t cols) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = from_f32<Y>(to_f32(y[i]) + to_f32(b[i % cols]));
}

template <class T>
struct RowMajorValue {
  const T* data;
  int64_t cols;
  __device__ float operator()(int64_t r, int64_t c) const { return to_f32(data[r * cols + c]); }
};

}  // namespace

void bias_add(Tensor& y, const Tensor& b) {
  check_device_tensor("bias_add", y, "y");
  const int64_t cols = y.cols();
  check_device_numel("bias_add", b, cols, "bias");
  if (y.numel() == 0) return;
  dispatch_float(y, "bias_add", "y", [&](auto ty) {
    dispatch_float(b, "bias_add", "bias", [&](auto tb) {
      using Y = typename decltype(ty)::type;
      using B = typename decltype(tb)::type;
      bias_add_kernel<<<grid_blocks(y.numel()), kThreads, 0, stream()>>>(static_cast<Y*>(y.raw()),
                                                                          static_cast<const B*>(b.raw()), y.numel(), cols);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void bias_grad(const Tensor& dy, Tensor& db) {
  check_device_tensor("bias_grad", dy, "dy");
  const int64_t cols = dy.cols(), rows = dy.rows();
  check_device_numel("bias_grad", db, cols, "bias gradient");
  dispatch_float(dy, "bias_grad", "dy", [&](auto td) {
    dispatch_float(db, "bias_grad", "bias gradient", [&](auto tb) {
      using D = typename decltype(td)::type;
      using B = typename decltype(tb)::type;
      accumulate_column_sums(RowMajorValue<D>{static_cast<const D*>(dy.raw()), cols}, rows, cols,
                             static_cast<B*>(db.raw()));
    });
  });
}

}  // namespace r1::ops::cuda
