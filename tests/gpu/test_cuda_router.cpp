// CUDA MoE router against the host version: the forward's expert choice must equal the host's f32
// choice exactly (group-limited top-k, sigmoid and softmax scoring, the DeepSeek-V3 shape, and inputs
// full of exact ties, where lower indices must win), scores and weights must match; the backward and
// the sequence balance loss (value and accumulated gradient) match float64 on the same scores and
// choices; everything bitwise reproducible.
#include <cmath>
#include <string>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

namespace {

struct RouterCase {
  std::string name;
  int64_t tokens, experts;
  ops::RouterParams params;
  bool with_bias;
  bool ties;  // logits quantised to a few values, bias zero: exact ties everywhere
};

ops::RouterParams router_params(int64_t top_k, int64_t n_group, int64_t topk_group, bool norm, double scaling,
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

std::vector<RouterCase> cases() {
  using S = ops::RouterScoring;
  return {
      {"sigmoid grouped", 1000, 64, router_params(6, 8, 4, true, 1.0, S::sigmoid), true, false},
      {"softmax ungrouped", 333, 16, router_params(2, 1, 1, false, 2.5, S::softmax), false, false},
      {"deepseek-v3", 257, 256, router_params(8, 8, 4, true, 2.5, S::sigmoid), true, false},
      {"ties sigmoid", 500, 32, router_params(4, 4, 2, true, 1.0, S::sigmoid), true, true},
      {"ties softmax", 500, 12, router_params(3, 1, 1, true, 1.0, S::softmax), false, true},
      {"one token", 1, 8, router_params(1, 2, 1, true, 1.0, S::sigmoid), true, false},
  };
}

Tensor make_logits(const RouterCase& c, uint64_t seed) {
  Tensor logits = random_tensor({c.tokens, c.experts}, DType::f32, seed);
  if (c.ties)
    for (int64_t i = 0; i < logits.numel(); ++i) logits.data<float>()[i] = std::round(logits.data<float>()[i] * 2.0f) / 2.0f;
  return logits;
}

Tensor make_bias(const RouterCase& c, uint64_t seed) {
  if (!c.with_bias) return Tensor();
  if (c.ties) return Tensor::zeros({c.experts}, DType::f32);
  return random_tensor({c.experts}, DType::f32, seed, 0.1);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_cuda_router, CudaFixture)

BOOST_AUTO_TEST_CASE(forward_choice_equals_host) {
  uint64_t seed = 1000;
  for (const RouterCase& c : cases()) {
    const int64_t k = c.params.top_k;
    Tensor logits = make_logits(c, seed++), bias = make_bias(c, seed++);
    Tensor scores_ref = Tensor::empty({c.tokens, c.experts}, DType::f32);
    Tensor idx_ref = Tensor::empty({c.tokens, k}, DType::i32), w_ref = Tensor::empty({c.tokens, k}, DType::f32);
    ops::router_forward(logits, bias, c.params, scores_ref, idx_ref, w_ref);

    Tensor scores = poisoned({c.tokens, c.experts}, DType::f32);
    Tensor idx = poisoned({c.tokens, k}, DType::i32), w = poisoned({c.tokens, k}, DType::f32);
    ops::router_forward(to_device(logits), bias.defined() ? to_device(bias) : Tensor(), c.params, scores, idx, w);
    BOOST_TEST(same_bits(idx, idx_ref), "router_forward " << c.name << ": expert choice differs from the host's");
    expect_close(scores, scores_ref, 1e-6, "router scores " + c.name);
    expect_close(w, w_ref, 1e-6, "router weights " + c.name);

    Tensor scores2 = poisoned({c.tokens, c.experts}, DType::f32);
    Tensor idx2 = poisoned({c.tokens, k}, DType::i32), w2 = poisoned({c.tokens, k}, DType::f32);
    ops::router_forward(to_device(logits), bias.defined() ? to_device(bias) : Tensor(), c.params, scores2, idx2, w2);
    BOOST_TEST((same_bits(scores, scores2) && same_bits(idx, idx2) && same_bits(w, w2)),
               "router_forward is reproducible " << c.name);
  }
}

BOOST_AUTO_TEST_CASE(backward_matches_float64) {
  uint64_t seed = 2000;
  for (const RouterCase& c : cases()) {
    const int64_t k = c.params.top_k;
    Tensor logits = make_logits(c, seed++), bias = make_bias(c, seed++);
    Tensor scores = Tensor::empty({c.tokens, c.experts}, DType::f32, Device::cuda);
    Tensor idx = Tensor::empty({c.tokens, k}, DType::i32, Device::cuda);
    Tensor w = Tensor::empty({c.tokens, k}, DType::f32, Device::cuda);
    ops::router_forward(to_device(logits), bias.defined() ? to_device(bias) : Tensor(), c.params, scores, idx, w);
    Tensor dweight = random_tensor({c.tokens, k}, DType::f32, seed++);

    Tensor dl_ref = Tensor::empty({c.tokens, c.experts}, DType::f64);
    ops::router_backward(as_f64(scores), to_host(idx), as_f64(dweight), c.params, dl_ref);
    Tensor dl = poisoned({c.tokens, c.experts}, DType::f32);
    ops::router_backward(scores, idx, to_device(dweight), c.params, dl);
    expect_close(dl, dl_ref, 1e-5, "router_backward " + c.name);
    Tensor dl2 = poisoned({c.tokens, c.experts}, DType::f32);
    ops::router_backward(scores, idx, to_device(dweight), c.params, dl2);
    BOOST_TEST(same_bits(dl, dl2), "router_backward is reproducible " << c.name);
  }
}

BOOST_AUTO_TEST_CASE(sequence_aux_loss_matches_float64) {
  uint64_t seed = 3000;
  const ops::SeqOffsets seqs = {0, 10, 10, 300, 1000};  // includes an empty sequence
  for (const RouterCase& c : cases()) {
    if (c.tokens != 1000) continue;
    for (auto scoring : {ops::RouterScoring::sigmoid, ops::RouterScoring::softmax}) {
      ops::RouterParams p = c.params;
      p.scoring = scoring;
      const int64_t k = p.top_k;
      Tensor logits = make_logits(c, seed++), bias = make_bias(c, seed++);
      Tensor scores = Tensor::empty({c.tokens, c.experts}, DType::f32, Device::cuda);
      Tensor idx = Tensor::empty({c.tokens, k}, DType::i32, Device::cuda);
      Tensor w = Tensor::empty({c.tokens, k}, DType::f32, Device::cuda);
      ops::router_forward(to_device(logits), bias.defined() ? to_device(bias) : Tensor(), p, scores, idx, w);
      Tensor dl0 = random_tensor({c.tokens, c.experts}, DType::f32, seed++, 1e-3);

      Tensor dl_ref = as_f64(dl0);
      const double loss_ref = ops::router_seq_aux_loss(as_f64(scores), to_host(idx), seqs, 1e-3, p, 0.7, dl_ref);
      Tensor dl = to_device(dl0);
      const double loss = ops::router_seq_aux_loss(scores, idx, seqs, 1e-3, p, 0.7, dl);
      BOOST_TEST(std::fabs(loss - loss_ref) <= 1e-10 * std::fabs(loss_ref), "aux loss " << loss << " vs " << loss_ref);
      expect_close(dl, dl_ref, 1e-5, "aux loss dlogits " + c.name);
      Tensor dl2 = to_device(dl0);
      const double loss2 = ops::router_seq_aux_loss(scores, idx, seqs, 1e-3, p, 0.7, dl2);
      BOOST_TEST(loss2 == loss, "aux loss is reproducible");
      BOOST_TEST(same_bits(dl, dl2), "aux loss gradient is reproducible");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
