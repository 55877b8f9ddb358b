// CUDA SwiGLU against the float64 host version: forward and backward for f32 and bf16 at odd and
// model widths (intermediate 8960), with large gate values (no NaN from the sigmoid) and the
// backward writing in place over gate_up.
#include <tuple>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

BOOST_FIXTURE_TEST_SUITE(test_cuda_swiglu, CudaFixture)

BOOST_AUTO_TEST_CASE(forward_and_backward_match_float64) {
  for (auto [rows, inter] : {std::tuple{1, 1}, {13, 37}, {64, 8960}})
    for (DType dt : {DType::f32, DType::bf16})
      for (double stddev : {1.0, 30.0}) {
        if (stddev > 1.0 && rows * inter < 100) continue;  // large gates: only where the norm is not one element
        const std::string label = "rows=" + std::to_string(rows) + " I=" + std::to_string(inter) + " " +
                                  dtype_name(dt) + " stddev=" + std::to_string(stddev);
        Tensor gate_up = host_random({rows, 2 * inter}, dt, 90, stddev), dout = host_random({rows, inter}, dt, 91);
        Tensor out_ref = Tensor::empty({rows, inter}, DType::f64);
        ops::swiglu_forward(as_f64(gate_up), out_ref);
        Tensor dgu_ref = Tensor::empty({rows, 2 * inter}, DType::f64);
        ops::swiglu_backward(as_f64(gate_up), as_f64(dout), dgu_ref);

        Tensor out = poisoned({rows, inter}, dt);
        ops::swiglu_forward(to_device(gate_up), out);
        expect_close(out, out_ref, tolerance(dt), "swiglu out " + label);
        Tensor dgu = poisoned({rows, 2 * inter}, dt);
        ops::swiglu_backward(to_device(gate_up), to_device(dout), dgu);
        expect_close(dgu, dgu_ref, tolerance(dt), "swiglu dgate_up " + label);
        Tensor in_place = to_device(gate_up);
        ops::swiglu_backward(in_place, to_device(dout), in_place);
        BOOST_TEST(same_bits(in_place, dgu), "swiglu backward in place " << label);
      }
}

BOOST_AUTO_TEST_SUITE_END()
