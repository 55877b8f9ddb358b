# GPU suites (label gpu): built only with R1_ENABLE_CUDA; they need a GPU to run. Each file is one
# suite comparing CUDA kernels (or whole model steps) with the host backend.
file(GLOB R1_GPU_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
if(R1_GPU_TESTS)
  r1_add_suite_executable(r1_gpu_tests LABEL gpu SOURCES ${R1_GPU_TESTS})
endif()
