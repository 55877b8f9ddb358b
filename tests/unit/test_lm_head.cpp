// Chunked LM head with softmax cross-entropy: logp / lse / entropy against a naive float64
// full-logits reference, independence from the chunk size, ignored targets, logit_scale, and the
// backward (dh, dw) against central finite differences of L = sum(r * logp) in float64, both the
// recomputing backward and the one from the saving forward's softmax - onehot rows. token_logprobs
// (the rollout's record of what it sampled) against the same float64 reference, and bit for bit
// against the head's log-probs for the same logits.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;

namespace {

struct HeadOutputs {
  Tensor logp, lse, entropy;
};

HeadOutputs head_forward(const Tensor& h, const Tensor& w, const Tensor& targets, double scale, int64_t chunk,
                         bool with_entropy = true) {
  const int64_t n = h.rows();
  HeadOutputs o{Tensor::zeros({n}, h.dtype()), Tensor::zeros({n}, h.dtype()),
                with_entropy ? Tensor::zeros({n}, h.dtype()) : Tensor()};
  ops::lm_head_forward(h, w, targets, scale, chunk, o.logp, o.lse, o.entropy);
  return o;
}

struct NaiveHead {
  std::vector<double> logp, lse, entropy;
};

// Full [N, V] logits in float64, log-softmax by the textbook formula.
NaiveHead naive_head(const Tensor& h, const Tensor& w, const Tensor& targets, double scale) {
  const int64_t n = h.rows(), v = w.rows(), d = h.cols();
  auto hv = to_f64_vector(h), wv = to_f64_vector(w);
  const int32_t* t = targets.data<int32_t>();
  NaiveHead out;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> z(static_cast<size_t>(v));
    for (int64_t j = 0; j < v; ++j) {
      double s = 0;
      for (int64_t p = 0; p < d; ++p) s += hv[size_t(i * d + p)] * wv[size_t(j * d + p)];
      z[size_t(j)] = scale * s;
    }
    double denom = 0;
    for (double zj : z) denom += std::exp(zj);
    const double lse = std::log(denom);
    double entropy = 0;
    for (double zj : z) entropy -= std::exp(zj) / denom * std::log(std::exp(zj) / denom);
    out.lse.push_back(lse);
    out.entropy.push_back(entropy);
    out.logp.push_back(t[i] < 0 ? 0.0 : z[size_t(t[i])] - lse);
  }
  return out;
}

// L = sum(r * logp) of the chunked forward (chunks of 3), the loss the finite differences probe.
double weighted_logp(const Tensor& h, const Tensor& w, const Tensor& targets, double scale, const Tensor& r) {
  auto o = head_forward(h, w, targets, scale, 3, false);
  auto lp = to_f64_vector(o.logp), rv = to_f64_vector(r);
  double l = 0;
  for (size_t i = 0; i < lp.size(); ++i) l += rv[i] * lp[i];
  return l;
}

// dh and the increment dw - dw0 of a backward against central differences of weighted_logp.
void expect_matches_finite_differences(Tensor& h, Tensor& w, const Tensor& targets, double scale, const Tensor& r,
                                       const Tensor& dh, Tensor& dw, const Tensor& dw0) {
  auto loss = [&]() { return weighted_logp(h, w, targets, scale, r); };
  ops::axpy(-1.0, dw0, dw);
  auto gh = check_gradient(h, loss, dh, h.numel());
  auto gw = check_gradient(w, loss, dw, w.numel());
  BOOST_TEST(gh.rel_error < 1e-7, "scale=" << scale << " dh err=" << gh.rel_error);
  BOOST_TEST(gw.rel_error < 1e-7, "scale=" << scale << " dw err=" << gw.rel_error);
}

// Targets in [0, V) with rows 2 and 6 ignored (-1).
Tensor make_targets(int64_t n, int64_t v, uint64_t seed) {
  Tensor t = random_ints({n}, 0, v, seed);
  if (n > 2) t.data<int32_t>()[2] = -1;
  if (n > 6) t.data<int32_t>()[6] = -1;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_lm_head)

