// CUDA q/k/v split of the fused projection in one pass (instead of bias_add, three copy_columns, two
// rope_apply and, for a KV cache, two scatter_rows): one thread per (row, head of q|k|v, rotary pair);
// the pair's two columns get the bias (rounded to the element type, as bias_add does), q and k pairs
// are rotated as rope_apply rotates them (f32, rounded once), v pairs are copied, and k/v go to row
// kv_rows[row] when given. Host indices are checked there; device indices in the kernel (a trap).
#include <cstdio>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

struct SplitArgs {
  int64_t rows, heads, kv_heads, head_dim, half, first_step, second_shift, max_positions, kv_limit;
  const int32_t* positions;
  const int32_t* kv_rows;  // nullptr: row i
};

template <class T, class B, class C>
__global__ void qkv_split_rope_kernel(const T* qkv, const B* bias, const C* cos_table, const C* sin_table, T* q, T* k,
                                      T* v, SplitArgs a) {
  const int64_t units = a.heads + 2 * a.kv_heads, width = units * a.head_dim;
  const int64_t total = a.rows * units * a.half;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t pair = i % a.half, unit = (i / a.half) % units, row = i / (a.half * units);
    const int64_t col_a = unit * a.head_dim + pair * a.first_step, col_b = col_a + a.second_shift;
    float x = to_f32(qkv[row * width + col_a]), y = to_f32(qkv[row * width + col_b]);
    if (bias) {
      x = to_f32(from_f32<T>(x + to_f32(bias[col_a])));
      y = to_f32(from_f32<T>(y + to_f32(bias[col_b])));
    }
    if (unit < a.heads + a.kv_heads) {  // q or k: rotate
      const int32_t pos = a.positions[row];
      if (pos < 0 || pos >= a.max_positions) {
        printf("qkv_split_rope: position %d at row %lld is outside the rotary table [0, %lld)\n", pos, (long long)row,
               (long long)a.max_positions);
        __trap();
      }
      const float c = to_f32(cos_table[int64_t(pos) * a.half + pair]), s = to_f32(sin_table[int64_t(pos) * a.half + pair]);
      const float2 r = rotate_pair(x, y, c, s);
      x = r.x;
      y = r.y;
    }
    if (unit < a.heads) {
      T* dst = q + row * a.heads * a.head_dim + unit * a.head_dim + pair * a.first_step;
      dst[0] = from_f32<T>(x);
      dst[a.second_shift] = from_f32<T>(y);
      continue;
    }
    int64_t dst_row = row;
    if (a.kv_rows) {
      dst_row = a.kv_rows[row];
      if (dst_row < 0 || dst_row >= a.kv_limit) {
        printf("qkv_split_rope: kv row %lld at row %lld is outside [0, %lld)\n", (long long)dst_row, (long long)row,
               (long long)a.kv_limit);
        __trap();
      }
    }
    const bool is_k = unit < a.heads + a.kv_heads;
    const int64_t head = unit - a.heads - (is_k ? 0 : a.kv_heads);
    T* dst = (is_k ? k : v) + dst_row * a.kv_heads * a.head_dim + head * a.head_dim + pair * a.first_step;
    dst[0] = from_f32<T>(x);
    dst[a.second_shift] = from_f32<T>(y);
  }
}

}  // namespace

void qkv_split_rope(const Tensor& qkv, const Tensor& bias, int64_t heads, int64_t kv_heads, const Tensor& positions,
                    const Tensor& cos, const Tensor& sin, RopeLayout layout, const Tensor& kv_rows, Tensor& q, Tensor& k,
                    Tensor& v) {
  const char* op = "qkv_split_rope";
  check_device_tensor(op, qkv, "qkv");
  check_device_tensor(op, q, "q");
  check_device_tensor(op, k, "k");
  check_device_tensor(op, v, "v");
  check_device_tensor(op, cos, "cos table");
  check_device_tensor(op, sin, "sin table");
  const int64_t n = qkv.rows(), width = qkv.cols();
  R1_CHECK(heads > 0 && kv_heads > 0 && width % (heads + 2 * kv_heads) == 0, op, ": ", qkv.describe(), " is not [N, (",
           heads, " + 2 x ", kv_heads, ") head_dim]");
  const int64_t d = width / (heads + 2 * kv_heads), kw = kv_heads * d, half = d / 2;
  R1_CHECK(d % 2 == 0, op, ": head_dim ", d, " must be even for RoPE");
  check_device_numel(op, q, n * heads * d, "q");
  R1_CHECK(k.numel() % kw == 0 && v.numel() == k.numel(), op, ": k ", k.describe(), " and v ", v.describe(),
           " should be the same number of rows of ", kw);
  check_dtype(op, q, qkv.dtype(), "q");
  check_dtype(op, k, qkv.dtype(), "k");
  check_dtype(op, v, qkv.dtype(), "v");
  R1_CHECK(positions.defined() && positions.numel() == n, op, ": positions ", positions.describe(), " for ", n, " rows");
  R1_CHECK(cos.cols() == half && sin.cols() == half && sin.numel() == cos.numel(), op, ": tables ", cos.describe(),
           " and ", sin.describe(), " should both be [max_positions, ", half, "]");
  if (bias.defined()) check_device_numel(op, bias, width, "bias");
  const int64_t kv_limit = k.numel() / kw;
  R1_CHECK(kv_rows.defined() ? kv_rows.numel() == n : kv_limit == n, op, ": ", kv_limit, " k/v rows for ", n,
           " rows", kv_rows.defined() ? " (kv_rows has another length)" : " without kv_rows");
  if (n == 0) return;
  check_host_indices(positions, cos.rows(), op, "position");
  if (kv_rows.defined()) check_host_indices(kv_rows, kv_limit, op, "kv row");
  DeviceBuffer pos_holder, rows_holder;
  SplitArgs a{};
  a.rows = n;
  a.heads = heads;
  a.kv_heads = kv_heads;
  a.head_dim = d;
  a.half = half;
  const bool interleaved = layout == RopeLayout::interleaved;
  a.first_step = interleaved ? 2 : 1;
  a.second_shift = interleaved ? 1 : half;
  a.max_positions = cos.rows();
  a.kv_limit = kv_limit;
  a.positions = device_indices(positions, op, "positions", pos_holder);
  a.kv_rows = kv_rows.defined() ? device_indices(kv_rows, op, "kv_rows", rows_holder) : nullptr;
  const int64_t total = n * (heads + 2 * kv_heads) * half;
  dispatch_float(qkv, op, "qkv", [&](auto tq) {
    dispatch_float(cos, op, "cos table", [&](auto tc) {
      using T = typename decltype(tq)::type;
      using C = typename decltype(tc)::type;
      check_dtype(op, sin, cos.dtype(), "sin table");
      auto launch = [&](auto* bias_ptr) {
        qkv_split_rope_kernel<<<grid_blocks(total), kThreads, 0, stream()>>>(
            static_cast<const T*>(qkv.raw()), bias_ptr, static_cast<const C*>(cos.raw()), static_cast<const C*>(sin.raw()),
            static_cast<T*>(q.raw()), static_cast<T*>(k.raw()), static_cast<T*>(v.raw()), a);
        CUDA_CHECK_LAUNCH();
      };
      if (!bias.defined()) {
        launch(static_cast<const T*>(nullptr));
        return;
      }
      dispatch_float(bias, op, "bias", [&](auto tb) {
        using B = typename decltype(tb)::type;
        launch(static_cast<const B*>(bias.raw()));
      });
    });
  });
}

}  // namespace r1::ops::cuda
