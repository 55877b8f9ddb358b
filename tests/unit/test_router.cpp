// MoE router kernels (DeepSeek-V3 group-limited top-k): the expert choice and weights against a
// float64 brute-force reference (full sorts), constructed cases for the group limit, ties and the
// bias, and router_backward / router_seq_aux_loss against central finite differences in float64.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;

namespace {

struct RouteResult {
  Tensor scores, idx, weight;
};

RouteResult route(const Tensor& logits, const Tensor& bias, const ops::RouterParams& p) {
  const int64_t n = logits.rows(), e = logits.cols();
  RouteResult r{Tensor::zeros({n, e}, logits.dtype()), Tensor::zeros({n, p.top_k}, DType::i32),
                Tensor::zeros({n, p.top_k}, logits.dtype())};
  ops::router_forward(logits, bias, p, r.scores, r.idx, r.weight);
  return r;
}

std::vector<int32_t> ints(const Tensor& t) {
  return std::vector<int32_t>(t.data<int32_t>(), t.data<int32_t>() + t.numel());
}

// Float64 reference of one configuration: scores, chosen experts and weights for every token.
struct Reference {
  std::vector<double> scores, weight;
  std::vector<int32_t> idx;
};

Reference reference_route(const std::vector<double>& logits, const std::vector<double>& bias, int64_t n, int64_t e,
                          const ops::RouterParams& p) {
  Reference ref;
  ref.scores.resize(size_t(n * e));
  const int64_t group_size = e / p.n_group;
  for (int64_t t = 0; t < n; ++t) {
    const double* z = &logits[size_t(t * e)];
    double* s = &ref.scores[size_t(t * e)];
    if (p.scoring == ops::RouterScoring::sigmoid) {
      for (int64_t i = 0; i < e; ++i) s[i] = 1.0 / (1.0 + std::exp(-z[i]));
    } else {
      double total = 0;
      for (int64_t i = 0; i < e; ++i) total += std::exp(z[i]);
      for (int64_t i = 0; i < e; ++i) s[i] = std::exp(z[i]) / total;
    }
    std::vector<double> choice(static_cast<size_t>(e));
    for (int64_t i = 0; i < e; ++i) choice[size_t(i)] = s[i] + (bias.empty() ? 0.0 : bias[size_t(i)]);
    // Group score: sort each group's choice scores descending and add the first two.
    std::vector<std::pair<double, int64_t>> groups;  // (-score, group) sorts best first, lower index on ties
    for (int64_t g = 0; g < p.n_group; ++g) {
      std::vector<double> members(choice.begin() + g * group_size, choice.begin() + (g + 1) * group_size);
      std::sort(members.begin(), members.end(), std::greater<>());
      groups.push_back({-(members[0] + (group_size > 1 ? members[1] : 0.0)), g});
    }
    std::sort(groups.begin(), groups.end());
    std::vector<bool> kept(size_t(p.n_group), false);
    for (int64_t g = 0; g < p.topk_group; ++g) kept[size_t(groups[size_t(g)].second)] = true;
    std::vector<std::pair<double, int64_t>> experts;  // (-choice, expert) over kept groups
    for (int64_t i = 0; i < e; ++i)
      if (kept[size_t(i / group_size)]) experts.push_back({-choice[size_t(i)], i});
    std::sort(experts.begin(), experts.end());
    double total = 0;
    for (int64_t k = 0; k < p.top_k; ++k) total += s[experts[size_t(k)].second];
    for (int64_t k = 0; k < p.top_k; ++k) {
      const int64_t i = experts[size_t(k)].second;
      ref.idx.push_back(int32_t(i));
      ref.weight.push_back(s[i] * p.routed_scaling_factor / (p.norm_topk_prob ? total + 1e-20 : 1.0));
    }
  }
  return ref;
}

// Logits that give the listed sigmoid scores.
Tensor logits_for_scores(const std::vector<double>& probs, int64_t n) {
  std::vector<double> z;
  for (int64_t t = 0; t < n; ++t)
    for (double q : probs) z.push_back(std::log(q / (1.0 - q)));
  return Tensor::from_vector(z, {n, int64_t(probs.size())});
}

ops::RouterParams params(int64_t top_k, int64_t n_group, int64_t topk_group, bool norm, double scaling,
                         ops::RouterScoring scoring) {
  ops::RouterParams p;
  p.top_k = top_k;
  p.n_group = n_group;
  p.topk_group = topk_group;
  p.norm_topk_prob = norm;
  p.routed_scaling_factor = scaling;
  p.scoring = scoring;
  return p;
}

const ops::RouterScoring kScorings[] = {ops::RouterScoring::sigmoid, ops::RouterScoring::softmax};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_router)

