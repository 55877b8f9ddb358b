#!/usr/bin/env bash
# The example recipes of configs/examples/ (what a user submits for real models) resolve against the
# published config.json of their models (configs/examples/hf/) and fit their stated GPUs: `r1 plan`
# with the stated world size and 80 GiB per GPU must answer "yes" for every pipeline stage.
# Usage: test_example_plans.sh R1_BINARY SOURCE_DIR
set -euo pipefail
r1="$1"
src="$2"
hf="$src/configs/examples/hf"
failed=0

check() {  # name world args...
  local name="$1" world="$2"
  shift 2
  local out
  if ! out=$("$r1" plan "$src/configs/examples/$name" "$@" --world "$world" --memory-gib 80 2>&1); then
    echo "FAIL $name: r1 plan failed:"; echo "$out"; failed=1; return
  fi
  # The memory table's last column answers "fits 80.0 GiB?" for each stage row.
  local rows no
  rows=$(printf '%s\n' "$out" | awk '/^Memory per rank/{m=1; next} m && /^[0-9]+ /{print} m && /^$/{m=0}')
  no=$(printf '%s\n' "$rows" | grep -c ' no, ' || true)
  if [ -z "$rows" ] || [ "$no" -ne 0 ]; then
    echo "FAIL $name on $world GPUs:"; echo "$out"; failed=1; return
  fi
  echo "ok   $name: $(printf '%s\n' "$rows" | wc -l) pipeline stage(s) fit 80 GiB on $world GPUs"
  printf '%s\n' "$out" | sed -n '/^Memory per rank/,/^$/p'
}

check r1-zero-qwen2.5-math-1.5b.yaml 8 model.from_hf="$hf/Qwen2.5-Math-1.5B"
check distill-llama-3.1-8b.yaml 64 model.from_hf="$hf/Llama-3.3-70B-Instruct" \
  stages.distill.distill.student.from_hf="$hf/Llama-3.1-8B"
exit $failed
