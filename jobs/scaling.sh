#!/bin/bash
# Scaling study on a Slurm cluster: submits `r1 bench train` (through jobs/r1.sbatch) at each node
# count, waits for the jobs, collects their CSV lines into one file, computes speed-up and parallel
# efficiency relative to the smallest node count, writes scaling.csv and scaling.png, and prints
# the table.
#
#   jobs/scaling.sh CONFIG --nodes 1,2,4,8 [--weak | --strong] [options] [key=value ...] [-- sbatch options ...]
#
#   --weak                 fixed work per rank (default): needs --batch-per-rank; efficiency =
#                          tokens/s per rank / tokens/s per rank of the smallest run (ideal 1.0)
#   --strong               fixed global batch (--global-batch N, default: the stage's batch_size);
#                          efficiency = speed-up / node ratio (ideal 1.0)
#   --batch-per-rank N     sequences per rank per step (weak)
#   --global-batch N       sequences per step for the whole job (strong)
#   --steps N              timed steps per job (default 20); --warmup N untimed steps first (default 3)
#   --stage NAME           the stage to time (default: the first pretrain/sft stage)
#   --ranks-per-node N     ranks per node (default 1; one per GPU on GPU nodes)
#   --out DIR              output folder (default scaling-<date>-<time>)
#   --timeout SECONDS      give up waiting after this long (default 0: wait as long as it takes)
#   key=value              config overrides for every job
#   -- sbatch options      passed to every sbatch (partition, account, --gpus-per-node, -t, ...)
#
# Outputs in DIR: bench.csv (the raw lines), scaling.csv, scaling.png (Python with matplotlib, else
# gnuplot; skipped with a message when neither is there) and each job's log nodes<N>-<jobid>.out.
# Environment: R1_BIN (default build/cpu/r1 under the current folder), R1_SBATCH, and the site
# settings of jobs/r1.sbatch.
set -uo pipefail

fail() {
  echo "scaling.sh: error: $*" >&2
  exit 2
}
[ $# -ge 1 ] || fail "usage: jobs/scaling.sh CONFIG --nodes 1,2,4 [--weak|--strong] [options] (see the top of this file)"
case "$1" in -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;; esac
config=$1
shift

nodes_list="" mode=weak steps=20 warmup=3 stage="" ranks_per_node=1 batch_per_rank="" global_batch=""
out="scaling-$(date +%Y%m%d-%H%M%S)" timeout_s=0 poll_s=${R1_SCALING_POLL_S:-5}
overrides=() sbatch_options=()
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || fail "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) need_value "$@"; nodes_list=$2; shift 2 ;;
    --weak) mode=weak; shift ;;
    --strong) mode=strong; shift ;;
    --steps) need_value "$@"; steps=$2; shift 2 ;;
    --warmup) need_value "$@"; warmup=$2; shift 2 ;;
    --stage) need_value "$@"; stage=$2; shift 2 ;;
    --ranks-per-node) need_value "$@"; ranks_per_node=$2; shift 2 ;;
    --batch-per-rank) need_value "$@"; batch_per_rank=$2; shift 2 ;;
    --global-batch) need_value "$@"; global_batch=$2; shift 2 ;;
    --out) need_value "$@"; out=$2; shift 2 ;;
    --timeout) need_value "$@"; timeout_s=$2; shift 2 ;;
    --) shift; sbatch_options=("$@"); break ;;
    *=*) overrides+=("$1"); shift ;;
    *) fail "unknown argument '$1' (see jobs/scaling.sh --help)" ;;
  esac
done

