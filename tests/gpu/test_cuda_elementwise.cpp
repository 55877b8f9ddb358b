// CUDA elementwise kernels and reductions against float64 host references: fill, add, mul, axpy,
// scale (every f32/bf16 operand mix), convert (f32/f64/bf16, bf16 rounding identical to the host's),
// copy_columns (both modes), sum and sum_squares (and their determinism), sum_squares_each.
#include <cmath>
#include <tuple>
#include <utility>
#include <vector>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

namespace {
const DType kFloatTypes[] = {DType::f32, DType::bf16};
const int64_t kSizes[] = {1, 31, 1000, 1536 * 7 + 5};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_cuda_elementwise, CudaFixture)

BOOST_AUTO_TEST_CASE(fill_every_dtype) {
  for (int64_t n : kSizes) {
    for (DType dt : {DType::f32, DType::bf16, DType::f64, DType::i32}) {
      Tensor x = poisoned({n}, dt);
      ops::fill(x, -3.0);
      std::vector<double> ref(static_cast<size_t>(n), -3.0);
      expect_close(x, ref, 1e-12, std::string("fill ") + dtype_name(dt));
    }
  }
}

BOOST_AUTO_TEST_CASE(binary_ops_all_dtype_mixes) {
  for (int64_t n : kSizes)
    for (DType da : kFloatTypes)
      for (DType db : kFloatTypes)
        for (DType dout : kFloatTypes) {
          Tensor a = host_random({n}, da, 1), b = host_random({n}, db, 2);
          auto av = to_f64_vector(a), bv = to_f64_vector(b);
          std::vector<double> sum_ref(static_cast<size_t>(n)), prod_ref(static_cast<size_t>(n));
          for (size_t i = 0; i < av.size(); ++i) {
            sum_ref[i] = av[i] + bv[i];
            prod_ref[i] = av[i] * bv[i];
          }
          const std::string label = std::string(dtype_name(da)) + "," + dtype_name(db) + "->" + dtype_name(dout);
          Tensor out = poisoned({n}, dout);
          ops::add(to_device(a), to_device(b), out);
          expect_close(out, sum_ref, tolerance(dout == DType::bf16 ? DType::bf16 : DType::f32), "add " + label);
          out = poisoned({n}, dout);
          ops::mul(to_device(a), to_device(b), out);
          expect_close(out, prod_ref, tolerance(dout == DType::bf16 ? DType::bf16 : DType::f32), "mul " + label);
        }
}

BOOST_AUTO_TEST_CASE(add_in_place_aliasing) {
  Tensor a = host_random({5000}, DType::f32, 3), b = host_random({5000}, DType::f32, 4);
  auto av = to_f64_vector(a), bv = to_f64_vector(b);
  std::vector<double> ref(av.size());
  for (size_t i = 0; i < av.size(); ++i) ref[i] = av[i] + bv[i];
  Tensor da = to_device(a);
  ops::add(da, to_device(b), da);
  expect_close(da, ref, 1e-6, "add with out == a");
}

BOOST_AUTO_TEST_CASE(axpy_and_scale) {
  for (int64_t n : kSizes)
    for (DType dx : kFloatTypes)
      for (DType dy : kFloatTypes) {
        Tensor x = host_random({n}, dx, 5), y = host_random({n}, dy, 6);
        auto xv = to_f64_vector(x), yv = to_f64_vector(y);
        std::vector<double> ref(static_cast<size_t>(n)), scaled(static_cast<size_t>(n));
        for (size_t i = 0; i < xv.size(); ++i) {
          ref[i] = yv[i] - 0.75 * xv[i];
          scaled[i] = ref[i] * 1.5;
        }
        Tensor d_y = to_device(y);
        ops::axpy(-0.75, to_device(x), d_y);
        const double tol = tolerance(dy);
        expect_close(d_y, ref, tol, std::string("axpy ") + dtype_name(dx) + "->" + dtype_name(dy));
        // scale the exact values the GPU holds (bf16 y holds rounded values)
        auto held = to_f64_vector(d_y);
        for (size_t i = 0; i < held.size(); ++i) scaled[i] = held[i] * 1.5;
        ops::scale(d_y, 1.5);
        expect_close(d_y, scaled, tol, std::string("scale ") + dtype_name(dy));
      }
}

