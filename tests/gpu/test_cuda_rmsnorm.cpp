// CUDA RMSNorm against the float64 host version: forward (y, f32 rstd) and backward (dx overwritten,
// f32 dw accumulated) for f32 and bf16 activations with f32 or bf16 weights, odd and model widths
// (hidden 1536), and bitwise determinism of the weight gradient; the residual add fused with the
// forward, bit for bit the add and the norm in sequence.
#include <tuple>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

BOOST_FIXTURE_TEST_SUITE(test_cuda_rmsnorm, CudaFixture)

BOOST_AUTO_TEST_CASE(forward_and_backward_match_float64) {
  const double eps = 1e-6;
  // All-bf16 rows up to 2048 wide take the fused backward (1, 2, 4 and 8 pieces per lane; 1000 and
  // 1100 rows end inside a 64-row block); 2056 is the widest fallback case.
  for (auto [rows, d] : {std::tuple{1, 8}, {3, 37}, {257, 1536}, {1100, 128}, {1000, 384}, {130, 2048}, {70, 2056}})
    for (DType act : {DType::f32, DType::bf16})
      for (DType wt : {DType::f32, DType::bf16}) {
        const std::string label = "rows=" + std::to_string(rows) + " d=" + std::to_string(d) + " x " +
                                  dtype_name(act) + " w " + dtype_name(wt);
        Tensor x = host_random({rows, d}, act, 60), w = host_random({d}, wt, 61);
        Tensor dy = host_random({rows, d}, act, 62), dw0 = host_random({d}, DType::f32, 63);
        // float64 reference
        Tensor y_ref = Tensor::empty({rows, d}, DType::f64), rstd_ref = Tensor::empty({rows}, DType::f64);
        ops::rmsnorm_forward(as_f64(x), as_f64(w), eps, y_ref, rstd_ref);
        Tensor dx_ref = Tensor::empty({rows, d}, DType::f64), dw_ref = as_f64(dw0);
        ops::rmsnorm_backward(as_f64(dy), as_f64(x), as_f64(w), rstd_ref, dx_ref, dw_ref);
        // GPU
        Tensor y = poisoned({rows, d}, act), rstd = poisoned({rows}, DType::f32);
        ops::rmsnorm_forward(to_device(x), to_device(w), eps, y, rstd);
        expect_close(y, y_ref, tolerance(act == DType::bf16 || wt == DType::bf16 ? DType::bf16 : DType::f32),
                     "rmsnorm y " + label);
        expect_close(rstd, rstd_ref, 1e-5, "rmsnorm rstd " + label);
        Tensor dx = poisoned({rows, d}, act), dw = to_device(dw0);
        ops::rmsnorm_backward(to_device(dy), to_device(x), to_device(w), rstd, dx, dw);
        expect_close(dx, dx_ref, tolerance(act == DType::bf16 || wt == DType::bf16 ? DType::bf16 : DType::f32),
                     "rmsnorm dx " + label);
        expect_close(dw, dw_ref, 1e-4, "rmsnorm dw " + label);
        Tensor dx2 = poisoned({rows, d}, act), dw2 = to_device(dw0);
        ops::rmsnorm_backward(to_device(dy), to_device(x), to_device(w), rstd, dx2, dw2);
        BOOST_TEST(same_bits(dw, dw2), "rmsnorm dw is reproducible " << label);
        BOOST_TEST(same_bits(dx, dx2), "rmsnorm dx is reproducible " << label);
      }
}

BOOST_AUTO_TEST_CASE(backward_dx_may_alias_dy) {
  for (auto [dt, d] : {std::tuple{DType::f32, 96}, {DType::bf16, 1536}}) {  // the generic and the fused kernels
    Tensor x = host_random({64, d}, dt, 64), w = host_random({d}, dt, 65);
    Tensor dy = host_random({64, d}, dt, 66);
    Tensor rstd = Tensor::empty({64}, DType::f32, Device::cuda), y = Tensor::empty({64, d}, dt, Device::cuda);
    ops::rmsnorm_forward(to_device(x), to_device(w), 1e-5, y, rstd);
    Tensor dx = poisoned({64, d}, dt), dw = Tensor::zeros({d}, DType::f32, Device::cuda);
    ops::rmsnorm_backward(to_device(dy), to_device(x), to_device(w), rstd, dx, dw);
    Tensor in_place = to_device(dy), dw_alias = Tensor::zeros({d}, DType::f32, Device::cuda);
    ops::rmsnorm_backward(in_place, to_device(x), to_device(w), rstd, in_place, dw_alias);
    BOOST_TEST(same_bits(in_place, dx), dtype_name(dt));
    BOOST_TEST(same_bits(dw_alias, dw), dtype_name(dt));
  }
}

BOOST_AUTO_TEST_CASE(fused_add_matches_add_then_norm) {
  // add_rmsnorm_forward against add followed by rmsnorm_forward on the GPU (bitwise: the fused bf16
  // kernel and the fallbacks) and against the float64 host ops; the sum may overwrite y.
  const double eps = 1e-6;
  for (auto [rows, d] : {std::tuple{1, 8}, {3, 37}, {64, 1536}, {300, 1024}})
    for (DType dt : {DType::bf16, DType::f32})
      for (bool into_y : {false, true}) {
        const std::string label = "rows=" + std::to_string(rows) + " d=" + std::to_string(d) + " " + dtype_name(dt) +
                                  (into_y ? " sum into y" : "");
        Tensor x = host_random({rows, d}, dt, 70), y = host_random({rows, d}, dt, 71), w = host_random({d}, dt, 72);
        Tensor sum_ref = Tensor::empty({rows, d}, DType::f64), y_ref = Tensor::empty({rows, d}, DType::f64);
        Tensor rstd_ref = Tensor::empty({rows}, DType::f64);
        ops::add_rmsnorm_forward(as_f64(x), as_f64(y), as_f64(w), eps, sum_ref, y_ref, rstd_ref);
        const Tensor dx = to_device(x), dw = to_device(w);
        Tensor plain_sum = poisoned({rows, d}, dt), plain_y = poisoned({rows, d}, dt);
        Tensor plain_rstd = poisoned({rows}, DType::f32);
        ops::add(dx, to_device(y), plain_sum);
        ops::rmsnorm_forward(plain_sum, dw, eps, plain_y, plain_rstd);
        Tensor dy = to_device(y);
        Tensor sum = into_y ? dy : poisoned({rows, d}, dt), normed = poisoned({rows, d}, dt);
        Tensor rstd = poisoned({rows}, DType::f32);
        ops::add_rmsnorm_forward(dx, dy, dw, eps, sum, normed, rstd);
        BOOST_TEST(same_bits(sum, plain_sum), "sum " << label);
        BOOST_TEST(same_bits(normed, plain_y), "normed " << label);
        BOOST_TEST(same_bits(rstd, plain_rstd), "rstd " << label);
        expect_close(normed, y_ref, tolerance(dt), "add_rmsnorm " + label);
      }
}

BOOST_AUTO_TEST_SUITE_END()
