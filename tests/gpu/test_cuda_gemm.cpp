// CUDA GEMMs against float64 host products: plain GEMM (every transpose pair, alpha/beta, k = 0,
// odd and model-sized shapes, f32 -> f32, bf16 -> bf16, bf16 -> f32), the few-row products of
// decoding, grouped GEMM over expert offsets with empty groups (both weight orientations, small and
// expert-sized tiles), its accumulating weight gradient (f32 and bf16 -> f32), bias add/grad, and
// bitwise determinism. CTest runs the suite twice: as built, and with R1_CUDA_WGMMA=0 (no Hopper kernels).
#include <string>
#include <tuple>
#include <utility>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

namespace {

ops::Trans trans(bool t) { return t ? ops::Trans::yes : ops::Trans::no; }

struct TypeCase {
  DType operands, output;
};
const TypeCase kTypeCases[] = {{DType::f32, DType::f32}, {DType::bf16, DType::bf16}, {DType::bf16, DType::f32}};

// Output tolerance: bf16 operands (or a bf16 result) -> bf16 bound, else f32.
double gemm_tolerance(const TypeCase& tc) { return tolerance(tc.operands == DType::bf16 ? DType::bf16 : DType::f32); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_cuda_gemm, CudaFixture)

BOOST_AUTO_TEST_CASE(gemm_transposes_types_and_shapes) {
  for (const TypeCase& tc : kTypeCases)
    for (auto [m, n, k] : {std::tuple{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 31, 5}, {130, 257, 1536}})
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          Tensor a = host_random(ta ? Shape{k, m} : Shape{m, k}, tc.operands, 1 + uint64_t(m));
          Tensor b = host_random(tb ? Shape{n, k} : Shape{k, n}, tc.operands, 2 + uint64_t(n));
          Tensor c0 = host_random({m, n}, tc.output, 3);
          Tensor ref = as_f64(c0);
          ops::gemm(as_f64(a), trans(ta), as_f64(b), trans(tb), ref, 2.0, 0.5);
          Tensor c = to_device(c0);
          ops::gemm(to_device(a), trans(ta), to_device(b), trans(tb), c, 2.0, 0.5);
          expect_close(c, ref, gemm_tolerance(tc),
                       "gemm " + std::string(dtype_name(tc.operands)) + "->" + dtype_name(tc.output) + " m=" +
                           std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                           (ta ? " aT" : "") + (tb ? " bT" : ""));
          // beta = 0 must ignore (NaN) contents of c
          Tensor fresh = poisoned({m, n}, tc.output);
          Tensor ref0 = Tensor::zeros({m, n}, DType::f64);
          ops::gemm(as_f64(a), trans(ta), as_f64(b), trans(tb), ref0, 1.0, 0.0);
          ops::gemm(to_device(a), trans(ta), to_device(b), trans(tb), fresh, 1.0, 0.0);
          expect_close(fresh, ref0, gemm_tolerance(tc), "gemm beta=0 over NaN");
        }
}

BOOST_AUTO_TEST_CASE(gemm_empty_dimensions) {
  // k = 0 (a [0, 4]^T x b [0, 6]: zero-width matrices have no rows in the [rows, cols] view, so the
  // empty dimension must be the leading one): c = beta * c.
  Tensor a = Tensor::empty({0, 4}, DType::f32, Device::cuda), b = Tensor::empty({0, 6}, DType::f32, Device::cuda);
  Tensor c0 = host_random({4, 6}, DType::f32, 4);
  Tensor c = to_device(c0);
  ops::gemm(a, ops::Trans::yes, b, ops::Trans::no, c, 1.0, 0.5);
  std::vector<double> ref = to_f64_vector(c0);
  for (double& v : ref) v *= 0.5;
  expect_close(c, ref, 1e-7, "k = 0 scales c by beta");
  Tensor z = poisoned({4, 6}, DType::f32);
  ops::gemm(a, ops::Trans::yes, b, ops::Trans::no, z, 1.0, 0.0);
  expect_close(z, std::vector<double>(24, 0.0), 1e-12, "k = 0, beta = 0 zeroes c");
  // m = 0: nothing to write.
  Tensor a0 = Tensor::empty({0, 5}, DType::bf16, Device::cuda), b0 = to_device(host_random({5, 3}, DType::bf16, 5));
  Tensor c_empty = Tensor::empty({0, 3}, DType::bf16, Device::cuda);
  ops::gemm(a0, ops::Trans::no, b0, ops::Trans::no, c_empty, 1.0, 0.0);
  BOOST_TEST(c_empty.numel() == 0);
}

