// CUDA residual add fused with the RMSNorm of its result (add_rmsnorm_forward): for all-bf16 rows of
// a multiple of 8 elements, one block per row writes sum = x + y (each element rounded as the add op
// rounds it) 16 bytes at a time and normalises the row it just wrote with the plain op's row code
// (cuda_rmsnorm_row.cuh): one pass instead of two kernels, the same bits. Any other dtype or
// alignment runs add then rmsnorm_forward.
#include "kernels/cuda/cuda_ops.hpp"
#include "kernels/cuda/cuda_rmsnorm_row.cuh"

namespace r1::ops::cuda {

namespace {

__global__ void add_rmsnorm_bf16x8_kernel(const bf16_t* x, const bf16_t* y, const bf16_t* w, bf16_t* sum,
                                          bf16_t* normed, float* rstd, int64_t d, float eps) {
  const int64_t row = blockIdx.x, packs = d / 8;
  const uint4* xr = reinterpret_cast<const uint4*>(x + row * d);
  const uint4* yr = reinterpret_cast<const uint4*>(y + row * d);
  uint4* sr = reinterpret_cast<uint4*>(sum + row * d);
  for (int64_t j = threadIdx.x; j < packs; j += blockDim.x) sr[j] = add8(xr[j], yr[j]);
  rmsnorm_row_bf16x8(sum, w, normed, rstd, d, eps);  // reads back only this thread's pieces
}

}  // namespace

void add_rmsnorm_forward(const Tensor& x, const Tensor& y, const Tensor& w, double eps, Tensor& sum, Tensor& normed,
                         Tensor& rstd) {
  const char* op = "add_rmsnorm_forward";
  check_device_tensor(op, x, "x");
  check_device_tensor(op, sum, "sum");
  const int64_t rows = sum.rows(), d = sum.cols();
  check_device_numel(op, x, sum.numel(), "x");
  check_device_numel(op, y, sum.numel(), "y");
  check_device_numel(op, normed, sum.numel(), "normed");
  check_device_numel(op, w, d, "weight");
  check_device_numel(op, rstd, rows, "rstd");
  check_dtype(op, rstd, DType::f32, "rstd");
  if (!bf16x8_rows(d, {&x, &y, &w, &sum, &normed})) {
    add(x, y, sum);
    rmsnorm_forward(sum, w, eps, normed, rstd);
    return;
  }
  if (rows == 0 || d == 0) return;
  add_rmsnorm_bf16x8_kernel<<<unsigned(checked_int(rows, op, "rows")), kRowThreads, 0, stream()>>>(
      static_cast<const bf16_t*>(x.raw()), static_cast<const bf16_t*>(y.raw()), static_cast<const bf16_t*>(w.raw()),
      static_cast<bf16_t*>(sum.raw()), static_cast<bf16_t*>(normed.raw()), static_cast<float*>(rstd.raw()), d,
      float(eps));
  CUDA_CHECK_LAUNCH();
}

}  // namespace r1::ops::cuda
