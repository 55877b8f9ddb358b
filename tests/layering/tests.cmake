# Layering tests (label unit): each probe includes a header its library must not see and is built
# as an object library against that library alone (not part of `all`). The test builds it and
# passes only when the compiler reports exactly that header as not found — so the include paths,
# not discipline, keep the layering (cmake/R1Layering.cmake).
function(r1_layering_probe name linked forbidden)
  add_library(r1_layering_probe_${name} OBJECT EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/${name}.cpp)
  target_link_libraries(r1_layering_probe_${name} PRIVATE ${linked})
  add_test(NAME layering.${name}
           COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target r1_layering_probe_${name})
  string(REPLACE "." "\\." _escaped ${forbidden})
  set_tests_properties(layering.${name} PROPERTIES LABELS unit RESOURCE_LOCK r1_build_tree
                       PASS_REGULAR_EXPRESSION "${_escaped}: No such file or directory")
endfunction()

r1_layering_probe(kernels_includes_rl r1_kernels "rl/run_config.hpp")
r1_layering_probe(model_includes_io r1_model "io/hf/hf_config.hpp")
r1_layering_probe(engine_includes_rl r1_engine "rl/run_context.hpp")
r1_layering_probe(parallel_includes_cuda_backend r1_parallel "kernels/cuda/cuda_ops.hpp")
r1_layering_probe(rl_includes_host_backend r1_rl "kernels/host/host_ops.hpp")
