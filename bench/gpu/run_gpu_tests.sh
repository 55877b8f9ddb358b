#!/usr/bin/env bash
# Runs the CUDA kernel suites (tests/gpu, binary r1_gpu_tests) on a GPU machine and prints a short
# report: one line per suite (pass/fail, seconds), then compute-sanitizer passes, one line per test
# unit: memcheck over the suites (with exact-size allocations, R1_CUDA_EXACT_ALLOC=1, so every overrun
# is caught) and racecheck/synccheck over the kernels that share memory between threads.
# R1_SANITIZER_TIMEOUT (seconds, default 900) limits each sanitizer run.
#
# Usage (from the repository root):  bench/gpu/run_gpu_tests.sh BUILD_DIR [--quick]
#   BUILD_DIR  a build configured with `cmake --preset cuda` in which r1_gpu_tests is built
#   --quick    skip the compute-sanitizer passes
# Exit status: 0 when every suite and every sanitizer pass succeeded, 1 otherwise, 2 on bad usage.
set -u

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [--quick]" >&2
  exit 2
fi
build_dir=$1
quick=0
[ "${2:-}" = "--quick" ] && quick=1
exe="$build_dir/tests/r1_gpu_tests"
if [ ! -x "$exe" ]; then
  echo "no $exe: configure with 'cmake --preset cuda -B $build_dir' and build the r1_gpu_tests target" >&2
  exit 2
fi
export R1_TEST_DATA="${R1_TEST_DATA:-$(pwd)/tests/data}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-8}"

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "(nvidia-smi unavailable)"

# Suites are the unindented lines of Boost.Test's content listing ("test_cuda_x*").
suites=$("$exe" --list_content 2>&1 | grep -E '^test_cuda_[a-z0-9_]+' | sed 's/[*[:space:]].*$//')
if [ -z "$suites" ]; then
  echo "no test_cuda_* suites found in $exe" >&2
  exit 2
fi

# Seconds since a start taken with `date +%s%N`.
elapsed() { awk -v s="$1" -v e="$(date +%s%N)" 'BEGIN { printf "%.1f", (e - s) / 1e9 }'; }

failed=0
log_dir=$(mktemp -d)
echo "== suites (logs in $log_dir)"
for suite in $suites; do
  start=$(date +%s%N)
  "$exe" --run_test="$suite" --log_level=test_suite --report_level=short >"$log_dir/$suite.log" 2>&1
  status=$?
  seconds=$(elapsed "$start")
  if [ $status -eq 0 ]; then
    printf '  %-28s pass  %7s s\n' "$suite" "$seconds"
  else
    printf '  %-28s FAIL  %7s s\n' "$suite" "$seconds"
    grep -E 'error|fatal' "$log_dir/$suite.log" | head -20 | sed 's/^/      /'
    failed=1
  fi
done

if [ $quick -eq 0 ]; then
  if ! command -v compute-sanitizer >/dev/null 2>&1; then
    echo "== compute-sanitizer not found: sanitizer passes skipped"
    failed=1
  else
    # One sanitizer run per test unit, each under its own time limit, so a slow unit shows by name.
    # memcheck covers every suite except the model-sized cases (whose kernels the smaller cases run);
    # racecheck and synccheck cover the kernels that share memory between threads.
    limit=${R1_SANITIZER_TIMEOUT:-900}
    memcheck_units="test_cuda_runtime test_cuda_elementwise test_cuda_embedding test_cuda_rmsnorm test_cuda_rope
      test_cuda_mla_keys test_cuda_swiglu test_cuda_router test_cuda_moe_permute test_cuda_adamw test_cuda_kv_cache
      test_cuda_sampling test_cuda_lm_head test_cuda_gemm/grouped_gemm_both_orientations_with_empty_groups
      test_cuda_gemm/grouped_gemm_weight_grad_accumulates test_cuda_gemm/bias_add_and_grad
      test_cuda_attention/small_and_odd_shapes test_cuda_attention/mla_head_dims test_cuda_attention/widest_heads"
    shared_memory_units="test_cuda_attention/small_and_odd_shapes test_cuda_router test_cuda_rmsnorm
      test_cuda_sampling test_cuda_kv_cache test_cuda_attention/widest_heads"
    echo "== compute-sanitizer (exact-size allocations; ${limit} s per unit)"
    for tool in memcheck racecheck synccheck; do
      if [ "$tool" = memcheck ]; then units=$memcheck_units; else units=$shared_memory_units; fi
      for unit in $units; do
        log="$log_dir/sanitizer_${tool}_${unit//\//_}.log"
        start=$(date +%s%N)
        # cuBLAS' Hopper GEMM kernels (nvjet_*) synchronise through asynchronous barriers that
        # racecheck cannot follow and reports as hazards; only our kernels are checked.
        R1_CUDA_EXACT_ALLOC=1 timeout "$limit" compute-sanitizer --tool "$tool" --error-exitcode 99 \
          --kernel-name-exclude kns=nvjet "$exe" --run_test="$unit" --report_level=short >"$log" 2>&1
        status=$?
        seconds=$(elapsed "$start")
        if [ $status -eq 0 ]; then
          printf '  %-10s %-60s clean %7s s\n' "$tool" "$unit" "$seconds"
        elif [ $status -eq 124 ]; then
          printf '  %-10s %-60s TIMEOUT %5s s\n' "$tool" "$unit" "$seconds"
          failed=1
        else
          printf '  %-10s %-60s FAIL  %7s s (exit %d)\n' "$tool" "$unit" "$seconds" "$status"
          grep -E '=========|error' "$log" | head -20 | sed 's/^/      /'
          failed=1
        fi
      done
    done
  fi
fi

if [ $failed -eq 0 ]; then echo "== all GPU suites passed"; else echo "== FAILURES (see $log_dir)"; fi
exit $failed
