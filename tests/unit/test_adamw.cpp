// AdamW step against a float64 reference of PyTorch's torch.optim.AdamW formula, over several
// steps, with a decay segment, a no-decay segment, an untouched gap between them and an untouched
// tail; f32 against the reference; invalid segments raise.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;

namespace {
Tensor no_weights;  // no separate compute copy
}

namespace {
// The update as PyTorch documents it, written independently of the kernel's arrangement.
struct ReferenceAdamW {
  std::vector<double> p, m, v;
  void step(const std::vector<double>& g, const std::vector<ops::ParamSegment>& segments, const ops::AdamWParams& a) {
    for (const auto& seg : segments)
      for (int64_t i = seg.offset; i < seg.offset + seg.size; ++i) {
        size_t k = size_t(i);
        if (seg.decay) p[k] *= 1 - a.lr * a.weight_decay;
        m[k] = a.beta1 * m[k] + (1 - a.beta1) * g[k];
        v[k] = a.beta2 * v[k] + (1 - a.beta2) * g[k] * g[k];
        double mhat = m[k] / (1 - std::pow(a.beta1, double(a.step)));
        double vhat = v[k] / (1 - std::pow(a.beta2, double(a.step)));
        p[k] -= a.lr * mhat / (std::sqrt(vhat) + a.eps);
      }
  }
};

const int64_t kNumel = 40;
// [0, 12) decays, [12, 17) untouched gap, [17, 33) does not decay, [33, 40) untouched tail.
const std::vector<ops::ParamSegment> kSegments = {{0, 12, true}, {17, 16, false}};
bool in_segment(int64_t i) { return (i >= 0 && i < 12) || (i >= 17 && i < 33); }
}  // namespace

BOOST_AUTO_TEST_SUITE(test_adamw)

BOOST_AUTO_TEST_CASE(several_steps_match_pytorch_formula) {
  ops::AdamWParams a;
  a.lr = 3e-2;
  a.beta1 = 0.9;
  a.beta2 = 0.95;
  a.eps = 1e-8;
  a.weight_decay = 0.1;
  Tensor p0 = random_tensor({kNumel}, DType::f64, 1);
  // m and v start non-zero in the gap and tail, so an accidental write there shows.
  Tensor m0 = random_tensor({kNumel}, DType::f64, 2), v0 = random_tensor({kNumel}, DType::f64, 3, 0.1);
  auto m0v = to_f64_vector(m0), v0v = to_f64_vector(v0);
  for (int64_t i = 0; i < kNumel; ++i)
    if (in_segment(i)) m0v[size_t(i)] = v0v[size_t(i)] = 0;
    else v0v[size_t(i)] = std::abs(v0v[size_t(i)]);
  m0 = Tensor::from_vector(m0v);
  v0 = Tensor::from_vector(v0v);

  for (DType dt : {DType::f64, DType::f32}) {
    Tensor p = cast(p0, dt), m = cast(m0, dt), v = cast(v0, dt);
    ReferenceAdamW ref{to_f64_vector(p), to_f64_vector(m), to_f64_vector(v)};
    const auto p_start = ref.p, m_start = ref.m, v_start = ref.v;
    for (int64_t step = 1; step <= 6; ++step) {
      a.step = step;
      Tensor g = cast(random_tensor({kNumel}, DType::f64, 100 + uint64_t(step), 0.5), dt);
      ops::adamw_step(p, g, m, v, kSegments, a, no_weights);
      ref.step(to_f64_vector(g), kSegments, a);
      double tol = dt == DType::f64 ? 1e-13 : 1e-6;
      BOOST_TEST(rel_error(to_f64_vector(p), ref.p) < tol, "step " << step << " params");
      BOOST_TEST(rel_error(to_f64_vector(m), ref.m) < tol, "step " << step << " m");
      BOOST_TEST(rel_error(to_f64_vector(v), ref.v) < tol, "step " << step << " v");
    }
    auto pv = to_f64_vector(p), mv = to_f64_vector(m), vv = to_f64_vector(v);
    int64_t touched_outside = 0, untouched_inside = 0;
    for (int64_t i = 0; i < kNumel; ++i) {
      size_t k = size_t(i);
      bool same = pv[k] == p_start[k] && mv[k] == m_start[k] && vv[k] == v_start[k];
      if (!in_segment(i) && !same) ++touched_outside;
      if (in_segment(i) && same) ++untouched_inside;
    }
    BOOST_TEST(touched_outside == 0);
    BOOST_TEST(untouched_inside == 0);
  }
}