BOOST_AUTO_TEST_CASE(forward_matches_naive_reference) {
  const int64_t n = 9, v = 23, d = 6;
  Tensor targets = make_targets(n, v, 1);
  for (DType dt : {DType::f32, DType::f64})
    for (double scale : {1.0, 0.7}) {
      Tensor h = random_tensor({n, d}, dt, 2), w = random_tensor({v, d}, dt, 3);
      auto ref = naive_head(h, w, targets, scale);
      auto o = head_forward(h, w, targets, scale, 4);
      const double tol = dt == DType::f32 ? 2e-6 : 1e-13;
      BOOST_TEST(rel_error(to_f64_vector(o.logp), ref.logp) < tol, "scale=" << scale);
      BOOST_TEST(rel_error(to_f64_vector(o.lse), ref.lse) < tol);
      BOOST_TEST(rel_error(to_f64_vector(o.entropy), ref.entropy) < tol);
      // Without an entropy tensor the other outputs are unchanged.
      auto no_entropy = head_forward(h, w, targets, scale, 4, false);
      BOOST_TEST((to_f64_vector(no_entropy.logp) == to_f64_vector(o.logp)));
      BOOST_TEST((to_f64_vector(no_entropy.lse) == to_f64_vector(o.lse)));
    }
}

BOOST_AUTO_TEST_CASE(large_logits_stay_finite) {
  // Logits of order 1e3 overflow exp without the max subtraction.
  const int64_t n = 4, v = 8, d = 3;
  Tensor targets = random_ints({n}, 0, v, 4);
  Tensor h = random_tensor({n, d}, DType::f64, 5, 30.0), w = random_tensor({v, d}, DType::f64, 6, 30.0);
  auto o = head_forward(h, w, targets, 1.0, 2);
  for (double x : to_f64_vector(o.logp)) BOOST_TEST((std::isfinite(x) && x <= 0));
  for (double x : to_f64_vector(o.entropy)) BOOST_TEST((std::isfinite(x) && x >= 0));
  BOOST_TEST(max_abs(o.lse) > 100.0);
}

BOOST_AUTO_TEST_CASE(chunk_size_does_not_change_results) {
  const int64_t n = 11, v = 17, d = 8;
  Tensor targets = make_targets(n, v, 7);
  for (DType dt : {DType::f32, DType::f64}) {
    const double tol = dt == DType::f32 ? 1e-6 : 1e-14;
    Tensor h = random_tensor({n, d}, dt, 8), w = random_tensor({v, d}, dt, 9);
    Tensor dlogp = random_tensor({n}, dt, 10);
    auto whole = head_forward(h, w, targets, 0.9, n);
    Tensor dh_whole = Tensor::zeros({n, d}, dt), dw_whole = Tensor::zeros({v, d}, dt);
    ops::lm_head_backward(h, w, targets, whole.lse, dlogp, 0.9, n, dh_whole, dw_whole);
    for (int64_t chunk : {int64_t(1), int64_t(3), n + 5}) {
      auto o = head_forward(h, w, targets, 0.9, chunk);
      BOOST_TEST(rel_error(o.logp, whole.logp) < tol, "chunk=" << chunk);
      BOOST_TEST(rel_error(o.lse, whole.lse) < tol);
      BOOST_TEST(rel_error(o.entropy, whole.entropy) < tol);
      Tensor dh = Tensor::zeros({n, d}, dt), dw = Tensor::zeros({v, d}, dt);
      ops::lm_head_backward(h, w, targets, o.lse, dlogp, 0.9, chunk, dh, dw);
      BOOST_TEST(rel_error(dh, dh_whole) < tol);
      BOOST_TEST(rel_error(dw, dw_whole) < tol);
    }
  }
}

