#!/usr/bin/env bash
# Two r1 binaries (e.g. before and after a change) on the same GPU in one run, alternating A, B, A, B
# so drift of the card's clocks hits both: training steps of the dense and MoE benchmark shapes and
# decoding at batch 1 and 64 (the figures of docs/benchmarks.md). Each binary runs with its own
# library folder (LD_LIBRARY_PATH=<binary's folder>/../lib when present, as bench/gpu/package.sh
# lays them out). Every line goes to $OUT/ab.log when $OUT is set.
# usage: bench/gpu/ab_bench.sh R1_A R1_B [--rounds N] [--steps N]
set -u
a=${1:?usage: ab_bench.sh R1_A R1_B}
b=${2:?usage: ab_bench.sh R1_A R1_B}
shift 2
rounds=2 steps=8
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
log=${OUT:-/tmp}/ab.log
: > "$log"
r1() {  # r1 BINARY ARGS...: one command of one binary, with its libraries, under a time limit
  local bin=$1 lib
  shift
  lib=$(dirname "$bin")/../lib
  echo "+ $bin $*" | tee -a "$log"
  LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout "${BENCH_TIMEOUT:-120}" "$bin" "$@" 2>&1 |
    grep -E "bench |tokens/s|rounds|floor|copy" | tee -a "$log"
}
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader | tee -a "$log"
dense=configs/bench/qwen2-1.5b.yaml moe=configs/bench/dsv3-moe-small.yaml
for round in $(seq "$rounds"); do
  for bin in "$a" "$b"; do
    echo "== round $round: $bin" | tee -a "$log"
    r1 "$bin" bench train $dense --steps "$steps" --warmup 2
    r1 "$bin" bench train $moe --steps "$steps" --warmup 2
    r1 "$bin" bench decode $dense --batch 1 --rounds 1
    r1 "$bin" bench decode $dense --batch 64 --rounds 1
  done
done
echo "== done; full log: $log"