BOOST_AUTO_TEST_CASE(model_sized_gemm_is_deterministic) {
  // [tokens, hidden] x [intermediate, hidden]^T as in a Qwen2-1.5B MLP (hidden 1536).
  Tensor x = to_device(host_random({512, 1536}, DType::bf16, 5));
  Tensor w = to_device(host_random({2048, 1536}, DType::bf16, 6, 0.02));
  Tensor y1 = poisoned({512, 2048}, DType::bf16), y2 = poisoned({512, 2048}, DType::bf16);
  ops::gemm(x, ops::Trans::no, w, ops::Trans::yes, y1, 1.0, 0.0);
  ops::gemm(x, ops::Trans::no, w, ops::Trans::yes, y2, 1.0, 0.0);
  BOOST_TEST(same_bits(y1, y2));
  Tensor ref = Tensor::zeros({512, 2048}, DType::f64);
  ops::gemm(as_f64(x), ops::Trans::no, as_f64(w), ops::Trans::yes, ref, 1.0, 0.0);
  expect_close(y1, ref, 1e-2, "x w^T bf16");
}

BOOST_AUTO_TEST_CASE(few_row_products) {
  // X W^T with few rows of X (decoding's products; cuBLAS splits the long k ranges): ragged n and k,
  // alpha/beta, bf16 and f32 results, bitwise reproducible.
  for (DType out_t : {DType::bf16, DType::f32})
    for (auto [m, n, k] : {std::tuple{1, 130, 72}, {7, 5, 8}, {16, 257, 1536}, {33, 2048, 8960}, {64, 1536, 8960},
                           {64, 131, 1544}})
      for (double beta : {0.0, 0.5}) {
        Tensor x = host_random({m, k}, DType::bf16, 40 + uint64_t(m)), w = host_random({n, k}, DType::bf16, 41, 0.05);
        Tensor c0 = host_random({m, n}, out_t, 42);
        Tensor ref = as_f64(c0);
        ops::gemm(as_f64(x), ops::Trans::no, as_f64(w), ops::Trans::yes, ref, 1.5, beta);
        Tensor c = beta == 0.0 ? poisoned({m, n}, out_t) : to_device(c0);
        Tensor c_again = beta == 0.0 ? poisoned({m, n}, out_t) : to_device(c0);
        const Tensor xd = to_device(x), wd = to_device(w);
        ops::gemm(xd, ops::Trans::no, wd, ops::Trans::yes, c, 1.5, beta);
        ops::gemm(xd, ops::Trans::no, wd, ops::Trans::yes, c_again, 1.5, beta);
        const std::string what = "few-row gemm ->" + std::string(dtype_name(out_t)) + " m=" + std::to_string(m) +
                                 " n=" + std::to_string(n) + " k=" + std::to_string(k) + " beta=" + std::to_string(beta);
        expect_close(c, ref, tolerance(DType::bf16), what);
        BOOST_TEST(same_bits(c, c_again), what << " is reproducible");
      }
}

BOOST_AUTO_TEST_CASE(grouped_gemm_both_orientations_with_empty_groups) {
  const int64_t groups = 6, n = 40, k = 24;
  const std::vector<int64_t> offsets = {0, 5, 5, 70, 71, 71, 100};  // empty groups 1 and 4; 100 rows in all
  for (const TypeCase& tc : kTypeCases)
    for (bool tw : {true, false}) {
      const int64_t in = tw ? k : n, out = tw ? n : k;
      Tensor x = host_random({100, in}, tc.operands, 10);
      Tensor w = host_random({groups, n, k}, tc.operands, 11);
      Tensor ref = Tensor::zeros({100, out}, DType::f64);
      ops::grouped_gemm(as_f64(x), as_f64(w), trans(tw), offsets, ref);
      Tensor y = poisoned({100, out}, tc.output);
      ops::grouped_gemm(to_device(x), to_device(w), trans(tw), offsets, y);
      expect_close(y, ref, gemm_tolerance(tc),
                   std::string("grouped_gemm ") + dtype_name(tc.operands) + "->" + dtype_name(tc.output) +
                       (tw ? " w^T" : " w"));
      Tensor y2 = poisoned({100, out}, tc.output);
      ops::grouped_gemm(to_device(x), to_device(w), trans(tw), offsets, y2);
      BOOST_TEST(same_bits(y, y2), "grouped_gemm is reproducible");
    }
}

// Expert-sized bf16 products (on Hopper the wgmma kernel): groups spanning several 128-row tiles, a
// reduction that is not a multiple of the 64-wide step (in = 352), partial output tiles (out = 200),
// empty groups, both weight orientations; then the same shapes as the MoE layer's data gradient.
BOOST_AUTO_TEST_CASE(grouped_gemm_expert_sized_tiles) {
  const std::vector<int64_t> offsets = {0, 300, 300, 301, 557, 700, 700, 1000, 1129, 1200};
  const int64_t groups = int64_t(offsets.size()) - 1, rows = offsets.back();
  for (auto [in, out] : {std::pair{int64_t(352), int64_t(200)}, {200, 352}, {64, 136}})
    for (bool tw : {true, false}) {
      Tensor x = host_random({rows, in}, DType::bf16, 12);
      Tensor w = tw ? host_random({groups, out, in}, DType::bf16, 13) : host_random({groups, in, out}, DType::bf16, 13);
      Tensor ref = Tensor::zeros({rows, out}, DType::f64);
      ops::grouped_gemm(as_f64(x), as_f64(w), trans(tw), offsets, ref);
      Tensor y = poisoned({rows, out}, DType::bf16), y2 = poisoned({rows, out}, DType::bf16);
      ops::grouped_gemm(to_device(x), to_device(w), trans(tw), offsets, y);
      ops::grouped_gemm(to_device(x), to_device(w), trans(tw), offsets, y2);
      const std::string what = "grouped_gemm bf16 in=" + std::to_string(in) + " out=" + std::to_string(out) +
                               (tw ? " w^T" : " w");
      expect_close(y, ref, tolerance(DType::bf16), what);
      BOOST_TEST(same_bits(y, y2), what << " is reproducible");
    }
}