BOOST_AUTO_TEST_CASE(ignored_targets_contribute_nothing) {
  const int64_t n = 8, v = 12, d = 5;
  Tensor targets = make_targets(n, v, 11);
  Tensor h = random_tensor({n, d}, DType::f64, 12), w = random_tensor({v, d}, DType::f64, 13);
  auto o = head_forward(h, w, targets, 1.0, 3);
  BOOST_TEST(o.logp.data<double>()[2] == 0.0);
  BOOST_TEST(o.logp.data<double>()[6] == 0.0);
  // Non-zero upstream gradient on ignored rows: dh rows are 0 and dw equals the run with those rows' dlogp zeroed.
  Tensor dlogp = random_tensor({n}, DType::f64, 14);
  Tensor dh = random_tensor({n, d}, DType::f64, 15), dw = Tensor::zeros({v, d}, DType::f64);
  ops::lm_head_backward(h, w, targets, o.lse, dlogp, 1.0, 3, dh, dw);
  for (int64_t j = 0; j < d; ++j) {
    BOOST_TEST(dh.data<double>()[2 * d + j] == 0.0);
    BOOST_TEST(dh.data<double>()[6 * d + j] == 0.0);
  }
  Tensor dlogp_masked = dlogp.clone();
  dlogp_masked.data<double>()[2] = 0.0;
  dlogp_masked.data<double>()[6] = 0.0;
  Tensor dh2 = Tensor::zeros({n, d}, DType::f64), dw2 = Tensor::zeros({v, d}, DType::f64);
  ops::lm_head_backward(h, w, targets, o.lse, dlogp_masked, 1.0, 3, dh2, dw2);
  BOOST_TEST(rel_error(dw, dw2) < 1e-14);
  BOOST_TEST(max_abs(dw) > 0.0);
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  const int64_t n = 7, v = 13, d = 5;
  Tensor targets = make_targets(n, v, 21);
  for (double scale : {1.0, 0.7}) {
    Tensor h = random_tensor({n, d}, DType::f64, 22), w = random_tensor({v, d}, DType::f64, 23);
    Tensor r = random_tensor({n}, DType::f64, 24);
    auto o = head_forward(h, w, targets, scale, 3);
    Tensor dh = random_tensor({n, d}, DType::f64, 25);  // overwritten
    Tensor dw = random_tensor({v, d}, DType::f64, 26);  // accumulated into
    Tensor dw0 = dw.clone();
    ops::lm_head_backward(h, w, targets, o.lse, r, scale, 3, dh, dw);
    expect_matches_finite_differences(h, w, targets, scale, r, dh, dw, dw0);
  }
}

// The saving forward and the backward from its softmax - onehot rows: the same forward outputs, the
// saved rows by their definition, and dh / dw against finite differences (the recompute path's test).
BOOST_AUTO_TEST_CASE(saved_rows_backward_matches_finite_differences) {
  const int64_t n = 7, v = 9, d = 4;
  Tensor targets = make_targets(n, v, 51);
  for (double scale : {1.0, 0.7}) {
    Tensor h = random_tensor({n, d}, DType::f64, 52), w = random_tensor({v, d}, DType::f64, 53);
    Tensor r = random_tensor({n}, DType::f64, 54);
    auto plain = head_forward(h, w, targets, scale, 3);
    HeadOutputs o{Tensor::zeros({n}, DType::f64), Tensor::zeros({n}, DType::f64), Tensor::zeros({n}, DType::f64)};
    Tensor saved = random_tensor({n, v}, DType::f64, 55);  // overwritten
    ops::lm_head_forward_saving(h, w, targets, scale, 3, o.logp, o.lse, o.entropy, saved);
    BOOST_TEST(rel_error(o.logp, plain.logp) < 1e-15);
    BOOST_TEST(rel_error(o.lse, plain.lse) < 1e-15);
    BOOST_TEST(rel_error(o.entropy, plain.entropy) < 1e-15);
    const auto u = to_f64_vector(saved), lse = to_f64_vector(o.lse), hv = to_f64_vector(h), wv = to_f64_vector(w);
    const int32_t* t = targets.data<int32_t>();
    double worst = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < v; ++j) {
        double z = 0;
        for (int64_t p = 0; p < d; ++p) z += hv[size_t(i * d + p)] * wv[size_t(j * d + p)];
        const double want = t[i] < 0 ? 0.0 : std::exp(scale * z - lse[size_t(i)]) - (j == t[i] ? 1.0 : 0.0);
        worst = std::max(worst, std::abs(u[size_t(i * v + j)] - want));
      }
    BOOST_TEST(worst < 1e-14, "saved softmax - onehot, worst difference " << worst);

    Tensor dh = random_tensor({n, d}, DType::f64, 56);  // overwritten
    Tensor dw = random_tensor({v, d}, DType::f64, 57);  // accumulated into
    Tensor dw0 = dw.clone();
    ops::lm_head_backward_saved(h, w, saved, r, scale, dh, dw);
    expect_matches_finite_differences(h, w, targets, scale, r, dh, dw, dw0);
  }
}

