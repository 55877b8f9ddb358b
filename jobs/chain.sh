#!/bin/bash
# Submits a recipe as a chain of Slurm jobs, one per stage, for sites whose time limits are shorter
# than a whole run: job k runs `r1 run CONFIG --stop-after <stage k>` through jobs/r1.sbatch and
# starts only after job k-1 succeeded (--dependency=afterok); each resumes from the checkpoint the
# previous one wrote in the recipe's run_dir. A job that hits its time limit within a stage still
# requeues itself (jobs/r1.sbatch), and the chain waits for it.
#
#   jobs/chain.sh CONFIG [sbatch options ...] [-- key=value ...]
#
# e.g.  jobs/chain.sh configs/my.yaml --nodes=2 --ntasks-per-node=4 --gpus-per-node=4 -t 4:00:00 -- run_dir=runs/my
#
# The sbatch options apply to every job; the key=value overrides go to `r1 config stages` (which
# lists the stages) and to every `r1 run`. Prints one line per job ("stage I NAME: job ID") and then
# "jobs: ID ID ...". Environment: R1_BIN (the r1 binary; default build/cpu/r1 under the current
# folder), R1_SBATCH (the job script; default r1.sbatch next to this file), and every site setting
# jobs/r1.sbatch reads (sbatch passes the environment on).
set -uo pipefail

usage() {
  echo "usage: jobs/chain.sh CONFIG [sbatch options ...] [-- key=value ...]" >&2
  exit 2
}
fail() {
  echo "chain.sh: error: $*" >&2
  exit 2
}

[ $# -ge 1 ] || usage
case "$1" in -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;; esac
config=$1
shift
sbatch_options=()
overrides=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then
    shift
    overrides=("$@")
    break
  fi
  sbatch_options+=("$1")
  shift
done
for o in ${overrides[@]+"${overrides[@]}"}; do
  [[ "$o" == *=* ]] || fail "'$o' after -- is not a key=value override"
done

R1_BIN=${R1_BIN:-$PWD/build/cpu/r1}
[ -x "$R1_BIN" ] || fail "r1 binary not found at '$R1_BIN'; build it or set R1_BIN=/path/to/r1"
R1_BIN=$(cd "$(dirname "$R1_BIN")" && pwd)/$(basename "$R1_BIN")
export R1_BIN  # the jobs run the same binary
R1_SBATCH=${R1_SBATCH:-$(cd "$(dirname "$0")" && pwd)/r1.sbatch}
[ -f "$R1_SBATCH" ] || fail "job script not found at '$R1_SBATCH' (set R1_SBATCH)"
command -v sbatch >/dev/null 2>&1 || fail "sbatch not found: run this on a Slurm login node"

# The stage names, in run order (also checks the config and the overrides before submitting).
stage_list=$("$R1_BIN" config stages "$config" ${overrides[@]+"${overrides[@]}"}) || fail "could not read the stages of '$config' (see the message above)"
mapfile -t stages <<<"$stage_list"
[ ${#stages[@]} -gt 0 ] && [ -n "${stages[0]}" ] || fail "'$config' has no stages"

job_ids=()
previous=""
for i in "${!stages[@]}"; do
  name=${stages[$i]}
  dependency=()
  [ -n "$previous" ] && dependency=(--dependency="afterok:$previous" --kill-on-invalid-dep=yes)
  if ! out=$(sbatch --parsable --job-name="r1-$name" ${dependency[@]+"${dependency[@]}"} \
      ${sbatch_options[@]+"${sbatch_options[@]}"} "$R1_SBATCH" "$config" \
      ${overrides[@]+"${overrides[@]}"} --stop-after "$name"); then
    echo "chain.sh: error: sbatch failed for stage $i ($name)${job_ids[0]:+; already submitted: ${job_ids[*]}}" >&2
    exit 1
  fi
  id=${out%%;*}
  job_ids+=("$id")
  echo "stage $i $name: job $id${previous:+ (after $previous)}"
  previous=$id
done
echo "jobs: ${job_ids[*]}"
