#!/usr/bin/env bash
# Times the README's main job — the whole tiny R1 recipe (built-in tiny-r1) on 2 MPI ranks — and prints
# the wall time of each stage. Works at any commit: the stage split comes from the time each
# "== stage i/N" log line appears (timestamped as the run prints), so old builds without per-stage
# metrics can be compared with new ones in one sitting; a build that writes "stage_time" records also
# prints its own split (generation, scoring, update, checkpoint, data, other).
#
# usage: bench/host_recipe.sh [--commit REV] [--config FILE] [--ranks N] [OUT_DIR]
#   --commit REV   build REV in a temporary git worktree (cpu preset) and time that instead of build/cpu
#   --config FILE  run this recipe file instead of the build's built-in tiny-r1 (e.g. today's
#                  configs/tiny-r1.yaml with an old build: the same work on old code)
#   OUT_DIR       where the run folder and the timestamped log go (default: a new folder under /tmp)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
commit="" config="" ranks=2 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --commit) commit="$2"; shift 2 ;;
    --config) config=$(realpath "$2"); shift 2 ;;
    --ranks) ranks="$2"; shift 2 ;;
    *) out="$1"; shift ;;
  esac
done
[ -n "$out" ] || out=$(mktemp -d /tmp/r1-host-recipe-XXXXXX)
mkdir -p "$out"
src="$root"
if [ -n "$commit" ]; then
  src="$out/src"
  git -C "$root" worktree add --detach "$src" "$commit" >/dev/null
  trap 'git -C "$root" worktree remove --force "$src" >/dev/null 2>&1 || true' EXIT
fi
echo "host_recipe: building $( [ -n "$commit" ] && echo "$commit" || git -C "$root" rev-parse --short HEAD) in $src/build/cpu"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
(cd "$src" && cmake --preset cpu "${launcher[@]}" >/dev/null && cmake --build --preset cpu --target r1 >/dev/null)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
log="$out/run.log"
echo "host_recipe: mpirun -np $ranks build/cpu/r1 run ${config:+$config }run_dir=$out/run  (log: $log)"
start=$(date +%s.%N)
(cd "$src" && mpirun -np "$ranks" build/cpu/r1 run ${config:+"$config"} run_dir="$out/run" 2>&1) |
  while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done > "$log"
end=$(date +%s.%N)
awk -v start="$start" -v end="$end" '
  / == stage [0-9]+\/[0-9]+: / { if (name != "") { printf "| %s | %.1f |\n", name, $1 - t0 } t0 = $1;
                                  name = $0; sub(/^[^=]*== stage [0-9]+\/[0-9]+: /, "", name) }
  END { if (name != "") printf "| %s | %.1f |\n", name, end - t0;
        printf "| **whole run** (start to exit) | **%.1f** |\n", end - start }
' "$log" | { echo "| stage | wall s |"; echo "|---|---:|"; cat; }
if grep -q '"kind":"stage_time"' "$out/run/metrics.jsonl" 2>/dev/null; then
  echo; echo "the run's own split:"; sed -n '/wall time per stage/,/^[^|]*$/p' "$log" | cut -d' ' -f2- | grep '^|'
fi
echo; grep -A6 '^[0-9.]* | stage | model' "$log" | cut -d' ' -f2- || true