BOOST_AUTO_TEST_CASE(f32_matches_f64) {
  const int64_t n = 20, v = 40, d = 16;
  Tensor targets = make_targets(n, v, 31);
  Tensor h64 = random_tensor({n, d}, DType::f64, 32, 0.5), w64 = random_tensor({v, d}, DType::f64, 33, 0.5);
  Tensor dlogp64 = random_tensor({n}, DType::f64, 34);
  std::vector<HeadOutputs> outs;
  std::vector<Tensor> dhs, dws;
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor h = cast(h64, dt), w = cast(w64, dt);
    outs.push_back(head_forward(h, w, targets, 0.8, 6));
    Tensor dh = Tensor::zeros({n, d}, dt), dw = Tensor::zeros({v, d}, dt);
    ops::lm_head_backward(h, w, targets, outs.back().lse, cast(dlogp64, dt), 0.8, 6, dh, dw);
    dhs.push_back(dh);
    dws.push_back(dw);
  }
  BOOST_TEST(rel_error(outs[0].logp, outs[1].logp) < 1e-5);
  BOOST_TEST(rel_error(outs[0].lse, outs[1].lse) < 1e-5);
  BOOST_TEST(rel_error(outs[0].entropy, outs[1].entropy) < 1e-5);
  BOOST_TEST(rel_error(dhs[0], dhs[1]) < 1e-5);
  BOOST_TEST(rel_error(dws[0], dws[1]) < 1e-5);
}

BOOST_AUTO_TEST_CASE(token_logprobs_match_naive_reference) {
  const int64_t n = 7, v = 19, d = 5;
  Tensor tokens = random_ints({n}, 0, v, 21);
  for (DType dt : {DType::f32, DType::f64})
    for (double scale : {1.0, 1.0 / 0.6}) {
      Tensor h = random_tensor({n, d}, dt, 22), w = random_tensor({v, d}, dt, 23);
      Tensor logits = Tensor::empty({n, v}, dt);
      ops::gemm(h, ops::Trans::no, w, ops::Trans::yes, logits, 1.0, 0.0);
      Tensor logp = Tensor::empty({n}, dt);
      ops::token_logprobs(logits, tokens, scale, logp);
      auto ref = naive_head(h, w, tokens, scale);
      BOOST_TEST(rel_error(to_f64_vector(logp), ref.logp) < (dt == DType::f32 ? 2e-6 : 1e-13), "scale=" << scale);
    }
}

BOOST_AUTO_TEST_CASE(token_logprobs_equal_the_heads_logp_for_the_same_logits) {
  // The training forward's log-probs (lm_head_forward) and the rollout's (token_logprobs on the
  // sampling logits) reduce their rows the same way: equal logits give equal bits.
  const int64_t n = 6, v = 300, d = 16;
  Tensor tokens = random_ints({n}, 0, v, 24);
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor h = random_tensor({n, d}, dt, 25), w = random_tensor({v, d}, dt, 26);
    auto head = head_forward(h, w, tokens, 1.0, n, false);
    Tensor logits = Tensor::empty({n, v}, dt);
    ops::gemm(h, ops::Trans::no, w, ops::Trans::yes, logits, 1.0, 0.0);
    Tensor logp = Tensor::empty({n}, dt);
    ops::token_logprobs(logits, tokens, 1.0, logp);
    BOOST_TEST((to_f64_vector(logp) == to_f64_vector(head.logp)));
  }
}

BOOST_AUTO_TEST_CASE(token_logprobs_reject_tokens_outside_the_vocabulary) {
  Tensor logits = random_tensor({2, 5}, DType::f32, 27), logp = Tensor::empty({2}, DType::f32);
  Tensor tokens = Tensor::from_vector(std::vector<int32_t>{1, 5});
  BOOST_CHECK_EXCEPTION(ops::token_logprobs(logits, tokens, 1.0, logp), Error, [](const Error& e) {
    return std::string(e.what()).find("token 5 at row 1") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(rejects_targets_outside_the_vocabulary) {
  const int64_t n = 3, v = 5, d = 2;
  Tensor h = random_tensor({n, d}, DType::f64, 41), w = random_tensor({v, d}, DType::f64, 42);
  Tensor targets = Tensor::from_vector(std::vector<int32_t>{0, 5, 1});
  BOOST_CHECK_THROW(head_forward(h, w, targets, 1.0, 2), Error);
  Tensor dh = Tensor::zeros({n, d}, DType::f64), dw = Tensor::zeros({v, d}, DType::f64);
  BOOST_CHECK_THROW(ops::lm_head_backward(h, w, targets, Tensor::zeros({n}, DType::f64),
                                          Tensor::zeros({n}, DType::f64), 1.0, 2, dh, dw),
                    Error);
}

BOOST_AUTO_TEST_SUITE_END()
