// Causal attention over packed variable-length sequences (MHA, GQA, MLA head shapes): the forward
// against a naive float64 reference with an explicit causal/sequence mask (outputs and lse), the
// backward against central finite differences and, for a long sequence, against a naive float64
// backward; f32 vs f64 agreement, stability with large scores, isolation of sequences, and the
// argument checks.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;

namespace {

struct HeadShape {
  const char* name;
  int64_t q_heads, kv_heads, key_dim, value_dim;
};

const HeadShape kShapes[] = {
    {"MHA", 3, 3, 8, 8},
    {"GQA 4/2", 4, 2, 8, 8},
    {"GQA 6/1", 6, 1, 8, 8},
    {"MLA-like Dk=24 Dv=16", 2, 2, 24, 16},
};

struct AttentionInputs {
  Tensor q, k, v;  // [N, Hq, Dk], [N, Hkv, Dk], [N, Hkv, Dv]
};

AttentionInputs random_inputs(const HeadShape& sh, int64_t tokens, DType dt, uint64_t seed) {
  return {random_tensor({tokens, sh.q_heads, sh.key_dim}, dt, seed),
          random_tensor({tokens, sh.kv_heads, sh.key_dim}, dt, seed + 1),
          random_tensor({tokens, sh.kv_heads, sh.value_dim}, dt, seed + 2)};
}

struct ForwardResult {
  Tensor out, lse;  // [N, Hq, Dv], [N, Hq]
};

ForwardResult run_forward(const AttentionInputs& in, const ops::SeqOffsets& seqs, double scale) {
  int64_t n = in.q.size(0), hq = in.q.size(1), dv = in.v.size(2);
  ForwardResult r{Tensor::empty({n, hq, dv}, in.q.dtype()), Tensor::empty({n, hq}, in.q.dtype())};
  ops::attention_forward(in.q, in.k, in.v, seqs, scale, r.out, r.lse);
  return r;
}

struct Gradients {
  Tensor dq, dk, dv;
};

// Gradient buffers start as random values so that the test sees whether they are overwritten.
Gradients run_backward(const AttentionInputs& in, const ForwardResult& fwd, const Tensor& dout,
                       const ops::SeqOffsets& seqs, double scale) {
  DType dt = in.q.dtype();
  Gradients g{random_tensor(in.q.shape(), dt, 901), random_tensor(in.k.shape(), dt, 902),
              random_tensor(in.v.shape(), dt, 903)};
  ops::attention_backward(in.q, in.k, in.v, fwd.out, fwd.lse, dout, seqs, scale, g.dq, g.dk, g.dv);
  return g;
}

// Naive float64 attention over the whole packed batch: row i of head h attends to row j exactly
// when both rows lie in the same sequence and j <= i.
struct NaiveAttention {
  int64_t n, hq, hkv, dk, dv;
  double scale;
  std::vector<int64_t> seq_of;  // [N] sequence index of each row
  std::vector<double> q, k, v;

  NaiveAttention(const AttentionInputs& in, const ops::SeqOffsets& seqs, double scale_)
      : n(in.q.size(0)), hq(in.q.size(1)), hkv(in.k.size(1)), dk(in.q.size(2)), dv(in.v.size(2)), scale(scale_),
        q(to_f64_vector(in.q)), k(to_f64_vector(in.k)), v(to_f64_vector(in.v)) {
    seq_of.assign(size_t(n), -1);
    for (size_t s = 0; s + 1 < seqs.size(); ++s)
      for (int64_t r = seqs[s]; r < seqs[s + 1]; ++r) seq_of[size_t(r)] = int64_t(s);
  }
  bool visible(int64_t i, int64_t j) const { return seq_of[size_t(i)] == seq_of[size_t(j)] && j <= i; }
  int64_t kv_head(int64_t h) const { return h / (hq / hkv); }

