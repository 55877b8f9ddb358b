// CUDA token sampling against the host version on the same logits and uniforms: greedy (first
// maximum, ties to the lower id), temperature, top-k, top-p and their combination, inputs full of
// exact ties, the Qwen2 vocabulary, logit spreads from flat to peaked with masked tokens (the
// histogram path without top-k), uniforms and tokens on the host or the device.
#include <cmath>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

namespace {

ops::SamplingParams sampling(double temperature, int64_t top_k, double top_p) {
  ops::SamplingParams p;
  p.temperature = temperature;
  p.top_k = top_k;
  p.top_p = top_p;
  return p;
}

std::vector<double> uniforms(int64_t rows, uint64_t seed) {
  Tensor u = random_tensor({rows}, DType::f64, seed);
  std::vector<double> out;
  for (int64_t r = 0; r < rows; ++r) out.push_back(0.5 * (1.0 + std::erf(u.data<double>()[r] / std::sqrt(2.0))));  // (0, 1)
  return out;
}

void check_sampling(const Tensor& logits, const ops::SamplingParams& p, uint64_t seed, const std::string& label) {
  const int64_t rows = logits.rows();
  const std::vector<double> u = uniforms(rows, seed);
  const Tensor host_u = Tensor::from_vector(u), device_u = to_device(host_u);
  Tensor ref = Tensor::empty({rows}, DType::i32);
  ops::sample_tokens(logits, p, host_u, ref);
  const Tensor d_logits = to_device(logits);
  Tensor host_tokens = Tensor::empty({rows}, DType::i32);
  ops::sample_tokens(d_logits, p, host_u, host_tokens);
  Tensor device_tokens = poisoned({rows}, DType::i32);
  ops::sample_tokens(d_logits, p, device_u, device_tokens);
  BOOST_TEST(same_bits(host_tokens, ref), "sample_tokens " << label << " (tokens on host) differs from the host draw");
  BOOST_TEST(same_bits(device_tokens, ref), "sample_tokens " << label << " (uniforms and tokens on device) differs from the host draw");
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_cuda_sampling, CudaFixture)

BOOST_AUTO_TEST_CASE(matches_host_draws) {
  const ops::SamplingParams params[] = {sampling(0.0, 0, 1.0), sampling(0.7, 0, 1.0), sampling(1.0, 50, 1.0),
                                        sampling(1.3, 0, 0.9), sampling(0.8, 100, 0.95), sampling(1.0, 1, 1.0),
                                        sampling(2.0, 5000, 0.5)};
  uint64_t seed = 170;
  for (const ops::SamplingParams& p : params) {
    const std::string label = "T=" + std::to_string(p.temperature) + " k=" + std::to_string(p.top_k) +
                              " p=" + std::to_string(p.top_p);
    seed += 10;
    check_sampling(random_tensor({64, 1000}, DType::f32, seed, 3.0), p, seed + 1, label + " V=1000");
    Tensor ties = random_tensor({40, 300}, DType::f32, seed + 2, 2.0);
    for (int64_t i = 0; i < ties.numel(); ++i) ties.data<float>()[i] = std::round(ties.data<float>()[i]);
    check_sampling(ties, p, seed + 3, label + " with ties");
    check_sampling(random_tensor({4, 151936}, DType::f32, seed + 4, 2.0), p, seed + 5, label + " V=151936");
  }
}

BOOST_AUTO_TEST_CASE(nucleus_draws_match_host_across_spreads) {
  // Without top-k the GPU sorts only the tokens of the histogram bins near the nucleus and draw
  // thresholds: spreads from nearly flat (the whole row in one bin) to peaked (a handful of tokens),
  // masked (-inf) tokens, and the batch-64 decoding shape of the benchmark.
  uint64_t seed = 400;
  for (double spread : {1e-4, 0.3, 1.3, 8.0, 40.0})
    for (const ops::SamplingParams& p : {sampling(0.6, 0, 0.95), sampling(1.0, 0, 1.0), sampling(0.3, 0, 0.5)}) {
      seed += 10;
      const std::string label = "spread " + std::to_string(spread) + " T=" + std::to_string(p.temperature) +
                                " p=" + std::to_string(p.top_p);
      Tensor logits = random_tensor({16, 5000}, DType::f32, seed, spread);
      for (int64_t i = 0; i < logits.numel(); i += 7) logits.data<float>()[i] = -INFINITY;
      check_sampling(logits, p, seed + 1, label + " V=5000 masked");
    }
  check_sampling(random_tensor({64, 151936}, DType::f32, 470, 1.3), sampling(0.6, 0, 0.95), 471, "decoding shape");
}

BOOST_AUTO_TEST_SUITE_END()
