#!/usr/bin/env bash
# Collects what a GPU machine without Kokkos/parallel HDF5 needs to run r1 built here: the binaries of
# a CUDA build and the shared libraries `ldd` resolves outside the system/CUDA/MPI folders, into
# .carry/ (git-ignored; pass it as the device tool's `carry`). See docs/gpu.md.
# usage: bench/gpu/package.sh [BUILD_DIR]   (default build/cuda)
set -euo pipefail
build=${1:-build/cuda}
out=.carry
rm -rf "$out" && mkdir -p "$out/bin" "$out/lib"
for exe in "$build/r1" "$build/tests/r1_gpu_tests"; do
  [ -x "$exe" ] && cp "$exe" "$out/bin/"
done
# Libraries the GPU machine lacks (it has CUDA, NCCL, Open MPI, serial HDF5 1.10 under other names).
for exe in "$out"/bin/*; do
  ldd "$exe" | awk '/=> \// {print $3}' | grep -E 'hdf5|kokkos|yaml-cpp|libsz|libaec|openblas|boost_unit_test|pcre2|utf8proc|gfortran|quadmath' || true
done | sort -u | while read -r lib; do cp -L "$lib" "$out/lib/"; done
# One compressed archive keeps the transfer small (OpenBLAS alone is ~36 MB uncompressed); unpack on
# the GPU machine with: mkdir -p /tmp/r1 && tar -xJf .carry/r1-gpu.tar.xz -C /tmp/r1
tar -C "$out" -cJf "$out.tar.xz" bin lib
rm -rf "$out" && mkdir -p "$out" && mv "$out.tar.xz" "$out/r1-gpu.tar.xz"
du -sh "$out"
