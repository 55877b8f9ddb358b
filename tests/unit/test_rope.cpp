// Rotary position embedding: both layouts against rotations built in the test from theta
// (inv_freq_i = theta^(-2i/D)), the HF rotate_half formula and the complex-multiplication form,
// a rotated column sub-range inside wider heads (other columns untouched), inverse(forward(x)) = x,
// unordered positions, f32 against f64, the backward against finite differences, and the
// position bound check.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <complex>
#include <string>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;
using ops::RopeDirection;
using ops::RopeLayout;

namespace {
double weighted_sum(const Tensor& r, const Tensor& y) {
  auto rv = to_f64_vector(r), yv = to_f64_vector(y);
  double s = 0;
  for (size_t i = 0; i < rv.size(); ++i) s += rv[i] * yv[i];
  return s;
}

double inv_freq(double theta, int64_t i, int64_t rope_dim) { return std::pow(theta, -2.0 * double(i) / double(rope_dim)); }

// cos/sin tables [max_positions, rope_dim/2] of angle p * inv_freq_i.
struct RopeTables {
  Tensor cos, sin;
};
RopeTables make_tables(int64_t max_positions, int64_t rope_dim, double theta, DType dtype) {
  int64_t half = rope_dim / 2;
  std::vector<double> c(size_t(max_positions * half)), s(c.size());
  for (int64_t p = 0; p < max_positions; ++p)
    for (int64_t i = 0; i < half; ++i) {
      double angle = double(p) * inv_freq(theta, i, rope_dim);
      c[size_t(p * half + i)] = std::cos(angle);
      s[size_t(p * half + i)] = std::sin(angle);
    }
  return {cast(Tensor::from_vector(c, {max_positions, half}), dtype), cast(Tensor::from_vector(s, {max_positions, half}), dtype)};
}

struct RopeCase {
  int64_t tokens, heads, stride, col_offset, rope_dim;
};
const RopeCase kCases[] = {
    {1, 1, 8, 0, 8}, {7, 3, 24, 16, 8}, {33, 2, 64, 0, 64}, {5, 4, 24, 4, 12}, {6, 1, 2, 0, 2},
};
const int64_t kMaxPositions = 300;
const double kTheta = 10000.0;

// The D x D rotation matrix of position p for a layout, built entry by entry from theta.
std::vector<double> rotation_matrix(int64_t p, int64_t rope_dim, RopeLayout layout) {
  std::vector<double> m(size_t(rope_dim * rope_dim), 0.0);
  for (int64_t i = 0; i < rope_dim / 2; ++i) {
    int64_t a = layout == RopeLayout::half ? i : 2 * i;
    int64_t b = layout == RopeLayout::half ? i + rope_dim / 2 : 2 * i + 1;
    double angle = double(p) * inv_freq(kTheta, i, rope_dim);
    m[size_t(a * rope_dim + a)] = std::cos(angle);
    m[size_t(a * rope_dim + b)] = -std::sin(angle);
    m[size_t(b * rope_dim + a)] = std::sin(angle);
    m[size_t(b * rope_dim + b)] = std::cos(angle);
  }
  return m;
}

// Applies the explicit rotation to the rotated columns of every head; other columns copied.
std::vector<double> reference_rope(const std::vector<double>& x, const std::vector<int32_t>& positions,
                                   const RopeCase& c, RopeLayout layout) {
  std::vector<double> y = x;
  for (int64_t n = 0; n < c.tokens; ++n) {
    auto m = rotation_matrix(positions[size_t(n)], c.rope_dim, layout);
    for (int64_t h = 0; h < c.heads; ++h) {
      int64_t base = (n * c.heads + h) * c.stride + c.col_offset;
      for (int64_t r = 0; r < c.rope_dim; ++r) {
        double s = 0;
        for (int64_t k = 0; k < c.rope_dim; ++k) s += m[size_t(r * c.rope_dim + k)] * x[size_t(base + k)];
        y[size_t(base + r)] = s;
      }
    }
  }
  return y;
}

// Positions in no particular order, with repeats, and the table's first and last rows.
std::vector<int32_t> varied_positions(int64_t tokens, uint64_t seed) {
  Tensor t = random_ints({tokens}, 0, kMaxPositions, seed);
  std::vector<int32_t> p(t.data<int32_t>(), t.data<int32_t>() + tokens);
  p[0] = kMaxPositions - 1;
  if (tokens > 2) p[size_t(tokens / 2)] = 0;
  if (tokens > 3) p[size_t(tokens - 1)] = p[1];
  return p;
}

void rope(Tensor& x, const RopeCase& c, const Tensor& positions, const RopeTables& t, RopeLayout layout,
          RopeDirection direction) {
  ops::rope_apply(x, c.heads, c.col_offset, c.rope_dim, positions, t.cos, t.sin, layout, direction);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_rope)

BOOST_AUTO_TEST_CASE(forward_matches_explicit_rotation_and_leaves_other_columns) {
  for (RopeLayout layout : {RopeLayout::half, RopeLayout::interleaved})
    for (const RopeCase& c : kCases) {
      RopeTables tables = make_tables(kMaxPositions, c.rope_dim, kTheta, DType::f64);
      auto pos = varied_positions(c.tokens, 40 + c.tokens);
      Tensor positions = Tensor::from_vector(pos);
      Tensor x0 = random_tensor({c.tokens, c.heads, c.stride}, DType::f64, 41 + c.stride);
      Tensor x = x0.clone();
      rope(x, c, positions, tables, layout, RopeDirection::forward);
      auto ref = reference_rope(to_f64_vector(x0), pos, c, layout);
      auto got = to_f64_vector(x), orig = to_f64_vector(x0);
      BOOST_TEST(rel_error(got, ref) < 1e-13, "tokens=" << c.tokens << " stride=" << c.stride << " offset=" << c.col_offset);
      // Columns outside [col_offset, col_offset + rope_dim) are bit-identical.
      int64_t changed_outside = 0;
      for (int64_t e = 0; e < x.numel(); ++e) {
        int64_t col = e % c.stride;
        bool rotated = col >= c.col_offset && col < c.col_offset + c.rope_dim;
        if (!rotated && got[size_t(e)] != orig[size_t(e)]) ++changed_outside;
      }
      BOOST_TEST(changed_outside == 0);

      // f32 against f64 on the same (rounded) inputs and tables.
      RopeTables tables32 = make_tables(kMaxPositions, c.rope_dim, kTheta, DType::f32);
      RopeTables tables_rounded{cast(tables32.cos, DType::f64), cast(tables32.sin, DType::f64)};
      Tensor x32 = cast(x0, DType::f32), x_rounded = cast(x32, DType::f64);
      rope(x32, c, positions, tables32, layout, RopeDirection::forward);
      rope(x_rounded, c, positions, tables_rounded, layout, RopeDirection::forward);
      BOOST_TEST(rel_error(x32, x_rounded) < 1e-6);
    }
}

BOOST_AUTO_TEST_CASE(half_layout_matches_hf_rotate_half) {
  // HF Qwen2: q' = q * cos_full + rotate_half(q) * sin_full, cos_full = cat(cos, cos),
  // rotate_half(q) = cat(-q[D/2:], q[:D/2]).
  const int64_t tokens = 5, heads = 2, dim = 16, half = dim / 2;
  RopeTables tables = make_tables(kMaxPositions, dim, kTheta, DType::f64);
  auto pos = varied_positions(tokens, 50);
  Tensor x0 = random_tensor({tokens, heads, dim}, DType::f64, 51);
  Tensor x = x0.clone();
  ops::rope_apply(x, heads, 0, dim, Tensor::from_vector(pos), tables.cos, tables.sin, RopeLayout::half,
                  RopeDirection::forward);
  auto q = to_f64_vector(x0);
  std::vector<double> ref(q.size());
  for (int64_t n = 0; n < tokens; ++n)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t j = 0; j < dim; ++j) {
        int64_t base = (n * heads + h) * dim;
        double angle = double(pos[size_t(n)]) * inv_freq(kTheta, j % half, dim);
        double rotated_half = j < half ? -q[size_t(base + j + half)] : q[size_t(base + j - half)];
        ref[size_t(base + j)] = q[size_t(base + j)] * std::cos(angle) + rotated_half * std::sin(angle);
      }
  BOOST_TEST(rel_error(to_f64_vector(x), ref) < 1e-13);
}