BOOST_AUTO_TEST_CASE(choice_and_weights_match_bruteforce_reference) {
  struct Config {
    int64_t experts, top_k, n_group, topk_group;
  };
  const Config configs[] = {{8, 2, 1, 1}, {16, 4, 4, 2}, {16, 3, 8, 3}, {32, 8, 4, 4}};
  const int64_t n = 40;
  for (DType dt : {DType::f32, DType::f64})
    for (const Config& c : configs)
      for (auto scoring : kScorings)
        for (bool norm : {true, false}) {
          auto p = params(c.top_k, c.n_group, c.topk_group, norm, 2.5, scoring);
          Tensor logits = random_tensor({n, c.experts}, DType::f64, 100 + c.experts + c.n_group, 1.5);
          Tensor bias = random_tensor({c.experts}, DType::f64, 200 + c.top_k, 0.05);
          auto r = route(cast(logits, dt), cast(bias, dt), p);
          auto ref = reference_route(to_f64_vector(cast(logits, dt)), to_f64_vector(cast(bias, dt)), n, c.experts, p);
          BOOST_TEST((ints(r.idx) == ref.idx), "E=" << c.experts << " n_group=" << c.n_group << " dt=" << int(dt));
          const double tol = dt == DType::f32 ? 1e-6 : 1e-14;
          BOOST_TEST(rel_error(to_f64_vector(r.scores), ref.scores) < tol);
          BOOST_TEST(rel_error(to_f64_vector(r.weight), ref.weight) < tol);
        }
}

