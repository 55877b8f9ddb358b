// Boost.Test main for MPI suites (run under mpiexec): initialises MPI and the host compute runtime;
// only rank 0 prints Boost's log so the output is readable.
#define BOOST_TEST_MODULE r1_mpi
#include <boost/test/unit_test.hpp>
#include <mpi.h>

#include "kernels/runtime.hpp"
#include "parallel/mpi_io_defaults.hpp"

namespace {
struct MpiRuntimeFixture {
  MpiRuntimeFixture() {
    int argc = boost::unit_test::framework::master_test_suite().argc;
    char** argv = boost::unit_test::framework::master_test_suite().argv;
    r1::apply_mpi_io_defaults();
    MPI_Init(&argc, &argv);
    runtime = new r1::ComputeRuntime(argc, argv, 1);
  }
  ~MpiRuntimeFixture() {
    delete runtime;
    MPI_Finalize();
  }
  r1::ComputeRuntime* runtime = nullptr;
};
}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(MpiRuntimeFixture);
