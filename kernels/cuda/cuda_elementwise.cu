// CUDA elementwise kernels: fill, add, axpy, scale, mul, dtype conversion and column-range copies.
// Each operand may be f32 or bf16 independently (arithmetic in f32); fill also takes f64 and i32,
// convert also f64. Grid-stride loops with one thread per element, so aliasing operands (out = a + b
// with out == a) are safe; all-bf16 add and column copies whose widths and offsets are multiples of 8
// move eight elements per 16-byte access (the same arithmetic, so the same bits).
#include <string>
#include <type_traits>

#include "kernels/cuda/cuda_bf16x8.cuh"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

template <class T>
__global__ void fill_kernel(T* x, int64_t n, T value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] = value;
}

template <class A, class B, class O>
__global__ void add_kernel(const A* a, const B* b, O* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = from_f32<O>(to_f32(a[i]) + to_f32(b[i]));
}

__global__ void add_bf16x8_kernel(const uint4* a, const uint4* b, uint4* out, int64_t packs) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < packs; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = add8(a[i], b[i]);
}

template <class A, class B, class O>
__global__ void mul_kernel(const A* a, const B* b, O* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = from_f32<O>(to_f32(a[i]) * to_f32(b[i]));
}

template <class X, class Y>
__global__ void axpy_kernel(float alpha, const X* x, Y* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = from_f32<Y>(to_f32(y[i]) + alpha * to_f32(x[i]));
}

template <class T>
__global__ void scale_kernel(T* x, float s, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] = from_f32<T>(to_f32(x[i]) * s);
}

template <class S, class D>
__global__ void convert_kernel(const S* src, D* dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = convert_value<D>(src[i]);
}

template <class S, class D>
__global__ void copy_columns_kernel(const S* src, int64_t src_cols, int64_t src_col, D* dst, int64_t dst_cols,
                                    int64_t dst_col, int64_t rows, int64_t ncols, bool accumulate) {
  const int64_t n = rows * ncols;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / ncols, c = i % ncols;
    const float v = to_f32(src[r * src_cols + src_col + c]);
    D* d = dst + r * dst_cols + dst_col + c;
    *d = from_f32<D>(accumulate ? to_f32(*d) + v : v);
  }
}

// copy_columns_kernel for bf16 with every width and offset counted in 8-element packs.
__global__ void copy_columns_bf16x8_kernel(const uint4* src, int64_t src_packs, int64_t src_pack, uint4* dst,
                                           int64_t dst_packs, int64_t dst_pack, int64_t rows, int64_t packs,
                                           bool accumulate) {
  const int64_t n = rows * packs;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / packs, c = i - r * packs;
    const uint4 v = src[r * src_packs + src_pack + c];
    uint4* d = dst + r * dst_packs + dst_pack + c;
    *d = accumulate ? add8(*d, v) : v;
  }
}

// Calls f(tag) for f32, bf16 or f64 tensors (convert's wider set).
template <class F>
void dispatch_convertible(const Tensor& t, const char* what, F&& f) {
  switch (t.dtype()) {
    case DType::f32: return f(type_tag<float>{});
    case DType::bf16: return f(type_tag<bf16_t>{});
    case DType::f64: return f(type_tag<double>{});
    default: throw Error(std::string("convert: ") + what + " must be f32, f64 or bf16, got " + t.describe());
  }
}

}  // namespace

void fill(Tensor& x, double value) {
  check_device_tensor("fill", x, "x");
  const int64_t n = x.numel();
  if (n == 0) return;
  const unsigned blocks = grid_blocks(n);
  switch (x.dtype()) {
    case DType::f32: fill_kernel<<<blocks, kThreads, 0, stream()>>>(static_cast<float*>(x.raw()), n, float(value)); break;
    case DType::f64: fill_kernel<<<blocks, kThreads, 0, stream()>>>(static_cast<double*>(x.raw()), n, value); break;
    case DType::bf16: {
      const bf16_t v = __double2bfloat16(value);
      fill_kernel<<<blocks, kThreads, 0, stream()>>>(static_cast<bf16_t*>(x.raw()), n, v);
      break;
    }
    case DType::i32:
      fill_kernel<<<blocks, kThreads, 0, stream()>>>(static_cast<int32_t*>(x.raw()), n, int32_t(value));
      break;
    default: throw Error("fill: CUDA fill takes f32, f64, bf16 or i32, got " + x.describe());
  }
  CUDA_CHECK_LAUNCH();
}

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = out.numel();
  check_device_numel("add", out, n, "out");
  check_device_numel("add", a, n, "a");
  check_device_numel("add", b, n, "b");
  if (n == 0) return;
  if (bf16x8_rows(n, {&a, &b, &out})) {
    add_bf16x8_kernel<<<grid_blocks(n / 8), kThreads, 0, stream()>>>(
        static_cast<const uint4*>(a.raw()), static_cast<const uint4*>(b.raw()), static_cast<uint4*>(out.raw()), n / 8);
    CUDA_CHECK_LAUNCH();
    return;
  }
  dispatch_float(a, "add", "a", [&](auto ta) {
    dispatch_float(b, "add", "b", [&](auto tb) {
      dispatch_float(out, "add", "out", [&](auto to) {
        using A = typename decltype(ta)::type;
        using B = typename decltype(tb)::type;
        using O = typename decltype(to)::type;
        add_kernel<<<grid_blocks(n), kThreads, 0, stream()>>>(static_cast<const A*>(a.raw()),
                                                               static_cast<const B*>(b.raw()),
                                                               static_cast<O*>(out.raw()), n);
        CUDA_CHECK_LAUNCH();
      });
    });
  });
}