BOOST_AUTO_TEST_CASE(group_limit_changes_the_choice) {
  // Groups of 4: group 0 {0.95, 0.9} sums 1.85, group 1 (all 0.7) 1.4, group 2 {0.93, 0.05} 0.98.
  // Plain top-4 takes experts 0, 8, 1, 4; keeping the best 2 groups excludes expert 8 (group 2).
  const std::vector<double> probs = {0.95, 0.9, 0.1, 0.1, 0.7, 0.7, 0.7, 0.7,
                                     0.93, 0.05, 0.05, 0.05, 0.2, 0.2, 0.2, 0.2};
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor logits = cast(logits_for_scores(probs, 3), dt);
    auto plain = route(logits, Tensor(), params(4, 1, 1, true, 1.0, ops::RouterScoring::sigmoid));
    auto limited = route(logits, Tensor(), params(4, 4, 2, true, 1.0, ops::RouterScoring::sigmoid));
    const std::vector<int32_t> plain_expected = {0, 8, 1, 4}, limited_expected = {0, 1, 4, 5};  // ties: lower index
    for (int64_t t = 0; t < 3; ++t) {
      auto pi = ints(plain.idx), li = ints(limited.idx);
      BOOST_TEST((std::vector<int32_t>(pi.begin() + t * 4, pi.begin() + t * 4 + 4) == plain_expected));
      BOOST_TEST((std::vector<int32_t>(li.begin() + t * 4, li.begin() + t * 4 + 4) == limited_expected));
    }
    auto w = to_f64_vector(limited.weight);
    const double total = 0.95 + 0.9 + 0.7 + 0.7;
    BOOST_TEST(std::fabs(w[0] - 0.95 / total) < 1e-6);
    BOOST_TEST(std::fabs(w[3] - 0.7 / total) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(equal_groups_prefer_the_lower_group) {
  // Groups of 2: groups 1 and 2 both sum 0.6 + 0.5; topk_group = 1 keeps group 1 (experts 2, 3).
  const std::vector<double> probs = {0.2, 0.2, 0.6, 0.5, 0.5, 0.6, 0.1, 0.1};
  auto r = route(logits_for_scores(probs, 1), Tensor(), params(2, 4, 1, true, 1.0, ops::RouterScoring::sigmoid));
  BOOST_TEST((ints(r.idx) == std::vector<int32_t>{2, 3}));
  auto both = route(logits_for_scores(probs, 1), Tensor(), params(2, 4, 2, true, 1.0, ops::RouterScoring::sigmoid));
  BOOST_TEST((ints(both.idx) == std::vector<int32_t>{2, 5}));  // equal 0.6 scores: lower expert first
}

BOOST_AUTO_TEST_CASE(bias_changes_the_choice_but_not_the_weights) {
  const int64_t n = 10, e = 8;
  auto p = params(2, 1, 1, true, 1.0, ops::RouterScoring::sigmoid);
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor logits = random_tensor({n, e}, dt, 31);
    auto plain = route(logits, Tensor(), p);
    // A large bias on expert 3 puts it first for every token; weights still come from unbiased scores.
    std::vector<double> bias(size_t(e), 0.0);
    bias[3] = 5.0;
    auto biased = route(logits, cast(Tensor::from_vector(bias), dt), p);
    auto bi = ints(biased.idx), pi = ints(plain.idx);
    BOOST_TEST(bi != pi);
    auto s = to_f64_vector(biased.scores);
    auto w = to_f64_vector(biased.weight);
    for (int64_t t = 0; t < n; ++t) {
      BOOST_TEST(bi[size_t(t * 2)] == 3);
      const double s0 = s[size_t(t * e + bi[size_t(t * 2)])], s1 = s[size_t(t * e + bi[size_t(t * 2 + 1)])];
      BOOST_TEST(std::fabs(w[size_t(t * 2)] - s0 / (s0 + s1)) < 1e-6);
      BOOST_TEST(std::fabs(w[size_t(t * 2 + 1)] - s1 / (s0 + s1)) < 1e-6);
    }
    // A uniform bias leaves the choice and the weights bit-identical.
    auto shifted = route(logits, cast(Tensor::from_vector(std::vector<double>(size_t(e), 0.3)), dt), p);
    BOOST_TEST((ints(shifted.idx) == pi));
    BOOST_TEST((to_f64_vector(shifted.weight) == to_f64_vector(plain.weight)));
  }
}

BOOST_AUTO_TEST_CASE(normalised_weights_sum_to_the_scaling_factor) {
  const int64_t n = 16, e = 16;
  for (DType dt : {DType::f32, DType::f64})
    for (auto scoring : kScorings) {
      Tensor logits = random_tensor({n, e}, dt, 41);
      auto r = route(logits, Tensor(), params(4, 4, 2, true, 2.5, scoring));
      auto w = to_f64_vector(r.weight);
      for (int64_t t = 0; t < n; ++t) {
        const double total = w[size_t(t * 4)] + w[size_t(t * 4 + 1)] + w[size_t(t * 4 + 2)] + w[size_t(t * 4 + 3)];
        BOOST_TEST(std::fabs(total - 2.5) < (dt == DType::f32 ? 1e-5 : 1e-13));
      }
      // Without normalisation the weights are the scaled scores themselves.
      auto raw = route(logits, Tensor(), params(4, 4, 2, false, 2.5, scoring));
      auto s = to_f64_vector(raw.scores), wr = to_f64_vector(raw.weight);
      auto idx = ints(raw.idx);
      for (int64_t i = 0; i < n * 4; ++i)
        BOOST_TEST(std::fabs(wr[size_t(i)] - 2.5 * s[size_t((i / 4) * e + idx[size_t(i)])]) < 1e-6);
    }
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  const int64_t n = 6, e = 16;
  for (auto scoring : kScorings)
    for (bool norm : {true, false})
      for (int64_t n_group : {1, 4}) {
        auto p = params(4, n_group, n_group == 1 ? 1 : 2, norm, 1.7, scoring);
        Tensor logits = random_tensor({n, e}, DType::f64, 51 + n_group, 2.0);
        Tensor bias = random_tensor({e}, DType::f64, 52, 0.05);
        Tensor r = random_tensor({n, p.top_k}, DType::f64, 53);
        auto base = route(logits, bias, p);
        const auto base_idx = ints(base.idx);
        bool choice_changed = false;
        auto loss = [&]() {
          auto now = route(logits, bias, p);
          choice_changed |= ints(now.idx) != base_idx;
          double l = 0;
          auto w = to_f64_vector(now.weight), rv = to_f64_vector(r);
          for (size_t i = 0; i < w.size(); ++i) l += rv[i] * w[i];
          return l;
        };
        Tensor dlogits = random_tensor({n, e}, DType::f64, 54);  // overwritten
        ops::router_backward(base.scores, base.idx, r, p, dlogits);
        auto res = check_gradient(logits, loss, dlogits, n * e);
        BOOST_TEST(!choice_changed);
        BOOST_TEST(res.rel_error < 1e-7, "scoring=" << int(scoring) << " norm=" << norm << " n_group=" << n_group
                                                    << " err=" << res.rel_error);
      }
}

BOOST_AUTO_TEST_CASE(seq_aux_loss_value_and_gradient) {
  const int64_t n = 12, e = 8;
  const ops::SeqOffsets seqs = {0, 5, 12};
  const double alpha = 0.3, weight = 1.7;
  for (auto scoring : kScorings) {
    auto p = params(2, 2, 1, true, 1.0, scoring);
    Tensor logits = random_tensor({n, e}, DType::f64, 61, 2.0);
    auto base = route(logits, Tensor(), p);
    const auto base_idx = ints(base.idx);

    // Hand computation of the loss from the forward's scores and choices.
    auto s = to_f64_vector(base.scores);
    double expected = 0;
    for (size_t q = 0; q + 1 < seqs.size(); ++q) {
      const int64_t b = seqs[q], len = seqs[q + 1] - seqs[q];
      for (int64_t i = 0; i < e; ++i) {
        double count = 0, prob = 0;
        for (int64_t t = b; t < b + len; ++t) {
          for (int64_t k = 0; k < 2; ++k) count += base_idx[size_t(t * 2 + k)] == i ? 1 : 0;
          double row = 0;
          for (int64_t j = 0; j < e; ++j) row += s[size_t(t * e + j)];
          prob += s[size_t(t * e + i)] / row;
        }
        expected += alpha * (double(e) / (2.0 * double(len)) * count) * (prob / double(len));
      }
    }
    Tensor dlogits = random_tensor({n, e}, DType::f64, 62);
    Tensor before = dlogits.clone();
    const double value = ops::router_seq_aux_loss(base.scores, base.idx, seqs, alpha, p, weight, dlogits);
    BOOST_TEST(std::fabs(value - weight * expected) < 1e-13 * std::max(1.0, expected));

    // Gradient: what the call added, against finite differences with the choice (so f) unchanged.
    Tensor added = dlogits.clone();
    ops::axpy(-1.0, before, added);
    bool choice_changed = false;
    auto loss = [&]() {
      auto now = route(logits, Tensor(), p);
      choice_changed |= ints(now.idx) != base_idx;
      Tensor scratch = Tensor::zeros({n, e}, DType::f64);
      return ops::router_seq_aux_loss(now.scores, now.idx, seqs, alpha, p, weight, scratch);
    };
    auto res = check_gradient(logits, loss, added, n * e);
    BOOST_TEST(!choice_changed);
    BOOST_TEST(res.rel_error < 1e-7, "scoring=" << int(scoring) << " err=" << res.rel_error);
  }
}

BOOST_AUTO_TEST_CASE(f32_matches_f64) {
  const int64_t n = 24, e = 16;
  const ops::SeqOffsets seqs = {0, 10, 24};
  for (auto scoring : kScorings) {
    auto p = params(4, 4, 2, true, 2.5, scoring);
    Tensor logits64 = random_tensor({n, e}, DType::f64, 71, 2.0);
    Tensor bias64 = random_tensor({e}, DType::f64, 72, 0.05);
    Tensor dw64 = random_tensor({n, 4}, DType::f64, 73);
    std::vector<Tensor> dlogits, weights;
    std::vector<double> aux;
    std::vector<std::vector<int32_t>> idx;
    for (DType dt : {DType::f32, DType::f64}) {
      auto r = route(cast(logits64, dt), cast(bias64, dt), p);
      Tensor dl = Tensor::zeros({n, e}, dt);
      ops::router_backward(r.scores, r.idx, cast(dw64, dt), p, dl);
      aux.push_back(ops::router_seq_aux_loss(r.scores, r.idx, seqs, 0.01, p, 1.0, dl));
      idx.push_back(ints(r.idx));
      weights.push_back(r.weight);
      dlogits.push_back(dl);
    }
    BOOST_TEST((idx[0] == idx[1]));
    BOOST_TEST(rel_error(weights[0], weights[1]) < 1e-6);
    BOOST_TEST(rel_error(dlogits[0], dlogits[1]) < 1e-5);
    BOOST_TEST(std::fabs(aux[0] - aux[1]) < 1e-6 * std::fabs(aux[1]));
  }
}

BOOST_AUTO_TEST_CASE(rejects_inconsistent_parameters) {
  Tensor logits = random_tensor({2, 15}, DType::f64, 81);
  BOOST_CHECK_THROW(route(logits, Tensor(), params(2, 4, 2, true, 1.0, ops::RouterScoring::sigmoid)), Error);
  Tensor logits16 = random_tensor({2, 16}, DType::f64, 82);
  BOOST_CHECK_THROW(route(logits16, Tensor(), params(9, 4, 2, true, 1.0, ops::RouterScoring::sigmoid)), Error);
  Tensor bad_idx = Tensor::from_vector(std::vector<int32_t>{0, 16, 1, 2}, {2, 2});
  Tensor dlogits = Tensor::zeros({2, 16}, DType::f64);
  BOOST_CHECK_THROW(ops::router_backward(logits16, bad_idx, Tensor::zeros({2, 2}, DType::f64),
                                         params(2, 1, 1, true, 1.0, ops::RouterScoring::sigmoid), dlogits),
                    Error);
}

BOOST_AUTO_TEST_SUITE_END()
