# Test helpers.
#   r1_add_suite_executable(target LABEL label SOURCES files... [MPI])
#     builds one Boost.Test executable from the files; each file holds one suite named after the
#     file's stem, registered as the CTest test "<label>.<stem>" (run with --run_test=<stem>).
#   r1_add_mpi_test(name EXECUTABLE target SUITE suite NP n [LABELS ...])
#     registers "mpi.<name>.np<n>" running the suite under mpiexec with n ranks.
set(R1_TEST_ENV
  "OMPI_ALLOW_RUN_AS_ROOT=1" "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1" "OMPI_MCA_rmaps_base_oversubscribe=1"
  "OPENBLAS_NUM_THREADS=1" "R1_TEST_DATA=${PROJECT_SOURCE_DIR}/tests/data")
if(R1_SANITIZE)
  list(APPEND R1_TEST_ENV "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1" "UBSAN_OPTIONS=print_stacktrace=1")
endif()

function(r1_add_suite_executable target)
  cmake_parse_arguments(ARG "MPI" "LABEL" "SOURCES" ${ARGN})
  if(ARG_MPI)
    set(_main r1_test_main_mpi)
  else()
    set(_main r1_test_main_unit)
  endif()
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${_main} r1_test_support)
  foreach(_src IN LISTS ARG_SOURCES)
    get_filename_component(_stem ${_src} NAME_WE)
    if(NOT ARG_MPI)
      add_test(NAME ${ARG_LABEL}.${_stem} COMMAND ${target} --run_test=${_stem} --log_level=test_suite)
      set_tests_properties(${ARG_LABEL}.${_stem} PROPERTIES LABELS ${ARG_LABEL} ENVIRONMENT "${R1_TEST_ENV}"
        WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    endif()
  endforeach()
endfunction()

function(r1_add_mpi_test name)
  cmake_parse_arguments(ARG "" "EXECUTABLE;SUITE;NP;TIMEOUT" "LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  set(_test mpi.${name}.np${ARG_NP})
  add_test(NAME ${_test}
    COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ARG_NP} ${MPIEXEC_PREFLAGS}
            $<TARGET_FILE:${ARG_EXECUTABLE}> --run_test=${ARG_SUITE} ${MPIEXEC_POSTFLAGS})
  set_tests_properties(${_test} PROPERTIES LABELS "mpi;${ARG_LABELS}" PROCESSORS ${ARG_NP}
    ENVIRONMENT "${R1_TEST_ENV}" TIMEOUT ${ARG_TIMEOUT} WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
