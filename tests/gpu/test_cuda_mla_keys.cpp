// CUDA MLA key assembly against the float64 host version: k = [k_nope per head, shared k_rope] and
// its backward (dk_nope slices, dk_rope summed over heads in order), f32 and bf16, including the
// DeepSeek-V3 widths (nope 128, rope 64) and a zero-width nope part.
#include <tuple>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

BOOST_FIXTURE_TEST_SUITE(test_cuda_mla_keys, CudaFixture)

BOOST_AUTO_TEST_CASE(assemble_and_backward_match_float64) {
  for (auto [tokens, heads, nope, rope] : {std::tuple{1, 1, 3, 2}, {37, 16, 128, 64}, {300, 4, 0, 64}, {9, 5, 7, 1}})
    for (DType dt : {DType::f32, DType::bf16}) {
      const std::string label = "tokens=" + std::to_string(tokens) + " heads=" + std::to_string(heads) + " nope=" +
                                std::to_string(nope) + " " + dtype_name(dt);
      Tensor k_nope = host_random({tokens, heads, nope}, dt, 80), k_rope = host_random({tokens, rope}, dt, 81);
      Tensor k_ref = Tensor::empty({tokens, heads, nope + rope}, DType::f64);
      ops::mla_assemble_keys(as_f64(k_nope), as_f64(k_rope), k_ref);
      Tensor k = poisoned({tokens, heads, nope + rope}, dt);
      ops::mla_assemble_keys(to_device(k_nope), to_device(k_rope), k);
      expect_close(k, k_ref, 1e-12, "mla_assemble_keys " + label);

      Tensor dk = host_random({tokens, heads, nope + rope}, dt, 82);
      Tensor dn_ref = Tensor::empty({tokens, heads, nope}, DType::f64), dr_ref = Tensor::empty({tokens, rope}, DType::f64);
      ops::mla_assemble_keys_backward(as_f64(dk), dn_ref, dr_ref);
      Tensor dn = poisoned({tokens, heads, nope}, dt), dr = poisoned({tokens, rope}, dt);
      ops::mla_assemble_keys_backward(to_device(dk), dn, dr);
      expect_close(dn, dn_ref, 1e-12, "mla dk_nope " + label);
      expect_close(dr, dr_ref, tolerance(dt), "mla dk_rope " + label);
    }
}

BOOST_AUTO_TEST_SUITE_END()