  // Probabilities of row i, head h over all N rows (0 where masked), and the row's lse.
  std::vector<double> probabilities(int64_t i, int64_t h, double* lse) const {
    int64_t g = kv_head(h);
    std::vector<double> score(size_t(n), -INFINITY);
    double row_max = -INFINITY;
    for (int64_t j = 0; j < n; ++j) {
      if (!visible(i, j)) continue;
      double dot = 0;
      for (int64_t c = 0; c < dk; ++c) dot += q[size_t((i * hq + h) * dk + c)] * k[size_t((j * hkv + g) * dk + c)];
      score[size_t(j)] = scale * dot;
      row_max = std::max(row_max, score[size_t(j)]);
    }
    double total = 0;
    for (int64_t j = 0; j < n; ++j)
      if (visible(i, j)) total += std::exp(score[size_t(j)] - row_max);
    std::vector<double> p(size_t(n), 0.0);
    for (int64_t j = 0; j < n; ++j)
      if (visible(i, j)) p[size_t(j)] = std::exp(score[size_t(j)] - row_max) / total;
    *lse = row_max + std::log(total);
    return p;
  }

  void forward(std::vector<double>& out, std::vector<double>& lse) const {
    out.assign(size_t(n * hq * dv), 0.0);
    lse.assign(size_t(n * hq), 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t h = 0; h < hq; ++h) {
        auto p = probabilities(i, h, &lse[size_t(i * hq + h)]);
        for (int64_t j = 0; j < n; ++j)
          for (int64_t c = 0; c < dv; ++c)
            out[size_t((i * hq + h) * dv + c)] += p[size_t(j)] * v[size_t((j * hkv + kv_head(h)) * dv + c)];
      }
  }

  // Backward through the softmax Jacobian: dS_ij = P_ij (dP_ij - sum_l P_il dP_il).
  void backward(const std::vector<double>& dout, std::vector<double>& dq, std::vector<double>& dk_out,
                std::vector<double>& dv_out) const {
    dq.assign(q.size(), 0.0);
    dk_out.assign(k.size(), 0.0);
    dv_out.assign(v.size(), 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t h = 0; h < hq; ++h) {
        int64_t g = kv_head(h);
        double lse;
        auto p = probabilities(i, h, &lse);
        std::vector<double> dp(size_t(n), 0.0);
        double weighted = 0;
        for (int64_t j = 0; j < n; ++j) {
          for (int64_t c = 0; c < dv; ++c)
            dp[size_t(j)] += dout[size_t((i * hq + h) * dv + c)] * v[size_t((j * hkv + g) * dv + c)];
          weighted += p[size_t(j)] * dp[size_t(j)];
        }
        for (int64_t j = 0; j < n; ++j) {
          double ds = p[size_t(j)] * (dp[size_t(j)] - weighted);
          for (int64_t c = 0; c < dk; ++c) {
            dq[size_t((i * hq + h) * dk + c)] += scale * ds * k[size_t((j * hkv + g) * dk + c)];
            dk_out[size_t((j * hkv + g) * dk + c)] += scale * ds * q[size_t((i * hq + h) * dk + c)];
          }
          for (int64_t c = 0; c < dv; ++c)
            dv_out[size_t((j * hkv + g) * dv + c)] += p[size_t(j)] * dout[size_t((i * hq + h) * dv + c)];
        }
      }
  }
};

double dot(const Tensor& a, const Tensor& b) {
  auto av = to_f64_vector(a), bv = to_f64_vector(b);
  double s = 0;
  for (size_t i = 0; i < av.size(); ++i) s += av[i] * bv[i];
  return s;
}

// Bytes of rows [begin, end) of a tensor viewed as [N, ...].
std::vector<unsigned char> row_bytes(const Tensor& t, int64_t begin, int64_t end) {
  size_t row = t.nbytes() / size_t(t.size(0));
  const auto* p = static_cast<const unsigned char*>(t.raw());
  return std::vector<unsigned char>(p + size_t(begin) * row, p + size_t(end) * row);
}

// Lengths 1, 5, 0, 7, 4, 9: a single-token sequence, an empty one, odd and even lengths.
const ops::SeqOffsets kPackedSeqs = {0, 1, 6, 6, 13, 17, 26};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_attention)

