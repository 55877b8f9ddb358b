# The layering of r1's libraries, enforced by the compiler: a target sees the headers of the targets
# it links and nothing else. No source folder is on any include path. Each library publishes its
# headers through its own folder of links under <build>/include/<target>/<prefix>/..., and an
# `#include "rl/..."` from kernels (or of a CUDA backend's private header from parallel) finds no
# file and fails to build.
#
#   r1_headers(TARGET PREFIX DIR [PUBLIC_GLOBS g...] [PRIVATE_GLOBS g...])
#     PUBLIC_GLOBS (default *.hpp *.h *.inc, recursive) are linked under include/<TARGET>/<PREFIX>
#     and become TARGET's PUBLIC include folder; PRIVATE_GLOBS are linked under
#     include-private/<TARGET>/<PREFIX> for TARGET's own sources only. Globs are relative to DIR.
function(r1_headers target prefix dir)
  cmake_parse_arguments(ARG "" "" "PUBLIC_GLOBS;PRIVATE_GLOBS" ${ARGN})
  if(NOT ARG_PUBLIC_GLOBS)
    set(ARG_PUBLIC_GLOBS "*.hpp" "*.h" "*.inc")
    set(_recurse GLOB_RECURSE)
  else()
    set(_recurse GLOB)
  endif()
  _r1_link_headers(${CMAKE_BINARY_DIR}/include/${target} ${prefix} ${dir} ${_recurse} ${ARG_PUBLIC_GLOBS})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${CMAKE_BINARY_DIR}/include/${target}>)
  if(ARG_PRIVATE_GLOBS)
    _r1_link_headers(${CMAKE_BINARY_DIR}/include-private/${target} ${prefix} ${dir} GLOB ${ARG_PRIVATE_GLOBS})
    target_include_directories(${target} PRIVATE ${CMAKE_BINARY_DIR}/include-private/${target})
  endif()
endfunction()

function(_r1_link_headers root prefix dir mode)
  set(_patterns)
  foreach(_g IN LISTS ARGN)
    list(APPEND _patterns ${dir}/${_g})
  endforeach()
  file(${mode} _headers CONFIGURE_DEPENDS RELATIVE ${dir} ${_patterns})
  file(REMOVE_RECURSE ${root}/${prefix})  # headers deleted from the sources disappear here too
  foreach(_h IN LISTS _headers)
    get_filename_component(_parent ${root}/${prefix}/${_h} DIRECTORY)
    file(MAKE_DIRECTORY ${_parent})
    file(CREATE_LINK ${dir}/${_h} ${root}/${prefix}/${_h} SYMBOLIC)
  endforeach()
endfunction()