BOOST_AUTO_TEST_CASE(convert_between_all_float_types) {
  for (int64_t n : kSizes)
    for (DType src_t : {DType::f32, DType::f64, DType::bf16})
      for (DType dst_t : {DType::f32, DType::f64, DType::bf16}) {
        Tensor src = host_random({n}, src_t, 7);
        Tensor host_dst = Tensor::empty({n}, dst_t);
        ops::convert(src, host_dst);  // host conversion: the expected values, bit for bit
        Tensor dst = poisoned({n}, dst_t);
        ops::convert(to_device(src), dst);
        if (src_t == DType::f64 && dst_t == DType::bf16) {
          // The host rounds f64 -> f32 -> bf16, the GPU f64 -> bf16 directly; both round to nearest.
          expect_close(dst, host_dst, 1e-2, "convert f64->bf16");
        } else {
          BOOST_TEST(same_bits(dst, host_dst), "convert " << dtype_name(src_t) << "->" << dtype_name(dst_t));
        }
      }
}

BOOST_AUTO_TEST_CASE(copy_columns_both_modes) {
  for (auto [rows, src_cols, dst_cols, src_col, dst_col, ncols] :
       {std::tuple{5, 8, 6, 2, 1, 4}, {129, 1536, 256, 1024, 0, 256}, {70, 96, 64, 32, 8, 56}, {33, 7, 7, 0, 0, 7}})
    for (DType dt : kFloatTypes)
      for (bool accumulate : {false, true}) {
        Tensor src = host_random({rows, src_cols}, dt, 8), dst = host_random({rows, dst_cols}, dt, 9);
        auto sv = to_f64_vector(src), ref = to_f64_vector(dst);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < ncols; ++j) {
            double& d = ref[size_t(r * dst_cols + dst_col + j)];
            const double s = sv[size_t(r * src_cols + src_col + j)];
            d = accumulate ? d + s : s;
          }
        Tensor d_dst = to_device(dst);
        ops::copy_columns(to_device(src), src_col, d_dst, dst_col, ncols,
                          accumulate ? ops::Accumulate::yes : ops::Accumulate::no);
        expect_close(d_dst, ref, accumulate ? tolerance(dt) : 1e-12, std::string("copy_columns ") + dtype_name(dt));
      }
}

BOOST_AUTO_TEST_CASE(sums_match_float64_and_are_deterministic) {
  for (int64_t n : {int64_t(1), int64_t(777), int64_t(1) << 22, (int64_t(1) << 22) + 12345})
    for (DType dt : kFloatTypes) {
      Tensor x = host_random({n}, dt, 11);
      auto xv = to_f64_vector(x);
      double s = 0, ss = 0, abs_sum = 0;
      for (double v : xv) {
        s += v;
        ss += v * v;
        abs_sum += std::fabs(v);
      }
      Tensor d = to_device(x);
      const double gpu_s = ops::sum(d), gpu_ss = ops::sum_squares(d);
      BOOST_TEST(std::fabs(gpu_s - s) <= 1e-9 * abs_sum + 1e-12, "sum n=" << n << ": " << gpu_s << " vs " << s);
      BOOST_TEST(std::fabs(gpu_ss - ss) <= 1e-9 * ss, "sum_squares n=" << n << ": " << gpu_ss << " vs " << ss);
      BOOST_TEST(ops::sum(d) == gpu_s, "sum is reproducible");
      BOOST_TEST(ops::sum_squares(d) == gpu_ss, "sum_squares is reproducible");
    }
  Tensor empty = Tensor::empty({0}, DType::f32, Device::cuda);
  BOOST_TEST(ops::sum(empty) == 0.0);
}

// Many parts with one transfer: each part's value is the single-tensor sum_squares (same bits),
// which the test above checks against float64; parts of different sizes share the partials buffer.
BOOST_AUTO_TEST_CASE(sum_squares_each_matches_single_calls) {
  Tensor flat = to_device(host_random({(int64_t(1) << 21) + 3000}, DType::f32, 12));
  const std::vector<std::pair<int64_t, int64_t>> runs = {{0, 1000}, {1000, 0}, {1000, int64_t(1) << 21}, {5, 7}};
  std::vector<Tensor> parts;
  for (auto [offset, count] : runs) parts.push_back(flat.flat(offset, {count}));
  const std::vector<double> sums = ops::sum_squares_each(parts);
  BOOST_TEST_REQUIRE(sums.size() == parts.size());
  for (size_t i = 0; i < parts.size(); ++i)
    BOOST_TEST(sums[i] == ops::sum_squares(parts[i]), "part " << i << ": " << sums[i]);
  BOOST_TEST(sums[1] == 0.0);
  BOOST_TEST(ops::sum_squares_each({}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