BOOST_AUTO_TEST_CASE(forward_matches_naive_reference) {
  const int64_t n = kPackedSeqs.back();
  for (const HeadShape& sh : kShapes)
    for (DType dt : {DType::f64, DType::f32}) {
      double scale = 1.0 / std::sqrt(double(sh.key_dim));
      AttentionInputs in = random_inputs(sh, n, dt, 100);
      ForwardResult fwd = run_forward(in, kPackedSeqs, scale);
      std::vector<double> ref_out, ref_lse;
      NaiveAttention(in, kPackedSeqs, scale).forward(ref_out, ref_lse);
      double tol = dt == DType::f64 ? 1e-12 : 2e-6;
      double err_out = rel_error(to_f64_vector(fwd.out), ref_out);
      double err_lse = rel_error(to_f64_vector(fwd.lse), ref_lse);
      BOOST_TEST(err_out < tol, sh.name << " " << dtype_name(dt) << " out rel error " << err_out);
      BOOST_TEST(err_lse < tol, sh.name << " " << dtype_name(dt) << " lse rel error " << err_lse);
    }
}

BOOST_AUTO_TEST_CASE(forward_is_stable_for_large_scores) {
  // Scores of a few hundred overflow exp() in f32 unless the row maximum is subtracted.
  const HeadShape sh = {"GQA 4/2", 4, 2, 8, 8};
  const double scale = 60.0;
  AttentionInputs in = random_inputs(sh, kPackedSeqs.back(), DType::f32, 200);
  ForwardResult fwd = run_forward(in, kPackedSeqs, scale);
  std::vector<double> ref_out, ref_lse;
  NaiveAttention(in, kPackedSeqs, scale).forward(ref_out, ref_lse);
  double max_lse = 0;
  for (double l : ref_lse) max_lse = std::max(max_lse, l);
  BOOST_TEST(max_lse > 100.0, "scores should be large enough to overflow a naive exp, max lse " << max_lse);
  double err_out = rel_error(to_f64_vector(fwd.out), ref_out);
  double err_lse = rel_error(to_f64_vector(fwd.lse), ref_lse);
  BOOST_TEST(err_out < 1e-4, "out rel error " << err_out);
  BOOST_TEST(err_lse < 1e-5, "lse rel error " << err_lse);
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  const ops::SeqOffsets seqs = {0, 1, 4, 9};  // lengths 1, 3, 5
  const int64_t n = seqs.back();
  for (const HeadShape& sh : kShapes) {
    double scale = 1.0 / std::sqrt(double(sh.key_dim));
    AttentionInputs in = random_inputs(sh, n, DType::f64, 300);
    Tensor weights = random_tensor({n, sh.q_heads, sh.value_dim}, DType::f64, 310);  // R in loss = sum(R * out)
    ForwardResult fwd = run_forward(in, seqs, scale);
    Gradients g = run_backward(in, fwd, weights, seqs, scale);
    auto loss = [&] { return dot(run_forward(in, seqs, scale).out, weights); };
    for (auto [name, input, analytic] : {std::tuple{"dq", &in.q, &g.dq}, {"dk", &in.k, &g.dk}, {"dv", &in.v, &g.dv}}) {
      GradCheckResult r = check_gradient(*input, loss, *analytic, 96);
      BOOST_TEST(r.rel_error < 1e-7, sh.name << " " << name << " rel error " << r.rel_error << " over " << r.checked
                                             << " coordinates, max abs diff " << r.max_abs_diff);
    }
  }
}

BOOST_AUTO_TEST_CASE(f32_agrees_with_f64) {
  const int64_t n = kPackedSeqs.back();
  for (const HeadShape& sh : kShapes) {
    double scale = 1.0 / std::sqrt(double(sh.key_dim));
    AttentionInputs in64 = random_inputs(sh, n, DType::f64, 400);
    AttentionInputs in32{cast(in64.q, DType::f32), cast(in64.k, DType::f32), cast(in64.v, DType::f32)};
    Tensor dout64 = random_tensor({n, sh.q_heads, sh.value_dim}, DType::f64, 410);
    Tensor dout32 = cast(dout64, DType::f32);
    ForwardResult f64 = run_forward(in64, kPackedSeqs, scale), f32 = run_forward(in32, kPackedSeqs, scale);
    Gradients g64 = run_backward(in64, f64, dout64, kPackedSeqs, scale);
    Gradients g32 = run_backward(in32, f32, dout32, kPackedSeqs, scale);
    BOOST_TEST(rel_error(f32.out, f64.out) < 2e-6, sh.name);
    BOOST_TEST(rel_error(f32.lse, f64.lse) < 2e-6, sh.name);
    BOOST_TEST(rel_error(g32.dq, g64.dq) < 1e-5, sh.name << " dq " << rel_error(g32.dq, g64.dq));
    BOOST_TEST(rel_error(g32.dk, g64.dk) < 1e-5, sh.name << " dk " << rel_error(g32.dk, g64.dk));
    BOOST_TEST(rel_error(g32.dv, g64.dv) < 1e-5, sh.name << " dv " << rel_error(g32.dv, g64.dv));
  }
}