BOOST_AUTO_TEST_CASE(grouped_gemm_weight_grad_accumulates) {
  // bf16 -> f32 runs one tensor-core launch where n and k are multiples of 8 (wgmma on Hopper, the
  // mma.sync kernel otherwise): one output tile (48x32), partial tiles in both dimensions with groups
  // of 1 to 300 rows (200x136, not multiples of the 64-row step), several tiles each way (376x264),
  // and cuBLAS per group otherwise (20x12).
  const std::vector<int64_t> small = {0, 0, 37, 38, 90, 90}, uneven_rows = {0, 1, 34, 334, 334, 399, 656};
  for (auto [n, k, offsets] : {std::tuple{int64_t(48), int64_t(32), small},
                               {200, 136, uneven_rows},
                               {376, 264, uneven_rows},
                               {20, 12, small}})
    for (const TypeCase& tc : {TypeCase{DType::f32, DType::f32}, TypeCase{DType::bf16, DType::f32}}) {
      const int64_t groups = int64_t(offsets.size()) - 1, rows = offsets.back();
      Tensor dy = host_random({rows, n}, tc.operands, 20), x = host_random({rows, k}, tc.operands, 21);
      Tensor dw0 = host_random({groups, n, k}, DType::f32, 22);
      Tensor ref = as_f64(dw0);
      ops::grouped_gemm_weight_grad(as_f64(dy), as_f64(x), offsets, ref);
      Tensor dw = to_device(dw0);
      ops::grouped_gemm_weight_grad(to_device(dy), to_device(x), offsets, dw);
      expect_close(dw, ref, 1e-4,
                   std::string("grouped weight grad ") + dtype_name(tc.operands) + "->f32 n=" + std::to_string(n) +
                       " k=" + std::to_string(k));
    }
  // 64 experts of uneven sizes, some empty: the host's values, and the same bits twice.
  const int64_t n = 48, k = 32;
  std::vector<int64_t> uneven = {0};
  for (int64_t g = 0; g < 64; ++g) uneven.push_back(uneven.back() + (g * 37) % 90);
  const int64_t rows = uneven.back();
  Tensor dy = host_random({rows, n}, DType::bf16, 23), x = host_random({rows, k}, DType::bf16, 24);
  Tensor dw0 = host_random({64, n, k}, DType::f32, 25);
  Tensor ref = as_f64(dw0);
  ops::grouped_gemm_weight_grad(as_f64(dy), as_f64(x), uneven, ref);
  Tensor dw = to_device(dw0), again = to_device(dw0);
  ops::grouped_gemm_weight_grad(to_device(dy), to_device(x), uneven, dw);
  ops::grouped_gemm_weight_grad(to_device(dy), to_device(x), uneven, again);
  expect_close(dw, ref, 1e-4, "grouped weight grad over 64 experts");
  BOOST_TEST(same_bits(dw, again), "grouped weight grad over 64 experts is reproducible");
}

BOOST_AUTO_TEST_CASE(bias_add_and_grad) {
  for (auto [rows, cols] : {std::tuple{1, 1}, {7, 13}, {1000, 1536}, {4097, 33}})
    for (DType dy_t : {DType::f32, DType::bf16})
      for (DType b_t : {DType::f32, DType::bf16}) {
        Tensor y0 = host_random({rows, cols}, dy_t, 30), b = host_random({cols}, b_t, 31);
        auto yv = to_f64_vector(y0), bv = to_f64_vector(b);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < cols; ++j) yv[size_t(r * cols + j)] += bv[size_t(j)];
        Tensor y = to_device(y0);
        ops::bias_add(y, to_device(b));
        expect_close(y, yv, tolerance(dy_t), "bias_add");

        Tensor db0 = host_random({cols}, b_t, 32);
        Tensor ref = as_f64(db0);
        ops::bias_grad(as_f64(y0), ref);
        Tensor db = to_device(db0), db_again = to_device(db0);
        ops::bias_grad(to_device(y0), db);
        ops::bias_grad(to_device(y0), db_again);
        expect_close(db, ref, tolerance(b_t), "bias_grad rows=" + std::to_string(rows));
        BOOST_TEST(same_bits(db, db_again), "bias_grad is reproducible");
      }
}

BOOST_AUTO_TEST_SUITE_END()
