// CUDA flash attention (forward and backward) against the float64 host version over packed
// variable-length causal sequences: MHA with odd head dims and an empty sequence, the benchmark's
// GQA shape (12 query heads of 128 over 2 kv heads), MLA's Dk 192 / Dv 128 and 96 / 64, 256-wide heads, a
// 1024-token sequence; f32 and bf16 inputs (lse f32); outputs fully written and bitwise reproducible.
#include <cmath>
#include <string>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

namespace {

struct AttentionCase {
  std::string name;
  ops::SeqOffsets seqs;
  int64_t q_heads, kv_heads, key_dim, value_dim;
};

void check_attention(const AttentionCase& c, DType dt, uint64_t seed) {
  const int64_t n = c.seqs.back();
  const double scale = 1.0 / std::sqrt(double(c.key_dim));
  const std::string label = c.name + " " + dtype_name(dt);
  Tensor q = host_random({n, c.q_heads, c.key_dim}, dt, seed);
  Tensor k = host_random({n, c.kv_heads, c.key_dim}, dt, seed + 1);
  Tensor v = host_random({n, c.kv_heads, c.value_dim}, dt, seed + 2);
  Tensor dout = host_random({n, c.q_heads, c.value_dim}, dt, seed + 3);

  // float64 reference
  Tensor out_ref = Tensor::empty({n, c.q_heads, c.value_dim}, DType::f64);
  Tensor lse_ref = Tensor::empty({n, c.q_heads}, DType::f64);
  ops::attention_forward(as_f64(q), as_f64(k), as_f64(v), c.seqs, scale, out_ref, lse_ref);
  Tensor dq_ref = Tensor::empty({n, c.q_heads, c.key_dim}, DType::f64);
  Tensor dk_ref = Tensor::empty({n, c.kv_heads, c.key_dim}, DType::f64);
  Tensor dv_ref = Tensor::empty({n, c.kv_heads, c.value_dim}, DType::f64);
  ops::attention_backward(as_f64(q), as_f64(k), as_f64(v), out_ref, lse_ref, as_f64(dout), c.seqs, scale, dq_ref,
                          dk_ref, dv_ref);

  const Tensor dq_in = to_device(q), dk_in = to_device(k), dv_in = to_device(v), ddout = to_device(dout);
  auto run = [&](Tensor& out, Tensor& lse, Tensor& dq, Tensor& dk, Tensor& dv) {
    out = poisoned({n, c.q_heads, c.value_dim}, dt);
    lse = poisoned({n, c.q_heads}, DType::f32);
    dq = poisoned({n, c.q_heads, c.key_dim}, dt);
    dk = poisoned({n, c.kv_heads, c.key_dim}, dt);
    dv = poisoned({n, c.kv_heads, c.value_dim}, dt);
    ops::attention_forward(dq_in, dk_in, dv_in, c.seqs, scale, out, lse);
    ops::attention_backward(dq_in, dk_in, dv_in, out, lse, ddout, c.seqs, scale, dq, dk, dv);
  };
  Tensor out, lse, dq, dk, dv;
  run(out, lse, dq, dk, dv);
  const double tol = tolerance(dt);
  expect_close(out, out_ref, tol, "attention out " + label);
  expect_close(lse, lse_ref, 1e-5, "attention lse " + label);
  expect_close(dq, dq_ref, tol, "attention dq " + label);
  expect_close(dk, dk_ref, tol, "attention dk " + label);
  expect_close(dv, dv_ref, tol, "attention dv " + label);

  Tensor out2, lse2, dq2, dk2, dv2;
  run(out2, lse2, dq2, dk2, dv2);
  BOOST_TEST(same_bits(out, out2), "attention out is reproducible " << label);
  BOOST_TEST(same_bits(lse, lse2), "attention lse is reproducible " << label);
  BOOST_TEST(same_bits(dq, dq2), "attention dq is reproducible " << label);
  BOOST_TEST(same_bits(dk, dk2), "attention dk is reproducible " << label);
  BOOST_TEST(same_bits(dv, dv2), "attention dv is reproducible " << label);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_cuda_attention, CudaFixture)

BOOST_AUTO_TEST_CASE(small_and_odd_shapes) {
  const AttentionCase cases[] = {
      {"single rows", {0, 1, 3}, 1, 1, 16, 16},
      {"odd dims, empty sequence", {0, 18, 83, 83, 150}, 2, 2, 40, 24},
      {"gqa 6/3 odd lengths", {0, 5, 70, 135, 136}, 6, 3, 32, 48},
      {"dims not a multiple of 8 (element-wise tile loads)", {0, 37, 70}, 3, 1, 20, 12},
  };
  uint64_t seed = 100;
  for (const AttentionCase& c : cases)
    for (DType dt : {DType::f32, DType::bf16}) check_attention(c, dt, seed += 10);
}

BOOST_AUTO_TEST_CASE(benchmark_gqa_shape) {
  check_attention({"gqa 12/2 x 128", {0, 300, 517}, 12, 2, 128, 128}, DType::bf16, 200);
  check_attention({"gqa 12/2 x 128", {0, 130, 161}, 12, 2, 128, 128}, DType::f32, 210);
}

BOOST_AUTO_TEST_CASE(mla_head_dims) {
  check_attention({"mla 192/128", {0, 129, 200}, 4, 4, 192, 128}, DType::bf16, 300);
  check_attention({"mla 192/128", {0, 64, 97}, 2, 2, 192, 128}, DType::f32, 310);
  check_attention({"mla 96/64 (MoE benchmark)", {0, 200, 331}, 16, 16, 96, 64}, DType::bf16, 320);
}

BOOST_AUTO_TEST_CASE(widest_heads) {
  check_attention({"256/256", {0, 70, 150}, 2, 1, 256, 256}, DType::bf16, 400);
  check_attention({"256/256", {0, 40, 81}, 2, 1, 256, 256}, DType::f32, 410);
  check_attention({"256/96", {0, 33}, 1, 1, 256, 96}, DType::bf16, 420);
}

BOOST_AUTO_TEST_CASE(long_sequence) {
  check_attention({"1024 tokens", {0, 1024}, 4, 2, 128, 128}, DType::bf16, 500);
}

BOOST_AUTO_TEST_SUITE_END()
