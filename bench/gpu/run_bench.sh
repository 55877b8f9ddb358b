#!/usr/bin/env bash
# r1 and the PyTorch/transformers reference side by side on one GPU, in one run (issue 6):
#   1. the machine's ceilings: bf16 GEMM rate and copy bandwidth (r1 bench device)
#   2. r1: dense (Qwen2-1.5B shape) and MoE (small DeepSeek-V3) training, decode at batch 1 and 64
#   3. the reference: bench/torch_reference.py (eager, torch.compile, transformers generate)
# Writes every line to $OUT/bench.log (when $OUT is set) and prints a summary.
# usage: bench/gpu/run_bench.sh R1_BINARY [--steps N] [--skip-reference]
set -u
r1=${1:?usage: run_bench.sh R1_BINARY}
shift
steps=8
reference=1
while [ $# -gt 0 ]; do
  case $1 in
    --steps) steps=$2; shift 2 ;;
    --skip-reference) reference=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
log=${OUT:-/tmp}/bench.log
: > "$log"
run() { echo "+ $*" | tee -a "$log"; timeout "${BENCH_TIMEOUT:-300}" "$@" 2>&1 | tee -a "$log"; }
run nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
device=$("$r1" bench device 2>&1 | tee -a "$log" | tail -1)
echo "$device"
tflops=$(echo "$device" | sed -n 's/.*: \([0-9.]*\) TFLOP\/s.*/\1/p')
gbps=$(echo "$device" | sed -n 's/.*copy: \([0-9.]*\) GB\/s.*/\1/p')
run "$r1" bench train configs/bench/qwen2-1.5b.yaml --steps "$steps" --warmup 2 --peak-tflops "$tflops"
run "$r1" bench train configs/bench/dsv3-moe-small.yaml --steps "$steps" --warmup 2 --peak-tflops "$tflops"
run "$r1" bench decode configs/bench/qwen2-1.5b.yaml --batch 1 --rounds 1 --bandwidth "$gbps"
run "$r1" bench decode configs/bench/qwen2-1.5b.yaml --batch 64 --rounds 1 --bandwidth "$gbps"
if [ $reference -eq 1 ]; then
  PYTHONUNBUFFERED=1 run python3 bench/torch_reference.py --steps "$steps"
fi
echo "== done; full log: $log"
