# Compiler flags shared by every r1 target: warnings, the sanitizer build, CUDA language setup.
# CUDA must be configured (architectures, standard, runtime) before any target is created.
add_library(r1_flags INTERFACE)
target_compile_options(r1_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter -Wno-sign-compare>
  # No errno from sqrt and friends (r1 never reads it): lets the elementwise host kernels (AdamW's
  # sqrt) vectorize. Results are the same bits: IEEE sqrt is correctly rounded either way.
  $<$<COMPILE_LANGUAGE:CXX>:-fno-math-errno>)

if(R1_SANITIZE)
  target_compile_options(r1_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
  target_link_options(r1_flags INTERFACE -fsanitize=address,undefined)
endif()

if(R1_ENABLE_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90a)
  endif()
  # CMake 3.25 cannot compile .cu as C++20; headers shared with .cu files stay C++17-clean.
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  target_compile_definitions(r1_flags INTERFACE R1_WITH_CUDA=1)
  # Hopper's warpgroup MMA (the grouped expert GEMMs) needs the arch-specific sm_90a target; other
  # architectures build without those kernels and use cuBLAS for the same products.
  if(CMAKE_CUDA_ARCHITECTURES MATCHES "90a")
    target_compile_definitions(r1_flags INTERFACE R1_CUDA_SM90A=1)
  endif()
endif()
