#!/usr/bin/env bash
# r1 and the PyTorch/transformers/TRL references side by side on one GPU, in one run (issues 6, 22):
#   1. the machine's ceilings: bf16 GEMM rate and copy bandwidth (r1 bench device)
#   2. r1: dense (Qwen2-1.5B shape) and MoE (small DeepSeek-V3) training; decoding of the dense shape at
#      batch 1, 64, 256 and 512 and of the MoE shape at 1, 64 and 256; whole GRPO steps of both shapes
#   3. the references: bench/torch_reference.py (eager, torch.compile, transformers generate) and
#      bench/torch_grpo_reference.py (TRL's GRPOTrainer; needs trl and its wheels, see docs/gpu.md)
# Each command runs on its own with its own time limit: one that fails or does not fit the card (an
# 80 GB H100 cannot hold every reference) is reported and the rest still run. Every line goes to
# $OUT/bench.log (when $OUT is set); the first line names the card.
# usage: bench/gpu/run_bench.sh R1_BINARY [--steps N] [--skip-reference] [--only train|decode|grpo ...]
set -u
r1=${1:?usage: run_bench.sh R1_BINARY}
shift
steps=8
reference=1
only="train decode grpo"
while [ $# -gt 0 ]; do
  case $1 in
    --steps) steps=$2; shift 2 ;;
    --skip-reference) reference=0; shift ;;
    --only) only=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
log=${OUT:-/tmp}/bench.log
: > "$log"
wants() { case " $only " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
run() {
  echo "+ $*" | tee -a "$log"
  timeout "${BENCH_TIMEOUT:-300}" "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || echo "!! exit $rc: $*" | tee -a "$log"
}
run nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
device=$("$r1" bench device 2>&1 | tee -a "$log" | tail -1)
echo "$device"
tflops=$(echo "$device" | sed -n 's/.*: \([0-9.]*\) TFLOP\/s.*/\1/p')
gbps=$(echo "$device" | sed -n 's/.*copy: \([0-9.]*\) GB\/s.*/\1/p')
dense=configs/bench/qwen2-1.5b.yaml moe=configs/bench/dsv3-moe-small.yaml
if wants train; then
  run "$r1" bench train $dense --steps "$steps" --warmup 2 --peak-tflops "$tflops"
  run "$r1" bench train $moe --steps "$steps" --warmup 2 --peak-tflops "$tflops"
fi
if wants decode; then
  for b in 1 64 256 512; do run "$r1" bench decode $dense --batch $b --rounds 1 --bandwidth "$gbps"; done
  for b in 1 64 256; do run "$r1" bench decode $moe --batch $b --rounds 1 --bandwidth "$gbps"; done
fi
if wants grpo; then
  run "$r1" bench grpo configs/bench/grpo-qwen2-1.5b.yaml --steps 2 --warmup 1 --bandwidth "$gbps" --json "${OUT:-/tmp}/grpo.jsonl"
  run "$r1" bench grpo configs/bench/grpo-dsv3-moe-small.yaml --steps 2 --warmup 1 --bandwidth "$gbps" --json "${OUT:-/tmp}/grpo.jsonl"
fi
if [ $reference -eq 1 ]; then
  export PYTHONUNBUFFERED=1
  refs=""
  wants train && refs="$refs dense compile moe"
  wants decode && refs="$refs decode moe_decode"
  [ -n "$refs" ] && run python3 bench/torch_reference.py --steps "$steps" --only $refs
  if wants grpo; then
    if python3 -c 'import trl' 2>/dev/null; then
      run python3 bench/torch_grpo_reference.py --shape dense
      run python3 bench/torch_grpo_reference.py --shape moe
    else
      echo "!! trl is not installed: TRL's GRPO reference skipped (carry its wheels, docs/gpu.md)" | tee -a "$log"
    fi
  fi
fi
echo "== done; full log: $log"
