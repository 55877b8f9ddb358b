// Host rotary position embedding: rotates a column range of every head in place, by the angle of
// each row's position, read from precomputed cos/sin tables [max_positions, rope_dim/2].
// Pairing: layout half (NeoX / HF Qwen2 rotate_half) pairs columns (i, i + D/2); layout interleaved
// (GPT-J / DeepSeek-V3) pairs (2i, 2i + 1); either way pair i uses table column i. A pair (a, b)
// becomes (a c - b s, b c + a s); the inverse direction uses -s (the transpose, i.e. the backward).
#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

void rope_apply(Tensor& x, int64_t heads, int64_t col_offset, int64_t rope_dim, const Tensor& positions,
                const Tensor& cos, const Tensor& sin, RopeLayout layout, RopeDirection direction) {
  check_host("rope_apply", positions);
  R1_CHECK(positions.dtype() == DType::i32, "rope_apply: positions must be i32, got ", positions.describe());
  check_same_dtype("rope_apply", x, cos);
  check_same_dtype("rope_apply", x, sin);
  int64_t n = positions.numel();
  R1_CHECK(heads > 0 && rope_dim > 0 && rope_dim % 2 == 0, "rope_apply: needs heads > 0 and an even rope_dim > 0, got heads ",
           heads, ", rope_dim ", rope_dim);
  R1_CHECK(n > 0 ? x.numel() % (n * heads) == 0 : x.numel() == 0, "rope_apply: ", x.describe(),
           " is not [", n, " positions, ", heads, " heads, stride]");
  int64_t stride = n > 0 ? x.numel() / (n * heads) : 0, half = rope_dim / 2;
  R1_CHECK(n == 0 || (col_offset >= 0 && col_offset + rope_dim <= stride), "rope_apply: columns [", col_offset, ", ",
           col_offset + rope_dim, ") do not fit a head of width ", stride);
  R1_CHECK(cos.cols() == half && sin.cols() == half && sin.numel() == cos.numel(), "rope_apply: tables ",
           cos.describe(), " and ", sin.describe(), " should both be [max_positions, ", half, "]");
  int64_t max_positions = cos.rows();
  const int32_t* pos = positions.data<int32_t>();
  for (int64_t i = 0; i < n; ++i)
    R1_CHECK(pos[i] >= 0 && pos[i] < max_positions, "rope_apply: position ", pos[i], " at row ", i,
             " is outside the rotary table [0, ", max_positions, ")");
  // Element offsets of pair i's two members, relative to the start of the rotated range.
  bool interleaved = layout == RopeLayout::interleaved;
  int64_t first_step = interleaved ? 2 : 1, second_shift = interleaved ? 1 : half;
  double sin_sign = direction == RopeDirection::inverse ? -1.0 : 1.0;
  dispatch_float(x, "rope_apply", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* px = x.data<T>();  // [n, heads, stride]
    const T *pc = cos.data<T>(), *ps = sin.data<T>();
    T sign = T(sin_sign);
    parallel_for("rope_apply", n * heads, [=](int64_t nh) {
      int64_t row = nh / heads;
      const T* c_row = pc + int64_t(pos[row]) * half;
      const T* s_row = ps + int64_t(pos[row]) * half;
      T* base = px + nh * stride + col_offset;
      for (int64_t i = 0; i < half; ++i) {
        T c = c_row[i], s = sign * s_row[i];
        T& a = base[i * first_step];
        T& b = base[i * first_step + second_shift];
        T a0 = a, b0 = b;
        a = a0 * c - b0 * s;
        b = b0 * c + a0 * s;
      }
    });
  });
}

}  // namespace r1::ops::host
