#!/usr/bin/env bash
# Parallel layouts on ONE GPU (issue 8's runs, as far as a single-GPU machine allows): several ranks
# share the GPU with R1_TENSOR_TRANSPORT=mpi (NCCL refuses two ranks on one device), so the CUDA
# code paths of expert, pipeline and data parallelism run, with tensor traffic staged through MPI.
#   1. the tiny recipe through cold-start SFT on one rank (device=cuda, the whole pretraining), then its first GRPO step
#      resumed from that checkpoint on 1 rank and on pp=2 x ep=2 (4 ranks): the step's rollout
#      metrics (reward, accuracy, lengths, truncation; to 10 significant digits, as reductions over
#      ranks add in another order) are compared; equal metrics mean the same sampled completions;
#   2. r1 bench train on the MoE benchmark shape with ep=2 and pp=2 (2 ranks on the GPU).
# usage: bench/gpu/shared_gpu_layouts.sh R1_BINARY [WORK_DIR]
set -u
r1=${1:?usage: shared_gpu_layouts.sh R1_BINARY [WORK_DIR]}
work=${2:-/tmp/r1-layouts}
export R1_TENSOR_TRANSPORT=mpi OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun_() { mpirun --oversubscribe --bind-to none "$@"; }
rm -rf "$work" && mkdir -p "$work"
short="device=cuda stages.eval_before_rl.data.examples=64"
echo "== base: tiny-r1 through eval_before_rl on 1 rank (device=cuda)"
"$r1" run tiny-r1 run_dir="$work/base" $short --stop-after eval_before_rl > "$work/base.log" 2>&1 || { tail -20 "$work/base.log"; exit 1; }
grep -E "eval_before_rl policy" "$work/base.log"
for layout in "1 1 1" "4 2 2"; do
  set -- $layout
  name="np$1-pp$2-ep$3"
  cp -r "$work/base" "$work/$name"
  echo "== first GRPO step, $1 rank(s), pp=$2 ep=$3"
  mpirun_ -np "$1" "$r1" run tiny-r1 run_dir="$work/$name" $short parallel.pp="$2" parallel.ep="$3" \
    stages.reasoning_rl.steps=1 stages.reasoning_rl.log_every=1 --stop-after reasoning_rl > "$work/$name.log" 2>&1 ||
    { tail -20 "$work/$name.log"; exit 1; }
  python3 - "$work/$name/metrics.jsonl" > "$work/$name.step1" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("kind") == "grpo":
        keep = {k: v for k, v in r.items() if any(s in k for s in ("reward", "accuracy", "length", "format", "tokens", "truncated", "zero_std"))
                and "per_s" not in k}
        # 10 significant digits: std values are reduced over ranks in another order (last-bit changes)
        print(json.dumps({k: float(f"{v:.10g}") for k, v in keep.items()}, sort_keys=True))
EOF
  cat "$work/$name.step1"
done
if cmp -s "$work/np1-pp1-ep1.step1" "$work/np4-pp2-ep2.step1"; then
  echo "RESULT: first GRPO step rollout metrics identical on 1 rank and pp=2 x ep=2"
else
  echo "RESULT: rollout metrics differ between 1 rank and pp=2 x ep=2"
fi
for layout in "2 1 2" "2 2 1"; do
  set -- $layout
  echo "== bench train MoE shape, $1 ranks on one GPU, pp=$2 ep=$3 (MPI transport)"
  mpirun_ -np "$1" "$r1" bench train configs/bench/dsv3-moe-small.yaml --steps 4 --warmup 1 --batch-per-rank 4 \
    parallel.pp="$2" parallel.ep="$3" 2>&1 | tail -4
done