[ -n "$nodes_list" ] || fail "--nodes is required, e.g. --nodes 1,2,4,8"
IFS=',' read -r -a node_counts <<<"$nodes_list"
for n in "${node_counts[@]}"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || fail "--nodes: '$n' is not a positive integer"; done
mapfile -t node_counts < <(printf '%s\n' "${node_counts[@]}" | sort -n -u)
for v in "$steps" "$ranks_per_node"; do [[ "$v" =~ ^[1-9][0-9]*$ ]] || fail "'$v' is not a positive integer"; done
[[ "$warmup" =~ ^[0-9]+$ ]] || fail "--warmup: '$warmup' is not a non-negative integer"
[[ "$timeout_s" =~ ^[0-9]+$ ]] || fail "--timeout: '$timeout_s' is not a number of seconds"
batch_args=()
if [ "$mode" = weak ]; then
  [ -z "$global_batch" ] || fail "--global-batch is for --strong; weak scaling takes --batch-per-rank"
  [[ "$batch_per_rank" =~ ^[1-9][0-9]*$ ]] || fail "weak scaling needs --batch-per-rank N (sequences per rank per step)"
  batch_args=(--batch-per-rank "$batch_per_rank")
else
  [ -z "$batch_per_rank" ] || fail "--batch-per-rank is for --weak; strong scaling takes --global-batch"
  if [ -n "$global_batch" ]; then
    [[ "$global_batch" =~ ^[1-9][0-9]*$ ]] || fail "--global-batch: '$global_batch' is not a positive integer"
    batch_args=(--global-batch "$global_batch")
  fi
fi
stage_args=()
[ -n "$stage" ] && stage_args=(--stage "$stage")

R1_BIN=${R1_BIN:-$PWD/build/cpu/r1}
[ -x "$R1_BIN" ] || fail "r1 binary not found at '$R1_BIN'; build it or set R1_BIN=/path/to/r1"
R1_BIN=$(cd "$(dirname "$R1_BIN")" && pwd)/$(basename "$R1_BIN")
export R1_BIN
here=$(cd "$(dirname "$0")" && pwd)
R1_SBATCH=${R1_SBATCH:-$here/r1.sbatch}
[ -f "$R1_SBATCH" ] || fail "job script not found at '$R1_SBATCH' (set R1_SBATCH)"
command -v sbatch >/dev/null 2>&1 || fail "sbatch not found: run this on a Slurm login node"
mkdir -p "$out" || fail "cannot create --out folder '$out'"
out=$(cd "$out" && pwd)

# ---- submit one job per node count ----
declare -A job_of
for n in "${node_counts[@]}"; do
  rm -f "$out/bench-nodes$n.csv"
  if ! id=$(R1_COMMAND="bench train" sbatch --parsable --job-name="r1-scaling-$n" --nodes="$n" \
      --ntasks-per-node="$ranks_per_node" --no-requeue --output="$out/nodes$n-%j.out" \
      ${sbatch_options[@]+"${sbatch_options[@]}"} "$R1_SBATCH" "$config" --steps "$steps" --warmup "$warmup" \
      "${batch_args[@]}" ${stage_args[@]+"${stage_args[@]}"} --csv "$out/bench-nodes$n.csv" --label "nodes=$n" \
      ${overrides[@]+"${overrides[@]}"} "run_dir=$out/run-nodes$n"); then
    fail "sbatch failed for $n node(s)${job_of[*]:+; already submitted: ${job_of[*]}}"
  fi
  job_of[$n]=${id%%;*}
  echo "scaling.sh: $n node(s) x $ranks_per_node rank(s): job ${job_of[$n]}"
done