BOOST_AUTO_TEST_CASE(sequences_are_isolated) {
  // Changing the tokens of sequence 3 (rows [6, 13)) must leave every other row bit-identical.
  const HeadShape sh = {"GQA 4/2", 4, 2, 8, 8};
  const int64_t n = kPackedSeqs.back(), begin = 6, end = 13;
  const double scale = 0.35;
  for (DType dt : {DType::f32, DType::f64}) {
    AttentionInputs in = random_inputs(sh, n, dt, 500);
    Tensor dout = random_tensor({n, sh.q_heads, sh.value_dim}, dt, 510);
    ForwardResult fwd = run_forward(in, kPackedSeqs, scale);
    Gradients g = run_backward(in, fwd, dout, kPackedSeqs, scale);

    AttentionInputs changed{in.q.clone(), in.k.clone(), in.v.clone()};
    Tensor dout_changed = dout.clone();
    for (Tensor* t : {&changed.q, &changed.k, &changed.v, &dout_changed}) {
      Tensor noise = random_tensor(t->shape(), dt, 520);
      int64_t row = t->numel() / n;
      t->flat(begin * row, {(end - begin) * row}).copy_from(noise.flat(begin * row, {(end - begin) * row}));
    }
    ForwardResult fwd_changed = run_forward(changed, kPackedSeqs, scale);
    Gradients g_changed = run_backward(changed, fwd_changed, dout_changed, kPackedSeqs, scale);

    const std::pair<const Tensor*, const Tensor*> pairs[] = {{&fwd.out, &fwd_changed.out}, {&fwd.lse, &fwd_changed.lse},
                                                             {&g.dq, &g_changed.dq},       {&g.dk, &g_changed.dk},
                                                             {&g.dv, &g_changed.dv}};
    for (auto [before, after] : pairs) {
      BOOST_TEST((row_bytes(*before, 0, begin) == row_bytes(*after, 0, begin)));
      BOOST_TEST((row_bytes(*before, end, n) == row_bytes(*after, end, n)));
      BOOST_TEST((row_bytes(*before, begin, end) != row_bytes(*after, begin, end)), "the changed sequence changed");
    }
  }
}

BOOST_AUTO_TEST_CASE(long_sequence_matches_naive_reference) {
  // One sequence of 200 tokens: several query blocks, GQA and Dk != Dv together.
  const HeadShape sh = {"GQA 4/2 Dk=40 Dv=24", 4, 2, 40, 24};
  const ops::SeqOffsets seqs = {0, 200};
  const double scale = 1.0 / std::sqrt(40.0);
  AttentionInputs in = random_inputs(sh, 200, DType::f64, 600);
  Tensor dout = random_tensor({200, sh.q_heads, sh.value_dim}, DType::f64, 610);
  ForwardResult fwd = run_forward(in, seqs, scale);
  Gradients g = run_backward(in, fwd, dout, seqs, scale);

  NaiveAttention naive(in, seqs, scale);
  std::vector<double> ref_out, ref_lse, ref_dq, ref_dk, ref_dv;
  naive.forward(ref_out, ref_lse);
  naive.backward(to_f64_vector(dout), ref_dq, ref_dk, ref_dv);
  BOOST_TEST(rel_error(to_f64_vector(fwd.out), ref_out) < 1e-12);
  BOOST_TEST(rel_error(to_f64_vector(fwd.lse), ref_lse) < 1e-12);
  BOOST_TEST(rel_error(to_f64_vector(g.dq), ref_dq) < 1e-11);
  BOOST_TEST(rel_error(to_f64_vector(g.dk), ref_dk) < 1e-11);
  BOOST_TEST(rel_error(to_f64_vector(g.dv), ref_dv) < 1e-11);
}

