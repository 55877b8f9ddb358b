// CUDA rotary position embedding, in place on a column range of every head of x [N, heads, stride]
// (f32 or bf16), one thread per rotated pair; cos/sin tables [max_positions, rope_dim/2] are f32 or
// bf16. Layout half pairs columns (i, i + D/2), interleaved pairs (2i, 2i + 1); pair i uses table
// column i; (a, b) -> (a c - b s, b c + a s), with -s for the inverse (backward) direction.
// Positions on the host are checked there; positions already on the device are checked in the
// kernel, which stops the program (a device trap, reported by the next CUDA call) on a bad one.
#include <cstdio>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

template <class T, class C>
__global__ void rope_kernel(T* x, const int32_t* positions, const C* cos_table, const C* sin_table, int64_t rows,
                            int64_t heads, int64_t stride, int64_t col_offset, int64_t half, int64_t first_step,
                            int64_t second_shift, float sin_sign, int64_t max_positions) {
  const int64_t total = rows * heads * half;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t pair = i % half, row_head = i / half, row = row_head / heads;
    const int32_t pos = positions[row];
    if (pos < 0 || pos >= max_positions) {
      printf("rope_apply: position %d at row %lld is outside the rotary table [0, %lld)\n", pos, (long long)row,
             (long long)max_positions);
      __trap();
    }
    const float c = to_f32(cos_table[int64_t(pos) * half + pair]);
    const float s = sin_sign * to_f32(sin_table[int64_t(pos) * half + pair]);
    T* base = x + row_head * stride + col_offset;
    T* pa = base + pair * first_step;
    T* pb = pa + second_shift;
    const float2 r = rotate_pair(to_f32(*pa), to_f32(*pb), c, s);
    *pa = from_f32<T>(r.x);
    *pb = from_f32<T>(r.y);
  }
}

}  // namespace

void rope_apply(Tensor& x, int64_t heads, int64_t col_offset, int64_t rope_dim, const Tensor& positions,
                const Tensor& cos, const Tensor& sin, RopeLayout layout, RopeDirection direction) {
  const char* op = "rope_apply";
  check_device_tensor(op, x, "x");
  check_device_tensor(op, cos, "cos table");
  check_device_tensor(op, sin, "sin table");
  R1_CHECK(positions.defined() && positions.dtype() == DType::i32, op, ": positions must be i32, got ",
           positions.describe());
  const int64_t n = positions.numel();
  R1_CHECK(heads > 0 && rope_dim > 0 && rope_dim % 2 == 0, op, ": needs heads > 0 and an even rope_dim > 0, got heads ",
           heads, ", rope_dim ", rope_dim);
  R1_CHECK(n > 0 ? x.numel() % (n * heads) == 0 : x.numel() == 0, op, ": ", x.describe(), " is not [", n,
           " positions, ", heads, " heads, stride]");
  const int64_t stride = n > 0 ? x.numel() / (n * heads) : 0, half = rope_dim / 2;
  R1_CHECK(n == 0 || (col_offset >= 0 && col_offset + rope_dim <= stride), op, ": columns [", col_offset, ", ",
           col_offset + rope_dim, ") do not fit a head of width ", stride);
  R1_CHECK(cos.cols() == half && sin.cols() == half && sin.numel() == cos.numel(), op, ": tables ", cos.describe(),
           " and ", sin.describe(), " should both be [max_positions, ", half, "]");
  if (n == 0) return;
  const int64_t max_positions = cos.rows();
  DeviceBuffer uploaded;
  if (positions.is_host()) {
    const int32_t* pos = positions.data<int32_t>();
    for (int64_t i = 0; i < n; ++i)
      R1_CHECK(pos[i] >= 0 && pos[i] < max_positions, op, ": position ", pos[i], " at row ", i,
               " is outside the rotary table [0, ", max_positions, ")");
  }
  const int32_t* device_positions = device_indices(positions, op, "positions", uploaded);
  const bool interleaved = layout == RopeLayout::interleaved;
  const int64_t first_step = interleaved ? 2 : 1, second_shift = interleaved ? 1 : half;
  const float sin_sign = direction == RopeDirection::inverse ? -1.0f : 1.0f;
  dispatch_float(x, op, "x", [&](auto tx) {
    dispatch_float(cos, op, "cos table", [&](auto tc) {
      using T = typename decltype(tx)::type;
      using C = typename decltype(tc)::type;
      check_dtype(op, sin, cos.dtype(), "sin table");
      rope_kernel<<<grid_blocks(n * heads * half), kThreads, 0, stream()>>>(
          static_cast<T*>(x.raw()), device_positions, static_cast<const C*>(cos.raw()), static_cast<const C*>(sin.raw()),
          n, heads, stride, col_offset, half, first_step, second_shift, sin_sign, max_positions);
      CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace r1::ops::cuda
