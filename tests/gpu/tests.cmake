# GPU suites (label gpu): built only with R1_ENABLE_CUDA; they need a GPU to run. Each file is one
# suite comparing CUDA kernels (or whole model steps) with the host backend.
file(GLOB R1_GPU_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
if(R1_GPU_TESTS)
  r1_add_suite_executable(r1_gpu_tests LABEL gpu SOURCES ${R1_GPU_TESTS})
  target_link_libraries(r1_gpu_tests PRIVATE r1_kernels_cuda)  # the backend's own API (cuda_ops.hpp)
endif()
if(R1_GPU_TESTS)
  # The grouped GEMMs again with the Hopper wgmma kernels switched off: the mma.sync weight-gradient
  # kernel and cuBLAS' grouped GEMM, which other GPUs (and R1_CUDA_WGMMA=0) run.
  add_test(NAME gpu.test_cuda_gemm_without_wgmma COMMAND r1_gpu_tests --run_test=test_cuda_gemm --log_level=test_suite)
  set_tests_properties(gpu.test_cuda_gemm_without_wgmma PROPERTIES LABELS gpu
    ENVIRONMENT "${R1_TEST_ENV};R1_CUDA_WGMMA=0" WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endif()
