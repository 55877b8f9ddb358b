// CUDA MoE token permutation against the host version: the routing layout built from device topk_idx
// equals the host's exactly (including experts nobody chose); gather, scatter (both modes) and their
// backwards match float64 for f32 and bf16 activations with f32 weights; results are reproducible.
#include <tuple>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

namespace {
// Distinct experts per token (as the router produces), drawn from [0, experts).
Tensor distinct_choices(int64_t tokens, int64_t top_k, int64_t experts, uint64_t seed) {
  Tensor raw = random_ints({tokens, top_k}, 0, experts, seed);
  int32_t* p = raw.data<int32_t>();
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < top_k; ++k) p[t * top_k + k] = int32_t((p[t * top_k] + k * 7) % experts);
  return raw;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_cuda_moe_permute, CudaFixture)

BOOST_AUTO_TEST_CASE(routing_gather_scatter_match_host) {
  // Widths 1536, 16 and 1024 in bf16 take the 16-byte row kernels; 4099 tokens x 6 spread the routing
  // build over 25 chunks of 1024 choices, the last one partial.
  for (auto [tokens, top_k, experts, d] :
       {std::tuple{1, 1, 1, 3}, {37, 2, 8, 65}, {1024, 8, 64, 1536}, {50, 3, 200, 16}, {4099, 6, 64, 1024}})
    for (DType dt : {DType::f32, DType::bf16}) {
      const std::string label = "tokens=" + std::to_string(tokens) + " K=" + std::to_string(top_k) + " E=" +
                                std::to_string(experts) + " " + dtype_name(dt);
      Tensor idx = distinct_choices(tokens, top_k, experts, 95);
      ops::MoeRouting host_routing, routing;
      ops::moe_build_routing(idx, experts, host_routing);
      ops::moe_build_routing(to_device(idx), experts, routing);
      BOOST_TEST((routing.expert_offsets == host_routing.expert_offsets), "expert offsets " << label);
      BOOST_TEST((int32_values(routing.row_token) == int32_values(host_routing.row_token)), "row_token " << label);
      BOOST_TEST((int32_values(routing.slot_row) == int32_values(host_routing.slot_row)), "slot_row " << label);
      const int64_t rows = tokens * top_k;

      Tensor x = host_random({tokens, d}, dt, 96);
      Tensor xp_ref = Tensor::empty({rows, d}, DType::f64);
      ops::moe_gather(as_f64(x), host_routing, xp_ref);
      Tensor xp = poisoned({rows, d}, dt);
      ops::moe_gather(to_device(x), routing, xp);
      expect_close(xp, xp_ref, 1e-12, "moe_gather " + label);

      Tensor dxp = host_random({rows, d}, dt, 97);
      Tensor dx_ref = Tensor::empty({tokens, d}, DType::f64);
      ops::moe_gather_backward(as_f64(dxp), host_routing, dx_ref);
      Tensor dx = poisoned({tokens, d}, dt);
      ops::moe_gather_backward(to_device(dxp), routing, dx);
      expect_close(dx, dx_ref, tolerance(dt), "moe_gather_backward " + label);

      Tensor yp = host_random({rows, d}, dt, 98), weight = random_tensor({tokens, top_k}, DType::f32, 99);
      for (bool accumulate : {false, true}) {
        Tensor y0 = host_random({tokens, d}, dt, 100);
        Tensor y_ref = as_f64(y0);
        const ops::Accumulate acc = accumulate ? ops::Accumulate::yes : ops::Accumulate::no;
        ops::moe_scatter(as_f64(yp), as_f64(weight), host_routing, y_ref, acc);
        Tensor y = accumulate ? to_device(y0) : poisoned({tokens, d}, dt);
        ops::moe_scatter(to_device(yp), to_device(weight), routing, y, acc);
        expect_close(y, y_ref, tolerance(dt), std::string("moe_scatter ") + (accumulate ? "acc " : "") + label);
      }

      Tensor dy = host_random({tokens, d}, dt, 101);
      Tensor dyp_ref = Tensor::empty({rows, d}, DType::f64), dw_ref = Tensor::empty({tokens, top_k}, DType::f64);
      ops::moe_scatter_backward(as_f64(dy), as_f64(yp), as_f64(weight), host_routing, dyp_ref, dw_ref);
      Tensor dyp = poisoned({rows, d}, dt), dw = poisoned({tokens, top_k}, DType::f32);
      ops::moe_scatter_backward(to_device(dy), to_device(yp), to_device(weight), routing, dyp, dw);
      expect_close(dyp, dyp_ref, tolerance(dt), "moe_scatter_backward dyp " + label);
      expect_close(dw, dw_ref, 1e-5, "moe_scatter_backward dweight " + label);
      Tensor dyp2 = poisoned({rows, d}, dt), dw2 = poisoned({tokens, top_k}, DType::f32);
      ops::moe_scatter_backward(to_device(dy), to_device(yp), to_device(weight), routing, dyp2, dw2);
      BOOST_TEST((same_bits(dyp, dyp2) && same_bits(dw, dw2)), "moe_scatter_backward is reproducible " << label);
    }
}

BOOST_AUTO_TEST_CASE(routing_rejects_bad_expert_indices_naming_the_choice) {
  for (int32_t bad : {-1, 8}) {
    Tensor idx = distinct_choices(3000, 2, 8, 7);
    idx.data<int32_t>()[2 * 2017 + 1] = bad;
    ops::MoeRouting routing;
    try {
      ops::moe_build_routing(to_device(idx), 8, routing);
      BOOST_ERROR("expert index " << bad << " was accepted");
    } catch (const Error& e) {
      BOOST_TEST(std::string(e.what()).find("topk_idx[2017, 1] = " + std::to_string(bad)) != std::string::npos,
                 e.what());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
