// CUDA chunked LM head against the float64 host version: log p(target), lse and entropy (or no
// entropy), rows without a target, chunk sizes that do and do not divide the rows, the Qwen2 vocabulary
// (151936) with a few rows; the backward's dh (overwritten) and f32 dw (accumulated) for f32 and bf16
// operands; reproducible bits. The same for the saving forward (softmax - onehot rows) and the
// backward from those rows. token_logprobs (the rollout's log-probs of sampled tokens) against the
// float64 host and bit for bit against the LM head's log-probs for the same f32 logits.
#include <string>
#include <tuple>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

namespace {
// The accumulated part of a gradient (its start value would hide errors) against the reference's.
void expect_increment_close(const Tensor& got_total, const Tensor& ref_total, const Tensor& start_value, double tol,
                            const std::string& what) {
  auto got = to_f64_vector(got_total), ref = to_f64_vector(ref_total), start = to_f64_vector(start_value);
  for (size_t i = 0; i < got.size(); ++i) {
    got[i] -= start[i];
    ref[i] -= start[i];
  }
  BOOST_TEST(all_finite(got), what << ": finite");
  const double err = rel_error(got, ref);
  BOOST_TEST(err < tol, what << ": relative error " << err);
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_cuda_lm_head, CudaFixture)

BOOST_AUTO_TEST_CASE(forward_and_backward_match_float64) {
  for (auto [rows, dim, vocab, chunk] : {std::tuple{1, 8, 5, 1}, {7, 64, 1000, 3}, {40, 96, 3001, 64}, {3, 128, 151936, 2}})
    for (DType dt : {DType::f32, DType::bf16})
      for (bool with_entropy : {true, false}) {
        const std::string label = "rows=" + std::to_string(rows) + " V=" + std::to_string(vocab) + " chunk=" +
                                  std::to_string(chunk) + " " + dtype_name(dt);
        const double logit_scale = 0.8;
        Tensor h = host_random({rows, dim}, dt, 110), w = host_random({vocab, dim}, dt, 111, 0.3);
        Tensor targets = random_ints({rows}, 0, vocab, 112);
        if (rows > 2) targets.data<int32_t>()[1] = -1;  // a row without a target
        // float64 reference
        Tensor logp_ref = Tensor::empty({rows}, DType::f64), lse_ref = Tensor::empty({rows}, DType::f64);
        Tensor ent_ref = with_entropy ? Tensor::empty({rows}, DType::f64) : Tensor();
        ops::lm_head_forward(as_f64(h), as_f64(w), targets, logit_scale, chunk, logp_ref, lse_ref, ent_ref);
        // GPU
        Tensor logp = poisoned({rows}, DType::f32), lse = poisoned({rows}, DType::f32);
        Tensor ent = with_entropy ? poisoned({rows}, DType::f32) : Tensor();
        const Tensor dh_in = to_device(h), dw_in = to_device(w);
        ops::lm_head_forward(dh_in, dw_in, to_device(targets), logit_scale, chunk, logp, lse, ent);
        const double tol = tolerance(dt == DType::bf16 ? DType::bf16 : DType::f32);
        expect_close(logp, logp_ref, tol, "lm_head logp " + label);
        expect_close(lse, lse_ref, tol, "lm_head lse " + label);
        if (with_entropy) expect_close(ent, ent_ref, tol, "lm_head entropy " + label);
        if (!with_entropy) continue;

        Tensor dlogp = random_tensor({rows}, DType::f32, 113);
        Tensor dw0 = random_tensor({vocab, dim}, DType::f32, 114, 1e-6);
        Tensor dh_ref = Tensor::empty({rows, dim}, DType::f64), dw_ref = as_f64(dw0);
        ops::lm_head_backward(as_f64(h), as_f64(w), targets, lse_ref, as_f64(dlogp), logit_scale, chunk, dh_ref, dw_ref);
        Tensor dh = poisoned({rows, dim}, dt), dw = to_device(dw0);
        ops::lm_head_backward(dh_in, dw_in, targets, lse, to_device(dlogp), logit_scale, chunk, dh, dw);
        expect_close(dh, dh_ref, tol, "lm_head dh " + label);
        expect_increment_close(dw, dw_ref, dw0, tol, "lm_head dw increment " + label);

        Tensor dh2 = poisoned({rows, dim}, dt), dw2 = to_device(dw0);
        ops::lm_head_backward(dh_in, dw_in, targets, lse, to_device(dlogp), logit_scale, chunk, dh2, dw2);
        BOOST_TEST((same_bits(dh, dh2) && same_bits(dw, dw2)), "lm_head backward is reproducible " << label);
      }
}

// The saving forward's softmax - onehot rows and the backward from them against the float64 host
// (its saved rows, and dh / dw of the recomputing backward), and reproducible.
BOOST_AUTO_TEST_CASE(saved_rows_backward_matches_float64) {
  for (auto [rows, dim, vocab] : {std::tuple{1, 8, 5}, {40, 96, 3001}, {5, 128, 151936}})
    for (DType dt : {DType::f32, DType::bf16}) {
      const std::string label = "rows=" + std::to_string(rows) + " V=" + std::to_string(vocab) + " " + dtype_name(dt);
      const double logit_scale = 0.8;
      const int64_t chunk = 16;
      Tensor h = host_random({rows, dim}, dt, 120), w = host_random({vocab, dim}, dt, 121, 0.3);
      Tensor targets = random_ints({rows}, 0, vocab, 122);
      if (rows > 2) targets.data<int32_t>()[1] = -1;
      Tensor logp_ref = Tensor::empty({rows}, DType::f64), lse_ref = Tensor::empty({rows}, DType::f64), none;
      Tensor saved_ref = Tensor::empty({rows, vocab}, DType::f64);
      ops::lm_head_forward_saving(as_f64(h), as_f64(w), targets, logit_scale, chunk, logp_ref, lse_ref, none, saved_ref);
      Tensor dlogp = random_tensor({rows}, DType::f32, 123);
      Tensor dw0 = random_tensor({vocab, dim}, DType::f32, 124, 1e-6);
      Tensor dh_ref = Tensor::empty({rows, dim}, DType::f64), dw_ref = as_f64(dw0);
      ops::lm_head_backward(as_f64(h), as_f64(w), targets, lse_ref, as_f64(dlogp), logit_scale, chunk, dh_ref, dw_ref);

      const Tensor dh_in = to_device(h), dw_in = to_device(w), dtargets = to_device(targets), ddlogp = to_device(dlogp);
      auto run = [&](Tensor& logp, Tensor& lse, Tensor& saved, Tensor& dh, Tensor& dw) {
        logp = poisoned({rows}, DType::f32);
        lse = poisoned({rows}, DType::f32);
        saved = poisoned({rows, vocab}, dt);
        Tensor no_entropy;
        ops::lm_head_forward_saving(dh_in, dw_in, dtargets, logit_scale, chunk, logp, lse, no_entropy, saved);
        dh = poisoned({rows, dim}, dt);
        dw = to_device(dw0);
        ops::lm_head_backward_saved(dh_in, dw_in, saved, ddlogp, logit_scale, dh, dw);
      };
      Tensor logp, lse, saved, dh, dw;
      run(logp, lse, saved, dh, dw);
      const double tol = tolerance(dt == DType::bf16 ? DType::bf16 : DType::f32);
      expect_close(logp, logp_ref, tol, "lm_head saving logp " + label);
      expect_close(lse, lse_ref, tol, "lm_head saving lse " + label);
      expect_close(saved, saved_ref, tol, "lm_head saved softmax - onehot " + label);
      expect_close(dh, dh_ref, tol, "lm_head saved dh " + label);
      expect_increment_close(dw, dw_ref, dw0, tol, "lm_head saved dw increment " + label);

      Tensor logp2, lse2, saved2, dh2, dw2;
      run(logp2, lse2, saved2, dh2, dw2);
      BOOST_TEST((same_bits(saved, saved2) && same_bits(dh, dh2) && same_bits(dw, dw2)),
                 "lm_head saved path is reproducible " << label);
    }
}

BOOST_AUTO_TEST_CASE(token_logprobs_match_float64_and_the_heads_bits) {
  for (auto [rows, dim, vocab] : {std::tuple{1, 8, 5}, {7, 64, 1003}, {5, 128, 151936}})
    for (double scale : {1.0, 1.0 / 0.6}) {
      const std::string label = "rows=" + std::to_string(rows) + " V=" + std::to_string(vocab) + " scale=" +
                                std::to_string(scale);
      Tensor h = host_random({rows, dim}, DType::bf16, 120), w = host_random({vocab, dim}, DType::bf16, 121, 0.3);
      Tensor tokens = random_ints({rows}, 0, vocab, 122);
      // The logits as the sampler sees them (f32, unscaled), on the device and in float64.
      Tensor logits = Tensor::empty({rows, vocab}, DType::f32, Device::cuda);
      ops::gemm(to_device(h), ops::Trans::no, to_device(w), ops::Trans::yes, logits, 1.0, 0.0);
      Tensor logits_ref = as_f64(logits.to(Device::host));
      Tensor logp_ref = Tensor::empty({rows}, DType::f64);
      ops::token_logprobs(logits_ref, tokens, scale, logp_ref);
      for (bool device_tokens : {false, true}) {
        Tensor logp = poisoned({rows}, DType::f32);
        ops::token_logprobs(logits, device_tokens ? to_device(tokens) : tokens, scale, logp);
        expect_close(logp, logp_ref, tolerance(DType::f32), "token_logprobs " + label);
      }
      if (scale != 1.0) continue;
      // The head's log-probs from the same operands: equal bits when its GEMM gives the same logits.
      Tensor head_logp = poisoned({rows}, DType::f32), lse = poisoned({rows}, DType::f32), none;
      ops::lm_head_forward(to_device(h), to_device(w), to_device(tokens), 1.0, rows, head_logp, lse, none);
      Tensor logp = poisoned({rows}, DType::f32);
      ops::token_logprobs(logits, tokens, 1.0, logp);
      BOOST_TEST(same_bits(logp, head_logp), "token_logprobs and lm_head_forward agree bit for bit " << label);
    }
}

BOOST_AUTO_TEST_SUITE_END()