BOOST_AUTO_TEST_CASE(interleaved_layout_matches_complex_multiplication) {
  // DeepSeek-V3 reference code: view (x[2i], x[2i+1]) as a complex number and multiply by
  // exp(i p inv_freq_i).
  const int64_t tokens = 6, heads = 3, stride = 24, offset = 16, dim = 8;
  RopeTables tables = make_tables(kMaxPositions, dim, kTheta, DType::f64);
  auto pos = varied_positions(tokens, 60);
  Tensor x0 = random_tensor({tokens, heads, stride}, DType::f64, 61);
  Tensor x = x0.clone();
  ops::rope_apply(x, heads, offset, dim, Tensor::from_vector(pos), tables.cos, tables.sin, RopeLayout::interleaved,
                  RopeDirection::forward);
  auto ref = to_f64_vector(x0);
  for (int64_t n = 0; n < tokens; ++n)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < dim / 2; ++i) {
        size_t a = size_t((n * heads + h) * stride + offset + 2 * i);
        std::complex<double> z(ref[a], ref[a + 1]);
        z *= std::polar(1.0, double(pos[size_t(n)]) * inv_freq(kTheta, i, dim));
        ref[a] = z.real();
        ref[a + 1] = z.imag();
      }
  BOOST_TEST(rel_error(to_f64_vector(x), ref) < 1e-13);
}