void axpy(double alpha, const Tensor& x, Tensor& y) {
  const int64_t n = y.numel();
  check_device_numel("axpy", y, n, "y");
  check_device_numel("axpy", x, n, "x");
  if (n == 0) return;
  dispatch_float(x, "axpy", "x", [&](auto tx) {
    dispatch_float(y, "axpy", "y", [&](auto ty) {
      using X = typename decltype(tx)::type;
      using Y = typename decltype(ty)::type;
      axpy_kernel<<<grid_blocks(n), kThreads, 0, stream()>>>(float(alpha), static_cast<const X*>(x.raw()),
                                                              static_cast<Y*>(y.raw()), n);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void scale(Tensor& x, double s) {
  check_device_tensor("scale", x, "x");
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x, "scale", "x", [&](auto tx) {
    using T = typename decltype(tx)::type;
    scale_kernel<<<grid_blocks(n), kThreads, 0, stream()>>>(static_cast<T*>(x.raw()), float(s), n);
    CUDA_CHECK_LAUNCH();
  });
}

void mul(const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = out.numel();
  check_device_numel("mul", out, n, "out");
  check_device_numel("mul", a, n, "a");
  check_device_numel("mul", b, n, "b");
  if (n == 0) return;
  dispatch_float(a, "mul", "a", [&](auto ta) {
    dispatch_float(b, "mul", "b", [&](auto tb) {
      dispatch_float(out, "mul", "out", [&](auto to) {
        using A = typename decltype(ta)::type;
        using B = typename decltype(tb)::type;
        using O = typename decltype(to)::type;
        mul_kernel<<<grid_blocks(n), kThreads, 0, stream()>>>(static_cast<const A*>(a.raw()),
                                                               static_cast<const B*>(b.raw()),
                                                               static_cast<O*>(out.raw()), n);
        CUDA_CHECK_LAUNCH();
      });
    });
  });
}

void convert(const Tensor& src, Tensor& dst) {
  const int64_t n = dst.numel();
  check_device_numel("convert", dst, n, "dst");
  check_device_numel("convert", src, n, "src");
  if (n == 0) return;
  dispatch_convertible(src, "source", [&](auto ts) {
    dispatch_convertible(dst, "destination", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      convert_kernel<<<grid_blocks(n), kThreads, 0, stream()>>>(static_cast<const S*>(src.raw()),
                                                                 static_cast<D*>(dst.raw()), n);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void copy_columns(const Tensor& src, int64_t src_col, Tensor& dst, int64_t dst_col, int64_t ncols, Accumulate acc) {
  check_device_tensor("copy_columns", src, "src");
  check_device_tensor("copy_columns", dst, "dst");
  const int64_t rows = dst.rows(), sc = src.cols(), dc = dst.cols();
  R1_CHECK(src.rows() == rows, "copy_columns: ", src.describe(), " and ", dst.describe(), " differ in rows");
  R1_CHECK(ncols >= 0 && src_col >= 0 && src_col + ncols <= sc && dst_col >= 0 && dst_col + ncols <= dc,
           "copy_columns: columns [", src_col, ", ", src_col + ncols, ") of ", src.describe(), " -> [", dst_col, ", ",
           dst_col + ncols, ") of ", dst.describe(), " out of bounds");
  if (rows == 0 || ncols == 0) return;
  if (bf16x8_rows(ncols, {&src, &dst}) && sc % 8 == 0 && dc % 8 == 0 && src_col % 8 == 0 && dst_col % 8 == 0) {
    copy_columns_bf16x8_kernel<<<grid_blocks(rows * ncols / 8), kThreads, 0, stream()>>>(
        static_cast<const uint4*>(src.raw()), sc / 8, src_col / 8, static_cast<uint4*>(dst.raw()), dc / 8, dst_col / 8,
        rows, ncols / 8, acc == Accumulate::yes);
    CUDA_CHECK_LAUNCH();
    return;
  }
  dispatch_float(src, "copy_columns", "src", [&](auto ts) {
    dispatch_float(dst, "copy_columns", "dst", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      copy_columns_kernel<<<grid_blocks(rows * ncols), kThreads, 0, stream()>>>(
          static_cast<const S*>(src.raw()), sc, src_col, static_cast<D*>(dst.raw()), dc, dst_col, rows, ncols,
          acc == Accumulate::yes);
      CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace r1::ops::cuda
