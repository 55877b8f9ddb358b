#!/bin/bash
# The job scripts in jobs/ against a real Slurm: a private one-node cluster on localhost
# (slurm_cluster.sh) runs
#   (b) jobs/r1.sbatch, stopped mid-run with the early-warning signal (scancel --signal=USR1 --batch):
#       r1 checkpoints and exits 85, the script requeues the job, the second attempt resumes, and the
#       final checkpoints are identical (r1 ckpt diff) to those of (a) an uninterrupted run of the same
#       recipe on the same number of ranks;
#   (c) jobs/chain.sh: one job per stage of a 3-stage recipe, chained with afterok dependencies, with
#       the mpirun launcher; every stage runs, each job after the first resumes, the recipe finishes;
#   (d) jobs/scaling.sh --nodes 1: one CSV row, efficiency 1.000, a plot when matplotlib/gnuplot exist;
# plus the error paths of r1.sbatch (missing CONFIG, missing binary) and a negative r1 ckpt diff.
#
#   test_slurm_jobs.sh R1_BINARY SOURCE_DIR
#
# Exits 77 (CTest SKIP_RETURN_CODE) only when Slurm/munge are not installed or cannot be started
# for lack of root. Every wait is bounded, and the whole test has its own deadline below the CTest
# timeout, so the daemons are always torn down (EXIT trap). R1_KEEP_TEST_DIR=1 keeps the work folder.
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 R1_BINARY SOURCE_DIR" >&2; exit 2; }
r1=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
readonly deadline=$((SECONDS + ${R1_SLURM_TEST_DEADLINE_S:-600}))

# Nothing from an enclosing Slurm job may leak into the private cluster's commands.
while IFS='=' read -r name _; do
  case "$name" in SLURM_* | SBATCH_* | SALLOC_* | SRUN_* | SQUEUE_*) unset "$name" ;; esac
done < <(env)

# shellcheck source=tests/slurm/slurm_cluster.sh
source "$src/tests/slurm/slurm_cluster.sh"
if ! slurm_cluster_available; then
  echo "SKIP: $SLURM_CLUSTER_UNAVAILABLE"
  exit 77
