// CUDA token embedding against the float64 host version: the row gather (ids on the host or on the
// device, f32/bf16 tables) and the accumulating scatter-add backward with many repeated ids (f32
// gradient table from f32 or bf16 upstream gradients), bitwise reproducible.
#include <tuple>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

BOOST_FIXTURE_TEST_SUITE(test_cuda_embedding, CudaFixture)

BOOST_AUTO_TEST_CASE(forward_gathers_rows) {
  for (auto [n, vocab, d] : {std::tuple{1, 3, 5}, {37, 11, 64}, {2048, 151936, 96}})
    for (DType dt : {DType::f32, DType::bf16}) {
      Tensor ids = random_ints({n}, 0, vocab, 40);
      Tensor table = host_random({vocab, d}, dt, 41);
      Tensor ref = Tensor::empty({n, d}, DType::f64);
      ops::embedding_forward(ids, as_f64(table), ref);
      for (bool ids_on_device : {false, true}) {
        Tensor out = poisoned({n, d}, dt);
        ops::embedding_forward(ids_on_device ? to_device(ids) : ids, to_device(table), out);
        expect_close(out, ref, 1e-12, "embedding_forward vocab=" + std::to_string(vocab));
      }
    }
}

BOOST_AUTO_TEST_CASE(backward_accumulates_repeated_ids_deterministically) {
  for (auto [n, vocab, d] : {std::tuple{1, 3, 5}, {500, 7, 33}, {4096, 151936, 64}, {3000, 50, 1536}})
    for (DType g_t : {DType::f32, DType::bf16}) {
      Tensor ids = random_ints({n}, 0, vocab, 50);
      Tensor dout = host_random({n, d}, g_t, 51);
      Tensor dtable0 = host_random({vocab, d}, DType::f32, 52, 0.1);
      Tensor ref = as_f64(dtable0);
      ops::embedding_backward(ids, as_f64(dout), ref);
      Tensor dtable = to_device(dtable0), again = to_device(dtable0);
      ops::embedding_backward(to_device(ids), to_device(dout), dtable);
      ops::embedding_backward(ids, to_device(dout), again);
      expect_close(dtable, ref, 1e-5, "embedding_backward n=" + std::to_string(n) + " vocab=" + std::to_string(vocab));
      BOOST_TEST(same_bits(dtable, again), "embedding_backward is reproducible (ids on host or device)");
    }
}

BOOST_AUTO_TEST_SUITE_END()