BOOST_AUTO_TEST_CASE(inverse_undoes_forward) {
  for (RopeLayout layout : {RopeLayout::half, RopeLayout::interleaved})
    for (const RopeCase& c : kCases) {
      RopeTables tables = make_tables(kMaxPositions, c.rope_dim, kTheta, DType::f64);
      Tensor positions = Tensor::from_vector(varied_positions(c.tokens, 70 + c.tokens));
      Tensor x0 = random_tensor({c.tokens, c.heads, c.stride}, DType::f64, 71);
      Tensor x = x0.clone();
      rope(x, c, positions, tables, layout, RopeDirection::forward);
      BOOST_TEST(rel_error(x, x0) > 1e-3);  // the forward did rotate something
      rope(x, c, positions, tables, layout, RopeDirection::inverse);
      BOOST_TEST(rel_error(x, x0) < 1e-14);
    }
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  // The backward of y = rope(x) is dx = inverse-rope(dy).
  for (RopeLayout layout : {RopeLayout::half, RopeLayout::interleaved})
    for (const RopeCase& c : kCases) {
      RopeTables tables = make_tables(kMaxPositions, c.rope_dim, kTheta, DType::f64);
      Tensor positions = Tensor::from_vector(varied_positions(c.tokens, 80 + c.tokens));
      Tensor x = random_tensor({c.tokens, c.heads, c.stride}, DType::f64, 81);
      Tensor r = random_tensor({c.tokens, c.heads, c.stride}, DType::f64, 82);
      auto loss = [&] {
        Tensor y = x.clone();
        rope(y, c, positions, tables, layout, RopeDirection::forward);
        return weighted_sum(r, y);
      };
      Tensor dx = r.clone();
      rope(dx, c, positions, tables, layout, RopeDirection::inverse);
      GradCheckResult g = check_gradient(x, loss, dx, 128);
      BOOST_TEST(g.rel_error < 1e-6, "tokens=" << c.tokens << " stride=" << c.stride << " err=" << g.rel_error);
    }
}

BOOST_AUTO_TEST_CASE(position_outside_table_raises) {
  RopeTables tables = make_tables(16, 8, kTheta, DType::f64);
  Tensor x = random_tensor({3, 2, 8}, DType::f64, 90);
  Tensor x0 = x.clone();
  for (int32_t bad : {16, -1}) {
    Tensor positions = Tensor::from_vector(std::vector<int32_t>{0, bad, 3});
    BOOST_CHECK_EXCEPTION(
        ops::rope_apply(x, 2, 0, 8, positions, tables.cos, tables.sin, RopeLayout::half, RopeDirection::forward), Error,
        [bad](const Error& e) { return std::string(e.what()).find("position " + std::to_string(bad)) != std::string::npos; });
  }
  BOOST_TEST(rel_error(x, x0) == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
