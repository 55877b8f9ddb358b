// CUDA rotary embedding against the float64 host version: both layouts, both directions, a rotary
// sub-range of each head (MLA's q_rope columns after q_nope) and whole heads, positions on the host
// or on the device, f32/bf16 activations with f32/bf16 tables; inverse(forward(x)) returns x.
#include <cmath>
#include <tuple>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

namespace {
// cos/sin tables [max_positions, rope_dim/2] in float64 (theta = 10000).
std::pair<Tensor, Tensor> tables(int64_t max_positions, int64_t rope_dim) {
  const int64_t half = rope_dim / 2;
  Tensor c = Tensor::empty({max_positions, half}, DType::f64), s = Tensor::empty({max_positions, half}, DType::f64);
  for (int64_t p = 0; p < max_positions; ++p)
    for (int64_t i = 0; i < half; ++i) {
      const double angle = double(p) * std::pow(10000.0, -2.0 * double(i) / double(rope_dim));
      c.data<double>()[p * half + i] = std::cos(angle);
      s.data<double>()[p * half + i] = std::sin(angle);
    }
  return {c, s};
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_cuda_rope, CudaFixture)

BOOST_AUTO_TEST_CASE(matches_float64_for_layouts_directions_and_ranges) {
  // (rows, heads, head width, column offset, rotary width)
  for (auto [rows, heads, stride, col_offset, rope_dim] :
       {std::tuple{5, 1, 8, 0, 8}, {77, 12, 128, 0, 128}, {130, 4, 192, 128, 64}, {9, 3, 10, 2, 6}})
    for (DType act : {DType::f32, DType::bf16})
      for (DType table_t : {DType::f32, DType::bf16})
        for (auto layout : {ops::RopeLayout::half, ops::RopeLayout::interleaved})
          for (auto direction : {ops::RopeDirection::forward, ops::RopeDirection::inverse})
            for (bool positions_on_device : {false, true}) {
              const int64_t max_positions = 4096;
              auto [c64, s64] = tables(max_positions, rope_dim);
              Tensor c = cast(c64, table_t), s = cast(s64, table_t);
              Tensor positions = random_ints({rows}, 0, max_positions, 70);
              Tensor x = host_random({rows, heads, stride}, act, 71);
              Tensor ref = as_f64(x);
              ops::rope_apply(ref, heads, col_offset, rope_dim, positions, as_f64(c), as_f64(s), layout, direction);
              Tensor dx = to_device(x);
              ops::rope_apply(dx, heads, col_offset, rope_dim, positions_on_device ? to_device(positions) : positions,
                              to_device(c), to_device(s), layout, direction);
              expect_close(dx, ref, tolerance(act == DType::bf16 ? DType::bf16 : DType::f32),
                           "rope rows=" + std::to_string(rows) + " heads=" + std::to_string(heads) + " " +
                               dtype_name(act) + "/" + dtype_name(table_t));
            }
}

BOOST_AUTO_TEST_CASE(inverse_undoes_forward) {
  const int64_t rows = 300, heads = 12, dim = 128;
  auto [c64, s64] = tables(2048, dim);
  Tensor c = to_device(cast(c64, DType::f32)), s = to_device(cast(s64, DType::f32));
  Tensor positions = to_device(random_ints({rows}, 0, 2048, 72));
  Tensor x = host_random({rows, heads, dim}, DType::f32, 73);
  Tensor d = to_device(x);
  ops::rope_apply(d, heads, 0, dim, positions, c, s, ops::RopeLayout::half, ops::RopeDirection::forward);
  ops::rope_apply(d, heads, 0, dim, positions, c, s, ops::RopeLayout::half, ops::RopeDirection::inverse);
  expect_close(d, x, 1e-5, "rope inverse(forward(x))");
}

BOOST_AUTO_TEST_SUITE_END()