BOOST_AUTO_TEST_CASE(first_step_moves_by_lr_times_sign) {
  // At step 1 from m = v = 0: mhat = g, vhat = g^2, so p1 = p0 (1 - lr wd) - lr g / (|g| + eps).
  ops::AdamWParams a;
  a.lr = 1e-2;
  a.weight_decay = 0.5;
  a.step = 1;
  std::vector<double> p0 = {1.0, -2.0, 0.5, 3.0}, g = {0.3, -4.0, 1e-3, 2.0};
  Tensor p = Tensor::from_vector(p0), m = Tensor::zeros({4}, DType::f64), v = Tensor::zeros({4}, DType::f64);
  ops::adamw_step(p, Tensor::from_vector(g), m, v, {{0, 2, true}, {2, 2, false}}, a, no_weights);
  auto pv = to_f64_vector(p);
  for (size_t i = 0; i < 4; ++i) {
    double decay = i < 2 ? 1 - a.lr * a.weight_decay : 1.0;
    double expected = p0[i] * decay - a.lr * g[i] / (std::abs(g[i]) + a.eps);
    BOOST_TEST(std::abs(pv[i] - expected) < 1e-15, "element " << i);
  }
}

BOOST_AUTO_TEST_CASE(invalid_segments_raise) {
  Tensor p = Tensor::zeros({10}, DType::f64), g = Tensor::zeros({10}, DType::f64);
  Tensor m = Tensor::zeros({10}, DType::f64), v = Tensor::zeros({10}, DType::f64);
  ops::AdamWParams a;
  BOOST_CHECK_THROW(ops::adamw_step(p, g, m, v, {{0, 6, true}, {5, 3, false}}, a, no_weights), Error);  // overlap
  BOOST_CHECK_THROW(ops::adamw_step(p, g, m, v, {{4, 7, true}}, a, no_weights), Error);                 // past the end
  a.step = 0;
  BOOST_CHECK_THROW(ops::adamw_step(p, g, m, v, {{0, 10, true}}, a, no_weights), Error);  // steps are 1-based
}

BOOST_AUTO_TEST_CASE(grad_scale_equals_scaling_the_gradients_first) {
  // grad_scale is the clipping coefficient: the same bits as scaling the gradients in place first;
  // the compute copy gets the new values converted.
  for (DType dt : {DType::f32, DType::f64}) {
    const std::vector<ops::ParamSegment> segments = {{0, 40, true}, {50, 30, false}};
    ops::AdamWParams a;
    a.lr = 3e-3;
    a.weight_decay = 0.1;
    Tensor p1 = cast(random_tensor({80}, DType::f64, 11), dt), g = cast(random_tensor({80}, DType::f64, 12), dt);
    Tensor p2 = p1.clone(), m1 = Tensor::zeros({80}, dt), v1 = Tensor::zeros({80}, dt), m2 = m1.clone(), v2 = v1.clone();
    Tensor w = Tensor::zeros({80}, dt);
    for (int64_t step = 1; step <= 3; ++step) {
      a.step = step;
      a.grad_scale = 0.37;
      ops::adamw_step(p1, g, m1, v1, segments, a, w);
      Tensor scaled = g.clone();
      ops::scale(scaled, 0.37);
      a.grad_scale = 1.0;
      ops::adamw_step(p2, scaled, m2, v2, segments, a, no_weights);
    }
    BOOST_TEST(to_f64_vector(p1) == to_f64_vector(p2));
    BOOST_TEST(to_f64_vector(m1) == to_f64_vector(m2));
    const auto pv = to_f64_vector(p1), wv = to_f64_vector(w);
    for (int64_t i = 0; i < 80; ++i)
      BOOST_TEST(wv[size_t(i)] == (i < 40 || i >= 50 ? pv[size_t(i)] : 0.0), "compute copy element " << i);
  }
}

BOOST_AUTO_TEST_SUITE_END()
