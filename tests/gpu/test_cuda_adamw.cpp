// CUDA AdamW step against the float64 host version over a flat f32 buffer: several segments in
// arbitrary order with and without weight decay, gaps between them left bit-for-bit untouched,
// several steps (bias correction), and reproducible bits; the clipping scale and the bf16 compute
// copy fused into the step give the bits of the separate ops.
#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

BOOST_FIXTURE_TEST_SUITE(test_cuda_adamw, CudaFixture)

BOOST_AUTO_TEST_CASE(matches_float64_and_leaves_gaps_alone) {
  const int64_t numel = 3 * 1536 * 1536 + 1001;
  // Unsorted, with gaps [0, 10), [5000, 5100) and the tail, one empty segment.
  const std::vector<ops::ParamSegment> segments = {
      {5100, 1536 * 1536, true}, {10, 4990, false}, {5100 + 1536 * 1536, 2 * 1536 * 1536 - 5000, true}, {7, 0, true}};
  ops::AdamWParams p;
  p.lr = 3e-4;
  p.weight_decay = 0.1;
  Tensor params0 = random_tensor({numel}, DType::f32, 120);
  Tensor m0 = random_tensor({numel}, DType::f32, 121, 1e-3);
  Tensor v = random_tensor({numel}, DType::f32, 122, 1e-3);
  for (int64_t i = 0; i < numel; ++i) v.data<float>()[i] = v.data<float>()[i] * v.data<float>()[i];  // v >= 0
  Tensor p_ref = as_f64(params0), m_ref = as_f64(m0), v_ref = as_f64(v);
  Tensor dp = to_device(params0), dm = to_device(m0), dv = to_device(v);
  for (int64_t step = 1; step <= 3; ++step) {
    p.step = step;
    Tensor g = random_tensor({numel}, DType::f32, 130 + uint64_t(step));
    Tensor none;
    ops::adamw_step(p_ref, as_f64(g), m_ref, v_ref, segments, p, none);
    ops::adamw_step(dp, to_device(g), dm, dv, segments, p, none);
  }
  expect_close(dp, p_ref, 1e-5, "adamw params");
  expect_close(dm, m_ref, 1e-5, "adamw m");
  expect_close(dv, v_ref, 1e-5, "adamw v");
  // gaps untouched
  Tensor hp = to_host(dp);
  for (int64_t i : {int64_t(0), int64_t(9), int64_t(5000), int64_t(5099), numel - 1})
    BOOST_TEST(hp.data<float>()[i] == params0.data<float>()[i], "element " << i << " outside every segment changed");
}

BOOST_AUTO_TEST_CASE(reproducible) {
  const int64_t numel = 100003;
  const std::vector<ops::ParamSegment> segments = {{0, 50000, true}, {50000, 50003, false}};
  ops::AdamWParams p;
  p.weight_decay = 0.01;
  Tensor params0 = random_tensor({numel}, DType::f32, 140), g = random_tensor({numel}, DType::f32, 141);
  Tensor a = to_device(params0), b = to_device(params0);
  Tensor ma = Tensor::zeros({numel}, DType::f32, Device::cuda), mb = Tensor::zeros({numel}, DType::f32, Device::cuda);
  Tensor va = Tensor::zeros({numel}, DType::f32, Device::cuda), vb = Tensor::zeros({numel}, DType::f32, Device::cuda);
  Tensor none;
  ops::adamw_step(a, to_device(g), ma, va, segments, p, none);
  ops::adamw_step(b, to_device(g), mb, vb, segments, p, none);
  BOOST_TEST((same_bits(a, b) && same_bits(ma, mb) && same_bits(va, vb)));
}

BOOST_AUTO_TEST_CASE(fused_clip_scale_and_bf16_copy_match_the_separate_ops) {
  // grad_scale and the compute copy in the step: the same bits as ops::scale, the step, then
  // ops::convert to bf16 (over the segments; the copy outside them is left alone).
  const int64_t numel = 300011;
  // The first segment's elements line up with whole float4s (the vector path), the second's do not.
  const std::vector<ops::ParamSegment> segments = {{4, 100000, true}, {100007, 200000, false}};
  ops::AdamWParams p;
  p.lr = 1e-3;
  p.weight_decay = 0.1;
  p.step = 2;
  Tensor params0 = random_tensor({numel}, DType::f32, 150), g = random_tensor({numel}, DType::f32, 151);
  Tensor a = to_device(params0), b = to_device(params0);
  Tensor ma = Tensor::zeros({numel}, DType::f32, Device::cuda), mb = Tensor::zeros({numel}, DType::f32, Device::cuda);
  Tensor va = Tensor::zeros({numel}, DType::f32, Device::cuda), vb = Tensor::zeros({numel}, DType::f32, Device::cuda);
  Tensor wa = Tensor::zeros({numel}, DType::bf16, Device::cuda), wb = Tensor::zeros({numel}, DType::bf16, Device::cuda);
  p.grad_scale = 0.61;
  ops::adamw_step(a, to_device(g), ma, va, segments, p, wa);
  Tensor scaled = to_device(g), none;
  ops::scale(scaled, 0.61);
  p.grad_scale = 1.0;
  ops::adamw_step(b, scaled, mb, vb, segments, p, none);
  for (const ops::ParamSegment& s : segments) {
    Tensor w = wb.flat(s.offset, {s.size});
    ops::convert(b.flat(s.offset, {s.size}), w);
  }
  BOOST_TEST(same_bits(a, b));
  BOOST_TEST(same_bits(ma, mb));
  BOOST_TEST(same_bits(va, vb));
  BOOST_TEST(same_bits(wa, wb));
}

BOOST_AUTO_TEST_SUITE_END()
