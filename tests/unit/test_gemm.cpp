// GEMM kernels (plain, grouped, grouped weight grad, bias) against a float64 triple loop, in f32 and f64.
#include <boost/test/unit_test.hpp>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;

namespace {
// Reference row-major product in double: c = op(a) op(b).
std::vector<double> ref_gemm(const std::vector<double>& a, bool ta, const std::vector<double>& b, bool tb, int64_t m,
                             int64_t n, int64_t k) {
  std::vector<double> c(size_t(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  return c;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_gemm)

BOOST_AUTO_TEST_CASE(gemm_all_transposes_and_dtypes) {
  for (DType dt : {DType::f32, DType::f64})
    for (auto [m, n, k] : {std::tuple{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 31, 5}})
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          Tensor a = random_tensor(ta ? Shape{k, m} : Shape{m, k}, dt, 1 + m);
          Tensor b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, dt, 2 + n);
          Tensor c0 = random_tensor({m, n}, dt, 3);
          Tensor c = c0.clone();
          ops::gemm(a, ta ? ops::Trans::yes : ops::Trans::no, b, tb ? ops::Trans::yes : ops::Trans::no, c, 2.0, 0.5);
          auto ref = ref_gemm(to_f64_vector(a), ta, to_f64_vector(b), tb, m, n, k);
          auto c0v = to_f64_vector(c0);
          for (size_t i = 0; i < ref.size(); ++i) ref[i] = 2.0 * ref[i] + 0.5 * c0v[i];
          double err = rel_error(to_f64_vector(c), ref);
          BOOST_TEST(err < (dt == DType::f32 ? 1e-5 : 1e-13), "m=" << m << " n=" << n << " k=" << k << " err=" << err);
        }
}

BOOST_AUTO_TEST_CASE(grouped_gemm_matches_per_group_products) {
  const int64_t groups = 4, n = 6, k = 5;
  std::vector<int64_t> offsets = {0, 3, 3, 10, 11};  // includes an empty group
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = random_tensor({11, k}, dt, 10);
    Tensor w = random_tensor({groups, n, k}, dt, 11);
    Tensor y = Tensor::zeros({11, n}, dt);
    ops::grouped_gemm(x, w, ops::Trans::yes, offsets, y);
    auto xv = to_f64_vector(x), wv = to_f64_vector(w), yv = to_f64_vector(y);
    std::vector<double> ref(yv.size());
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t r = offsets[g]; r < offsets[g + 1]; ++r)
        for (int64_t j = 0; j < n; ++j) {
          double s = 0;
          for (int64_t p = 0; p < k; ++p) s += xv[r * k + p] * wv[(g * n + j) * k + p];
          ref[r * n + j] = s;
        }
    BOOST_TEST(rel_error(yv, ref) < 1e-5);

    // Transposed-free variant (backward data): dx_g = dy_g w_g.
    Tensor dy = random_tensor({11, n}, dt, 12);
    Tensor dx = Tensor::zeros({11, k}, dt);
    ops::grouped_gemm(dy, w, ops::Trans::no, offsets, dx);
    auto dyv = to_f64_vector(dy);
    std::vector<double> refx(size_t(11 * k), 0.0);
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t r = offsets[g]; r < offsets[g + 1]; ++r)
        for (int64_t p = 0; p < k; ++p)
          for (int64_t j = 0; j < n; ++j) refx[r * k + p] += dyv[r * n + j] * wv[(g * n + j) * k + p];
    BOOST_TEST(rel_error(to_f64_vector(dx), refx) < 1e-5);

    // Weight gradient accumulates: dw_g += dy_g^T x_g.
    Tensor dw = random_tensor({groups, n, k}, dt, 13);
    auto dw0 = to_f64_vector(dw);
    ops::grouped_gemm_weight_grad(dy, x, offsets, dw);
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t r = offsets[g]; r < offsets[g + 1]; ++r)
        for (int64_t j = 0; j < n; ++j)
          for (int64_t p = 0; p < k; ++p) dw0[(g * n + j) * k + p] += dyv[r * n + j] * xv[r * k + p];
    BOOST_TEST(rel_error(to_f64_vector(dw), dw0) < 1e-5);
  }
}

BOOST_AUTO_TEST_CASE(bias_add_and_grad) {
  Tensor y = random_tensor({7, 3}, DType::f64, 20);
  Tensor b = random_tensor({3}, DType::f64, 21);
  auto y0 = to_f64_vector(y), bv = to_f64_vector(b);
  ops::bias_add(y, b);
  auto y1 = to_f64_vector(y);
  for (int r = 0; r < 7; ++r)
    for (int j = 0; j < 3; ++j) BOOST_TEST(y1[r * 3 + j] == y0[r * 3 + j] + bv[j]);
  Tensor db = Tensor::zeros({3}, DType::f64);
  ops::bias_grad(y, db);
  ops::bias_grad(y, db);
  auto dbv = to_f64_vector(db);
  for (int j = 0; j < 3; ++j) {
    double s = 0;
    for (int r = 0; r < 7; ++r) s += y1[r * 3 + j];
    BOOST_TEST(std::abs(dbv[j] - 2 * s) < 1e-12);
  }
}

BOOST_AUTO_TEST_SUITE_END()
