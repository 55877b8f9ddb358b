// CUDA row scatter into a KV cache (or any row-indexed buffer) and row gather. Index tensors may
// live on the host (checked there, then uploaded) or on the device (checked in the kernel, which
// stops the program on a bad index).
#include <cstdio>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

__device__ __forceinline__ void require_row(int32_t r, int64_t limit, int64_t i, const char* op) {
  if (r < 0 || r >= limit) {
    printf("%s: row index %d at %lld is outside [0, %lld)\n", op, r, (long long)i, (long long)limit);
    __trap();
  }
}

template <class S, class D>
__global__ void scatter_rows_kernel(const S* src, const int32_t* rows, D* dst, int64_t n, int64_t width,
                                    int64_t dst_rows, int64_t dst_cols, int64_t dst_col) {
  const int64_t total = n * width;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = i / width, j = i % width;
    const int32_t r = rows[row];
    require_row(r, dst_rows, row, "scatter_rows");
    dst[int64_t(r) * dst_cols + dst_col + j] = from_f32<D>(to_f32(src[i]));
  }
}

template <class S, class D>
__global__ void gather_rows_kernel(const S* src, const int32_t* rows, D* dst, int64_t n, int64_t width,
                                   int64_t src_rows) {
  const int64_t total = n * width;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = i / width, j = i % width;
    const int32_t r = rows[row];
    require_row(r, src_rows, row, "gather_rows");
    dst[i] = from_f32<D>(to_f32(src[int64_t(r) * width + j]));
  }
}

}  // namespace

void scatter_rows(const Tensor& src, const Tensor& rows, Tensor& dst, int64_t dst_col) {
  const char* op = "scatter_rows";
  check_device_tensor(op, src, "src");
  check_device_tensor(op, dst, "dst");
  const int64_t n = src.rows(), width = src.cols(), dst_rows = dst.rows(), dst_cols = dst.cols();
  R1_CHECK(rows.defined() && rows.numel() == n, op, ": rows ", rows.describe(), " should have ", n, " elements");
  R1_CHECK(dst_col >= 0 && dst_col + width <= dst_cols, op, ": columns [", dst_col, ", ", dst_col + width, ") outside ",
           dst.describe());
  if (n == 0 || width == 0) return;
  check_host_indices(rows, dst_rows, op, "row");
  DeviceBuffer holder;
  const int32_t* pr = device_indices(rows, op, "rows", holder);
  dispatch_float(src, op, "src", [&](auto ts) {
    dispatch_float(dst, op, "dst", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      scatter_rows_kernel<<<grid_blocks(n * width), kThreads, 0, stream()>>>(
          static_cast<const S*>(src.raw()), pr, static_cast<D*>(dst.raw()), n, width, dst_rows, dst_cols, dst_col);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void gather_rows(const Tensor& src, const Tensor& rows, Tensor& dst) {
  const char* op = "gather_rows";
  check_device_tensor(op, src, "src");
  check_device_tensor(op, dst, "dst");
  const int64_t n = dst.rows(), width = dst.cols(), src_rows = src.rows();
  R1_CHECK(src.cols() == width, op, ": ", src.describe(), " and ", dst.describe(), " differ in width");
  R1_CHECK(rows.defined() && rows.numel() == n, op, ": rows ", rows.describe(), " should have ", n, " elements");
  if (n == 0 || width == 0) return;
  check_host_indices(rows, src_rows, op, "row");
  DeviceBuffer holder;
  const int32_t* pr = device_indices(rows, op, "rows", holder);
  dispatch_float(src, op, "src", [&](auto ts) {
    dispatch_float(dst, op, "dst", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      gather_rows_kernel<<<grid_blocks(n * width), kThreads, 0, stream()>>>(
          static_cast<const S*>(src.raw()), pr, static_cast<D*>(dst.raw()), n, width, src_rows);
      CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace r1::ops::cuda