fi
[ -x "$r1" ] || { echo "FAIL: r1 binary '$r1' not found" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/r1-slurm-test.XXXXXX")
chmod 755 "$work"  # the cluster's munged (user munge) must reach its socket folder inside
cleanup() {
  slurm_cluster_stop
  if [ "${R1_KEEP_TEST_DIR:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
export R1_BIN="$r1"
ranks=2
[ "$(nproc)" -ge 2 ] || ranks=1
phase_start=$SECONDS
phase() {
  echo
  echo "==== $* (at ${SECONDS}s; previous phase took $((SECONDS - phase_start))s)"
  phase_start=$SECONDS
}

fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$work"/*.out; do
    [ -f "$f" ] || continue
    echo "---- $f (last 25 lines) ----" >&2
    tail -n 25 "$f" >&2
  done
  exit 1
}
remaining() { echo $((deadline - SECONDS)); }
# Bounded by both `limit` seconds and the test's deadline.
run_bounded() {
  local limit=$1
  shift
  [ "$(remaining)" -lt "$limit" ] && limit=$(remaining)
  [ "$limit" -gt 0 ] || fail "test deadline reached before: $*"
  timeout "$limit" "$@"
}
job_field() { scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
# Waits (at most $3 seconds) until `test_fn` (a function) succeeds; fails with message $2 otherwise.
wait_until() {
  local limit=$1 what=$2 fn=$3 start=$SECONDS
  shift 3
  until "$fn" "$@"; do
    if [ $((SECONDS - start)) -ge "$limit" ] || [ "$SECONDS" -ge "$deadline" ]; then fail "timed out after $((SECONDS - start))s waiting for $what"; fi
    sleep 0.2
  done
}
job_ended() {
  case "$(job_field "$1" JobState)" in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED) return 0 ;;
  esac
  return 1
}
expect_completed() {  # job id, what it was
  local state exit_code
  state=$(job_field "$1" JobState)
  exit_code=$(job_field "$1" ExitCode)
  [ "$state" = COMPLETED ] && [ "$exit_code" = "0:0" ] || fail "$2 (job $1) ended $state with exit code $exit_code"
}
expect_in_file() {  # file, text, what
  grep -qF -- "$2" "$1" || fail "$3: '$2' not found in $1"
}

# Recipes: a tiny DeepSeek-V3-style model, checkpoints every 2 steps.
model='{architecture: deepseek_v3, vocab_size: 0, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
        num_attention_heads: 2, q_lora_rank: 16, kv_lora_rank: 16, qk_nope_head_dim: 8, qk_rope_head_dim: 4,
        v_head_dim: 8, n_routed_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 16, n_group: 2,
        topk_group: 1, first_k_dense_replace: 1, num_nextn_predict_layers: 1, max_position_embeddings: 64}'
cat >"$work/requeue.yaml" <<EOF
run_dir: $work/run
seed: 7
tokenizer: {source: train, vocab_size: 300, train_examples: 300}
synth: {min_terms: 2, max_terms: 3, min_digits: 1, max_digits: 1}
checkpoint: {every: 2, keep: 3}
model: $model
stages:
  - {kind: pretrain, steps: 60, batch_size: 32, micro_batch_size: 8, seq_len: 48, log_every: 5, data: {examples: 400}}
  - {kind: sft, steps: 10, batch_size: 8, micro_batch_size: 8, seq_len: 48, log_every: 5, data: {examples: 50}}
EOF
cat >"$work/chain.yaml" <<EOF
run_dir: $work/chain-run
seed: 11
tokenizer: {source: train, vocab_size: 300, train_examples: 300}
synth: {min_terms: 2, max_terms: 3, min_digits: 1, max_digits: 1}
checkpoint: {every: 2, keep: 2}
model: $model
stages:
  - {kind: pretrain, name: warmup, steps: 6, batch_size: 16, micro_batch_size: 8, seq_len: 48, data: {examples: 200}}
  - {kind: sft, name: tune, steps: 4, batch_size: 8, micro_batch_size: 8, seq_len: 48, data: {examples: 50}}
  - {kind: eval, name: check, data: {split: heldout, examples: 4}, eval: {samples: 1, sampling: {max_new_tokens: 8}}}
EOF
cd "$work" || exit 1

phase "r1.sbatch error paths (no Slurm needed)"
out=$(bash "$src/jobs/r1.sbatch" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "missing CONFIG" <<<"$out" || fail "r1.sbatch without CONFIG: exit $rc, output: $out"
out=$(bash "$src/jobs/r1.sbatch" "$work/nope.yaml" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "is not a file" <<<"$out" || fail "r1.sbatch with a missing CONFIG file: exit $rc, output: $out"
out=$(R1_BIN="$work/no-r1" bash "$src/jobs/r1.sbatch" "$work/requeue.yaml" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "r1 binary not found" <<<"$out" || fail "r1.sbatch with a missing binary: exit $rc, output: $out"

phase "(a) reference: uninterrupted run on $ranks rank(s), no Slurm"
if [ "$ranks" -gt 1 ]; then
  run_bounded 240 mpirun -np "$ranks" "$r1" run "$work/requeue.yaml" >"$work/reference.log" 2>&1 || { tail -n 30 "$work/reference.log"; fail "reference run"; }
else
  run_bounded 240 "$r1" run "$work/requeue.yaml" >"$work/reference.log" 2>&1 || { tail -n 30 "$work/reference.log"; fail "reference run"; }
fi
# Same run_dir for both runs (the config, run_dir included, is stored in every checkpoint).
mv "$work/run" "$work/reference"

phase "bring up the private Slurm cluster"
mkdir -p "$work/cluster"
slurm_cluster_start "$work/cluster" || fail "could not start the test cluster"

phase "(b) jobs/r1.sbatch: stop with the early-warning signal, requeue, resume"
job=$(run_bounded 30 sbatch --parsable --requeue --ntasks-per-node="$ranks" --output="$work/requeue-%j.out" \
      "$src/jobs/r1.sbatch" "$work/requeue.yaml") || fail "sbatch jobs/r1.sbatch"
job=${job%%;*}
echo "job $job submitted"
# r1 creates metrics.jsonl once every rank has its signal handlers and the inputs are checked, just
# before the first step: stopping then leaves nearly the whole first stage to the second attempt.
run_started() { [ -f "$work/run/metrics.jsonl" ] || job_ended "$job"; }
wait_until 180 "job $job to start training" run_started
[ "$(job_field "$job" JobState)" = RUNNING ] || fail "job $job ended ($(job_field "$job" JobState)) before it could be stopped"
echo "training started; sending SIGUSR1 to the batch shell of job $job"
run_bounded 30 scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 --batch $job"
requeued() { [ "$(job_field "$job" Restarts)" = 1 ] && [ "$(job_field "$job" JobState)" = PENDING ]; }
wait_until 120 "job $job to be requeued (pending, Restarts=1)" requeued
echo "requeued: $(scontrol show job "$job" | grep -o 'JobState=[A-Z]* Reason=[A-Za-z]*'); releasing it now"
run_bounded 30 scontrol update JobId="$job" StartTime=now || fail "scontrol update JobId=$job StartTime=now"
wait_until 300 "job $job to finish after its requeue" job_ended "$job"
expect_completed "$job" "the requeued r1.sbatch job"
[ "$(job_field "$job" Restarts)" = 1 ] || fail "job $job: Restarts=$(job_field "$job" Restarts), expected 1"
log="$work/requeue-$job.out"
expect_in_file "$log" "attempt 1 (SLURM_RESTART_COUNT=0)" "first attempt"
expect_in_file "$log" "received SIGUSR1" "the batch shell's trap"
expect_in_file "$log" "r1 exited with status 85" "the stopped first attempt"
stop_checkpoint=$(sed -n 's|^restart: resuming from .*/\(step_[0-9]*\.h5\) at stage 1/2.*|\1|p' "$log")
[ -n "$stop_checkpoint" ] || fail "the second attempt did not resume within stage 1 (pretrain); see $log"
echo "stopped mid-stage; the second attempt resumed from $stop_checkpoint"
expect_in_file "$log" "requeued job $job" "the requeue"
expect_in_file "$log" "attempt 2 (SLURM_RESTART_COUNT=1)" "second attempt"
expect_in_file "$log" "restart: resuming from" "the second attempt's resume"
expect_in_file "$log" "r1 exited with status 0" "the finished second attempt"

compared=0
for ref in "$work"/reference/checkpoints/step_*.h5; do
  name=$(basename "$ref")
  [ -f "$work/run/checkpoints/$name" ] || continue
  "$r1" ckpt diff "$ref" "$work/run/checkpoints/$name" || fail "checkpoint $name of the requeued run differs from the uninterrupted run's"
  compared=$((compared + 1))
done
[ "$compared" -ge 2 ] || fail "only $compared checkpoint(s) in common between $work/reference and $work/run"
[ "$(cat "$work/reference/checkpoints/latest")" = "$(cat "$work/run/checkpoints/latest")" ] ||
  fail "latest: $(cat "$work/reference/checkpoints/latest") (reference) vs $(cat "$work/run/checkpoints/latest") (requeued)"
# The comparison can fail: two different checkpoints differ.
mapfile -t ref_files < <(ls "$work"/reference/checkpoints/step_*.h5)
"$r1" ckpt diff "${ref_files[0]}" "${ref_files[1]}" >/dev/null; rc=$?
[ $rc -eq 1 ] || fail "r1 ckpt diff of two different checkpoints exited $rc, expected 1"

phase "(c) jobs/chain.sh: one job per stage (mpirun launcher)"
chain_out=$(run_bounded 60 env R1_LAUNCHER=mpirun "$src/jobs/chain.sh" "$work/chain.yaml" --ntasks-per-node="$ranks" \
            --output="$work/chain-%j.out") || fail "jobs/chain.sh: $chain_out"
echo "$chain_out"
read -r -a chain_jobs <<<"$(sed -n 's/^jobs: //p' <<<"$chain_out")"
[ ${#chain_jobs[@]} -eq 3 ] || fail "jobs/chain.sh printed ${#chain_jobs[@]} job ids for 3 stages"
stage_names=(warmup tune check)
for i in 0 1 2; do
  j=${chain_jobs[$i]}
  expected="stage $i ${stage_names[$i]}: job $j"
  [ "$i" -eq 0 ] || expected="$expected (after ${chain_jobs[$((i - 1))]})"
  grep -qxF "$expected" <<<"$chain_out" || fail "chain.sh output lacks the line '$expected'"
done
for i in 0 1 2; do
  j=${chain_jobs[$i]}
  wait_until 240 "chain job $j (stage ${stage_names[$i]})" job_ended "$j"
  expect_completed "$j" "chain stage ${stage_names[$i]}"
  log="$work/chain-$j.out"
  expect_in_file "$log" "--stop-after ${stage_names[$i]}" "chain job $j"
  if [ "$i" -gt 0 ]; then
    expect_in_file "$log" "restart: resuming from" "chain job $j resuming"
    previous=${chain_jobs[$((i - 1))]}
    # afterok: this job started only once the previous one had ended (ISO times sort as text).
    [[ ! "$(job_field "$j" StartTime)" < "$(job_field "$previous" EndTime)" ]] ||
      fail "chain job $j started at $(job_field "$j" StartTime), before job $previous ended at $(job_field "$previous" EndTime)"
  fi
done
expect_in_file "$work/chain-${chain_jobs[0]}.out" "stopped after stage 1/3" "stage 1 of the chain"
expect_in_file "$work/chain-${chain_jobs[1]}.out" "stopped after stage 2/3" "stage 2 of the chain"
expect_in_file "$work/chain-${chain_jobs[2]}.out" "recipe finished: 3 stages" "stage 3 of the chain"
last=$(cat "$work/chain-run/checkpoints/latest" 2>/dev/null) || fail "the chain left no checkpoints/latest"
"$r1" ckpt verify "$work/chain-run/checkpoints/$last" || fail "the chain's last checkpoint $last does not verify"
grep -q '"stage":"check"' "$work/chain-run/metrics.jsonl" || fail "no metrics of the chain's eval stage"

phase "(d) jobs/scaling.sh --nodes 1"
run_bounded 240 env R1_SCALING_POLL_S=1 "$src/jobs/scaling.sh" "$work/chain.yaml" --nodes 1 --weak --ranks-per-node "$ranks" \
  --batch-per-rank 8 --steps 3 --warmup 1 --out "$work/scaling" --timeout 200 >"$work/scaling.log" 2>&1 ||
  { cat "$work/scaling.log"; fail "jobs/scaling.sh"; }
cat "$work/scaling.log"
csv="$work/scaling/scaling.csv"
[ -f "$csv" ] || fail "no $csv"
[ "$(wc -l <"$csv")" -eq 2 ] || fail "$csv: expected a header and one row, got: $(cat "$csv")"
head -n 1 "$csv" | grep -q '^nodes,ranks,global_batch,.*,speedup,efficiency$' || fail "$csv header: $(head -n 1 "$csv")"
awk -F, -v ranks="$ranks" 'NR == 2 { exit !($1 == 1 && $2 == ranks && $3 == 8 * ranks && $5 > 0 && $13 == 1.0) }' "$csv" ||
  fail "$csv row: $(tail -n 1 "$csv") (expected 1 node, $ranks ranks, batch $((8 * ranks)), tokens/s > 0, efficiency 1.000)"
if { command -v python3 >/dev/null && python3 -c 'import matplotlib' 2>/dev/null; } || command -v gnuplot >/dev/null; then
  [ -s "$work/scaling/scaling.png" ] || fail "no scaling.png although a plotting tool is installed"
else
  grep -q "no plot" "$work/scaling.log" || fail "scaling.sh said nothing about the missing plot"
fi

phase "done"
echo "PASS: slurm job scripts (requeue with bit-identical checkpoints, chain of 3 stages, scaling) in ${SECONDS}s"
