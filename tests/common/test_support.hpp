// Shared test helpers: random tensors from a counter-based stream, relative errors, and the
// central finite-difference gradient check every backward is tested with (in float64).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace r1::test {

// Normal(0, stddev) values from stream `seed` (deterministic), in the given float dtype.
Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed, double stddev = 1.0);
// Uniform integers in [lo, hi) as i32.
Tensor random_ints(const Shape& shape, int64_t lo, int64_t hi, uint64_t seed);
// Same values in another dtype (host).
Tensor cast(const Tensor& t, DType dtype);
// The values of an i32 tensor, copied to the host first when it lives on a device.
std::vector<int32_t> int32_values(const Tensor& t);

// ||a - b|| / max(||b||, tiny) over all elements.
double rel_error(const Tensor& a, const Tensor& b);
double rel_error(const std::vector<double>& a, const std::vector<double>& b);
double max_abs(const Tensor& t);

struct GradCheckResult {
  double rel_error = 0;   // ||fd - analytic|| / ||fd|| over the checked coordinates
  double max_abs_diff = 0;
  int64_t checked = 0;
};

// Central differences of `loss` with respect to coordinates of `input` (an f64 host tensor that
// `loss` reads), compared with `analytic` (same shape). Checks every coordinate when the tensor has
// at most max_coords elements, otherwise a deterministic random subset of max_coords.
GradCheckResult check_gradient(Tensor& input, const std::function<double()>& loss, const Tensor& analytic,
                               int64_t max_coords = 64, double step = 1e-5, uint64_t seed = 7);

// Reads tests/data/<relative> (located through $R1_TEST_DATA, or the source tree path compiled in).
std::string test_data_path(const std::string& relative);

}  // namespace r1::test
