// Boost.Test main for single-process suites: starts the host compute runtime (Kokkos, BLAS threads).
#define BOOST_TEST_MODULE r1
#include <boost/test/unit_test.hpp>

#include "kernels/runtime.hpp"

namespace {
struct HostRuntimeFixture {
  HostRuntimeFixture() {
    int argc = boost::unit_test::framework::master_test_suite().argc;
    char** argv = boost::unit_test::framework::master_test_suite().argv;
    runtime = new r1::ComputeRuntime(argc, argv, 1);
  }
  ~HostRuntimeFixture() { delete runtime; }
  r1::ComputeRuntime* runtime = nullptr;
};
}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(HostRuntimeFixture);
