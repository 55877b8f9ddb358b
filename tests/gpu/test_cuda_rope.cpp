// CUDA rotary embedding against the float64 host version: both layouts, both directions, a rotary
// sub-range of each head (MLA's q_rope columns after q_nope) and whole heads, positions on the host
// or on the device, f32/bf16 activations with f32/bf16 tables; inverse(forward(x)) returns x. The
// fused q/k/v split (bias, RoPE, k/v rows into a cache) against the float64 host composition, and
// bit for bit against bias_add + copy_columns + rope_apply + scatter_rows on the GPU.
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

BOOST_AUTO_TEST_CASE(qkv_split_rope_matches_the_unfused_ops) {
  // (rows, q heads, kv heads, head dim, with bias, into cache rows)
  for (auto [rows, heads, kv_heads, dim, with_bias, cached] :
       {std::tuple{7, 4, 2, 16, true, false}, {300, 12, 2, 128, true, true}, {33, 3, 3, 10, false, true}, {64, 8, 1, 64, false, false}})
    for (DType dt : {DType::f32, DType::bf16})
      for (auto layout : {ops::RopeLayout::half, ops::RopeLayout::interleaved})
        for (bool indices_on_device : {false, true}) {
          const int64_t max_positions = 1024, width = (heads + 2 * kv_heads) * dim, kw = kv_heads * dim;
          const int64_t cache_rows = cached ? 3 * rows + 5 : rows;
          auto [c64, s64] = tables(max_positions, dim);
          Tensor c = cast(c64, DType::f32), s = cast(s64, DType::f32);
          Tensor positions = random_ints({rows}, 0, max_positions, 80);
          Tensor kv_rows = Tensor::empty({rows}, DType::i32);
          for (int64_t i = 0; i < rows; ++i) kv_rows.data<int32_t>()[i] = int32_t((7 * i + 3) % cache_rows);
          Tensor qkv = host_random({rows, width}, dt, 81), bias = with_bias ? host_random({width}, dt, 82) : Tensor();
          const Tensor k0 = host_random({cache_rows, kw}, dt, 83), v0 = host_random({cache_rows, kw}, dt, 84);
          // float64 reference through the host composition.
          Tensor q_ref = Tensor::empty({rows, heads * dim}, DType::f64), k_ref = as_f64(k0), v_ref = as_f64(v0);
          ops::qkv_split_rope(as_f64(qkv), with_bias ? as_f64(bias) : Tensor(), heads, kv_heads, positions, c64, s64,
                              layout, cached ? kv_rows : Tensor(), q_ref, k_ref, v_ref);
          const Tensor pos = indices_on_device ? to_device(positions) : positions;
          const Tensor rows_t = cached ? (indices_on_device ? to_device(kv_rows) : kv_rows) : Tensor();
          Tensor q = poisoned({rows, heads * dim}, dt), k = to_device(k0), v = to_device(v0);
          ops::qkv_split_rope(to_device(qkv), with_bias ? to_device(bias) : Tensor(), heads, kv_heads, pos, to_device(c),
                              to_device(s), layout, rows_t, q, k, v);
          const std::string what = "qkv_split_rope rows=" + std::to_string(rows) + " " + dtype_name(dt);
          expect_close(q, q_ref, tolerance(dt), what + " q");
          expect_close(k, k_ref, tolerance(dt), what + " k");
          expect_close(v, v_ref, tolerance(dt), what + " v");
          // The unfused sequence on the GPU gives the same bits.
          Tensor t = to_device(qkv);
          if (with_bias) ops::bias_add(t, to_device(bias));
          Tensor uq = Tensor::empty({rows, heads * dim}, dt, Device::cuda), uk = Tensor::empty({rows, kw}, dt, Device::cuda),
                 uv = Tensor::empty({rows, kw}, dt, Device::cuda);
          ops::copy_columns(t, 0, uq, 0, heads * dim, ops::Accumulate::no);
          ops::copy_columns(t, heads * dim, uk, 0, kw, ops::Accumulate::no);
          ops::copy_columns(t, heads * dim + kw, uv, 0, kw, ops::Accumulate::no);
          ops::rope_apply(uq, heads, 0, dim, pos, to_device(c), to_device(s), layout, ops::RopeDirection::forward);
          ops::rope_apply(uk, kv_heads, 0, dim, pos, to_device(c), to_device(s), layout, ops::RopeDirection::forward);
          Tensor ck = to_device(k0), cv = to_device(v0);
          if (cached) {
            ops::scatter_rows(uk, rows_t, ck, 0);
            ops::scatter_rows(uv, rows_t, cv, 0);
          } else {
            ck = uk;
            cv = uv;
          }
          BOOST_TEST(same_bits(q, uq), what << ": q differs from the unfused ops");
          BOOST_TEST(same_bits(k, ck), what << ": k differs from the unfused ops");
          BOOST_TEST(same_bits(v, cv), what << ": v differs from the unfused ops");
        }
}

BOOST_AUTO_TEST_SUITE_END()
