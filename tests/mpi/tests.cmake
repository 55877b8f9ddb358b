# MPI suites: one executable (tests/mpi/*.cpp), each suite registered at the rank counts it is
# meant for. Run with oversubscription on small machines (R1_TEST_ENV sets it for Open MPI).
file(GLOB R1_MPI_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
r1_add_suite_executable(r1_mpi_tests LABEL mpi SOURCES ${R1_MPI_TESTS} MPI)
r1_add_mpi_test(determinism EXECUTABLE r1_mpi_tests SUITE test_determinism NP 1)
r1_add_mpi_test(determinism EXECUTABLE r1_mpi_tests SUITE test_determinism NP 2)
r1_add_mpi_test(checkpoint_io EXECUTABLE r1_mpi_tests SUITE test_checkpoint_io NP 1)
r1_add_mpi_test(checkpoint_io EXECUTABLE r1_mpi_tests SUITE test_checkpoint_io NP 2)
r1_add_mpi_test(checkpoint_io EXECUTABLE r1_mpi_tests SUITE test_checkpoint_io NP 4)
r1_add_mpi_test(run_restart EXECUTABLE r1_mpi_tests SUITE test_run_restart NP 1)
r1_add_mpi_test(run_restart EXECUTABLE r1_mpi_tests SUITE test_run_restart NP 2)
r1_add_mpi_test(parallel_equality EXECUTABLE r1_mpi_tests SUITE test_parallel_equality NP 2)
r1_add_mpi_test(parallel_equality EXECUTABLE r1_mpi_tests SUITE test_parallel_equality NP 4)