BOOST_AUTO_TEST_CASE(rejects_bad_shapes_and_offsets) {
  const HeadShape sh = {"GQA 4/2", 4, 2, 8, 8};
  AttentionInputs in = random_inputs(sh, 9, DType::f64, 700);
  Tensor out = Tensor::empty({9, 4, 8}, DType::f64), lse = Tensor::empty({9, 4}, DType::f64);
  auto forward = [&](const ops::SeqOffsets& seqs) { ops::attention_forward(in.q, in.k, in.v, seqs, 1.0, out, lse); };
  BOOST_CHECK_NO_THROW(forward({0, 4, 9}));
  BOOST_CHECK_THROW(forward({}), Error);
  BOOST_CHECK_THROW(forward({1, 4, 9}), Error);     // does not start at 0
  BOOST_CHECK_THROW(forward({0, 5, 4, 9}), Error);  // not monotonic
  BOOST_CHECK_THROW(forward({0, 4, 8}), Error);     // does not cover all 9 rows
  BOOST_CHECK_THROW(forward({0, 4, 10}), Error);    // covers more rows than there are

  Tensor q3 = random_tensor({9, 3, 8}, DType::f64, 701);  // 3 query heads over 2 kv heads
  Tensor out3 = Tensor::empty({9, 3, 8}, DType::f64), lse3 = Tensor::empty({9, 3}, DType::f64);
  BOOST_CHECK_THROW(ops::attention_forward(q3, in.k, in.v, {0, 9}, 1.0, out3, lse3), Error);
  Tensor k_wide = random_tensor({9, 2, 12}, DType::f64, 702);  // Dk differs from q's
  BOOST_CHECK_THROW(ops::attention_forward(in.q, k_wide, in.v, {0, 9}, 1.0, out, lse), Error);
  Tensor v_short = random_tensor({9, 1, 8}, DType::f64, 703);  // fewer kv heads than k
  BOOST_CHECK_THROW(ops::attention_forward(in.q, in.k, v_short, {0, 9}, 1.0, out, lse), Error);
  Tensor out_bad = Tensor::empty({9, 4, 6}, DType::f64), lse_bad = Tensor::empty({9, 2}, DType::f64);
  BOOST_CHECK_THROW(ops::attention_forward(in.q, in.k, in.v, {0, 9}, 1.0, out_bad, lse), Error);
  BOOST_CHECK_THROW(ops::attention_forward(in.q, in.k, in.v, {0, 9}, 1.0, out, lse_bad), Error);
  Tensor out_f32 = Tensor::empty({9, 4, 8}, DType::f32);
  BOOST_CHECK_THROW(ops::attention_forward(in.q, in.k, in.v, {0, 9}, 1.0, out_f32, lse), Error);

  ops::attention_forward(in.q, in.k, in.v, {0, 9}, 1.0, out, lse);
  Tensor dq = Tensor::empty({9, 4, 8}, DType::f64), dk = Tensor::empty({9, 2, 8}, DType::f64);
  Tensor dv = Tensor::empty({9, 2, 8}, DType::f64), dk_bad = Tensor::empty({9, 4, 8}, DType::f64);
  BOOST_CHECK_NO_THROW(ops::attention_backward(in.q, in.k, in.v, out, lse, out, {0, 9}, 1.0, dq, dk, dv));
  BOOST_CHECK_THROW(ops::attention_backward(in.q, in.k, in.v, out, lse, out, {0, 9}, 1.0, dq, dk_bad, dv), Error);
  BOOST_CHECK_THROW(ops::attention_backward(in.q, in.k, in.v, out, lse, out, {0, 3, 2, 9}, 1.0, dq, dk, dv), Error);
}

BOOST_AUTO_TEST_SUITE_END()
