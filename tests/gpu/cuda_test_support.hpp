// Helpers for the CUDA kernel suites: a fixture that starts the CUDA backend once (and fails with a
// clear message where no GPU is usable), device copies of host tensors, NaN-poisoned output buffers,
// the check that a GPU result is fully written (no NaN/inf left) and close to a float64 host
// reference, per-dtype tolerances, and a bitwise comparison for determinism checks.
#pragma once
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"
#include "kernels/runtime.hpp"

namespace r1::test::gpu {

// Starts the CUDA backend on GPU 0 the first time; every later call reports the same outcome.
inline const std::string& cuda_start_error() {
  static const std::string error = [] {
    try {
      ComputeRuntime::enable_cuda(0);
      return std::string();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  }();
  return error;
}

// Per-test fixture of every GPU suite.
struct CudaFixture {
  CudaFixture() {
    BOOST_TEST_REQUIRE(cuda_start_error().empty(),
                       "these tests need a usable NVIDIA GPU; starting the CUDA backend failed: " << cuda_start_error());
  }
};

// Relative-error bound for outputs computed from operands of this dtype.
inline double tolerance(DType dtype) { return dtype == DType::bf16 ? 1e-2 : 1e-4; }

inline Tensor to_device(const Tensor& host) { return host.to(Device::cuda); }
inline Tensor to_host(const Tensor& device) { return device.to(Device::host); }
inline Tensor as_f64(const Tensor& t) { return cast(t.is_host() ? t : to_host(t), DType::f64); }

// A device tensor whose every element is NaN (float dtypes) or -12345 (i32), so unwritten outputs show.
inline Tensor poisoned(const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype, Device::cuda);
  ops::fill(t, dtype == DType::i32 ? -12345.0 : std::numeric_limits<double>::quiet_NaN());
  return t;
}

// Random normal values in `dtype` on the host (so a float64 reference sees exactly the GPU's inputs).
inline Tensor host_random(const Shape& shape, DType dtype, uint64_t seed, double stddev = 1.0) {
  return random_tensor(shape, dtype, seed, stddev);
}

inline bool all_finite(const std::vector<double>& v) {
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

// Checks a device (or host) result against a float64 reference: every element finite (so the kernel
// wrote all of a NaN-poisoned buffer) and ||out - ref|| / ||ref|| below tol.
inline void expect_close(const Tensor& out, const std::vector<double>& ref, double tol, const std::string& what) {
  const std::vector<double> got = to_f64_vector(out);
  BOOST_TEST_REQUIRE(got.size() == ref.size(), what << ": " << got.size() << " values, reference has " << ref.size());
  BOOST_TEST(all_finite(got), what << ": output has NaN/inf (unwritten or overflowed elements)");
  const double err = rel_error(got, ref);
  BOOST_TEST(err < tol, what << ": relative error " << err << " (bound " << tol << ")");
}
inline void expect_close(const Tensor& out, const Tensor& ref, double tol, const std::string& what) {
  expect_close(out, to_f64_vector(ref), tol, what);
}

// Same bytes (for determinism: the same call twice).
inline bool same_bits(const Tensor& a, const Tensor& b) {
  const Tensor ha = a.is_host() ? a : to_host(a), hb = b.is_host() ? b : to_host(b);
  return ha.dtype() == hb.dtype() && ha.numel() == hb.numel() && std::memcmp(ha.raw(), hb.raw(), ha.nbytes()) == 0;
}

inline const char* dtype_label(DType t) { return dtype_name(t); }

}  // namespace r1::test::gpu