# ---- wait for every job to leave the queue ----
job_state() {  # prints the job's state, or GONE once Slurm no longer lists it
  local info
  if info=$(scontrol show job "$1" 2>&1); then
    sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$info" | head -n 1
  elif grep -q "Invalid job id" <<<"$info"; then
    echo GONE
  else
    echo UNKNOWN
  fi
}
start=$SECONDS
while true; do
  waiting=()
  for n in "${node_counts[@]}"; do
    case "$(job_state "${job_of[$n]}")" in
      PENDING | RUNNING | CONFIGURING | COMPLETING | REQUEUED | SUSPENDED | RESIZING | UNKNOWN | "") waiting+=("${job_of[$n]}") ;;
    esac
  done
  [ ${#waiting[@]} -eq 0 ] && break
  if [ "$timeout_s" -gt 0 ] && [ $((SECONDS - start)) -ge "$timeout_s" ]; then
    echo "scaling.sh: error: jobs ${waiting[*]} still queued or running after ${timeout_s}s; their results are not collected (scancel them, or rerun later with a longer --timeout)" >&2
    exit 1
  fi
  sleep "$poll_s"
done

# ---- collect ----
bench_csv="$out/bench.csv"
header="label,ranks,global_batch,steps,tokens_per_s,tokens_per_s_per_rank,step_s,compute_s,all_to_all_s,pipeline_wait_s,all_reduce_s"
echo "$header" >"$bench_csv"
failed=()
for n in "${node_counts[@]}"; do
  f="$out/bench-nodes$n.csv"
  if [ -f "$f" ] && [ "$(wc -l <"$f")" -ge 2 ]; then
    tail -n 1 "$f" >>"$bench_csv"
  else
    failed+=("$n")
    echo "scaling.sh: $n node(s) (job ${job_of[$n]}) produced no result; see $out/nodes$n-${job_of[$n]}.out" >&2
  fi
done
[ "$(wc -l <"$bench_csv")" -ge 2 ] || { echo "scaling.sh: error: no job produced a result" >&2; exit 1; }

# nodes = the N of the "nodes=N" label; the smallest node count is the base of speed-up and efficiency.
scaling_csv="$out/scaling.csv"
awk -F, -v OFS=, -v mode="$mode" '
  NR == 1 { print "nodes,ranks,global_batch,steps,tokens_per_s,tokens_per_s_per_rank,step_s,compute_s,all_to_all_s,pipeline_wait_s,all_reduce_s,speedup,efficiency"; next }
  {
    n = $1; sub(/^nodes=/, "", n)
    if (NR == 2) { base_n = n; base_tps = $5; base_tpr = $6 }
    speedup = base_tps > 0 ? $5 / base_tps : 0
    if (mode == "weak") eff = base_tpr > 0 ? $6 / base_tpr : 0
    else eff = speedup / (n / base_n)
    $1 = n
    print $0, sprintf("%.3f", speedup), sprintf("%.3f", eff)
  }' "$bench_csv" >"$scaling_csv"

echo
echo "$mode scaling of $config (efficiency relative to ${node_counts[0]} node(s); ideal 1.000):"
awk -F, 'NR == 1 { printf "%6s %6s %8s %14s %16s %10s %8s %10s\n", "nodes", "ranks", "batch", "tokens/s", "tokens/s/rank", "step_s", "speedup", "efficiency"; next }
         { printf "%6s %6s %8s %14.1f %16.1f %10.4f %8s %10s\n", $1, $2, $3, $5, $6, $7, $12, $13 }' "$scaling_csv"
echo
echo "scaling.sh: wrote $scaling_csv and $bench_csv"

# ---- plot ----
png="$out/scaling.png"
plotted=0
if command -v python3 >/dev/null 2>&1 && python3 -c 'import matplotlib' 2>/dev/null; then
  python3 "$here/plot_scaling.py" "$scaling_csv" "$png" "$mode" && plotted=1
fi
if [ "$plotted" -eq 0 ] && command -v gnuplot >/dev/null 2>&1; then
  gnuplot <<EOF && plotted=1 && echo "plot: $png"
set terminal pngcairo size 1100,420
set output "$png"
set datafile separator ","
set key autotitle columnhead
set multiplot layout 1,2 title "r1 bench train: $mode scaling"
set xlabel "nodes"; set ylabel "tokens/s"; set title "throughput"
plot "$scaling_csv" using 1:5 with linespoints title "measured"
set ylabel "parallel efficiency"; set title "efficiency (ideal 1.0)"; set yrange [0:*]
plot "$scaling_csv" using 1:13 with linespoints title "measured", 1.0 with lines dashtype 2 title "ideal"
unset multiplot
EOF
fi
[ "$plotted" -eq 1 ] || echo "scaling.sh: no plot: install matplotlib (pip install matplotlib) or gnuplot to get $png"

if [ ${#failed[@]} -gt 0 ]; then
  echo "scaling.sh: error: no result for ${failed[*]} node(s)" >&2
  exit 1
fi
