// CUDA runtime: the device is found, host <-> device copies are exact for every dtype and size,
// device zeroing, device-to-device clones and copies into views, and the caching allocator handing
// blocks out again without mixing up their contents.
#include <numeric>

#include "gpu/cuda_test_support.hpp"
#include "kernels/cuda/cuda_ops.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

BOOST_FIXTURE_TEST_SUITE(test_cuda_runtime, CudaFixture)

BOOST_AUTO_TEST_CASE(device_is_available) {
  BOOST_TEST(ops::cuda_compiled());
  BOOST_TEST(ops::cuda::available());
}

BOOST_AUTO_TEST_CASE(round_trips_are_exact) {
  for (int64_t n : {0, 1, 7, 1000, 1 << 20, (1 << 20) + 3}) {
    for (DType dt : {DType::f32, DType::bf16, DType::f64}) {
      Tensor h = random_tensor({n}, dt, 10 + uint64_t(n));
      Tensor d = to_device(h);
      BOOST_TEST((d.device() == Device::cuda));
      BOOST_TEST(same_bits(to_host(d), h), "round trip of " << h.describe());
    }
    Tensor ints = random_ints({n}, -1000, 1000, 3);
    BOOST_TEST(same_bits(to_host(to_device(ints)), ints), "round trip of " << ints.describe());
  }
}

BOOST_AUTO_TEST_CASE(zero_clone_and_views) {
  Tensor h = random_tensor({64, 33}, DType::f32, 5);
  Tensor d = to_device(h);
  Tensor c = d.clone();  // device -> device
  BOOST_TEST((c.device() == Device::cuda));
  BOOST_TEST(same_bits(c, h));
  d.zero_();
  for (double v : to_f64_vector(d)) BOOST_TEST_REQUIRE(v == 0.0);
  BOOST_TEST(same_bits(c, h), "the clone is independent of the zeroed original");
  // Copy into a row slice of a device tensor, then read a flat range back.
  Tensor rows = h.slice(10, 20);
  Tensor target = poisoned({64, 33}, DType::f32);
  Tensor view = target.slice(10, 20);
  view.copy_from(to_device(rows));
  BOOST_TEST(same_bits(to_host(target.slice(10, 20)), rows));
  Tensor flat = to_device(h).flat(33 * 5 + 4, {100});
  BOOST_TEST(same_bits(to_host(flat), h.flat(33 * 5 + 4, {100})));
}

BOOST_AUTO_TEST_CASE(allocator_reuse_keeps_contents_apart) {
  // Many tensors of mixed sizes live at once, some are released, new ones reuse their blocks; every
  // live tensor keeps its own values.
  std::vector<Tensor> live;
  std::vector<Tensor> expected;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) {
      const int64_t n = 1 + (i * 7919 + round * 104729) % (3 << 20) / (i % 5 + 1);
      Tensor h = random_tensor({n}, DType::f32, uint64_t(round * 100 + i));
      live.push_back(to_device(h));
      expected.push_back(h);
    }
    for (size_t i = 0; i < live.size(); i += 2) {  // release every other one
      live.erase(live.begin() + long(i));
      expected.erase(expected.begin() + long(i));
    }
  }
  for (size_t i = 0; i < live.size(); ++i) BOOST_TEST(same_bits(live[i], expected[i]), "tensor " << i);
  ops::cuda::synchronize();
}

BOOST_AUTO_TEST_SUITE_END()
