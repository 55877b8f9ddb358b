# shellcheck shell=bash disable=SC2034
# A private one-node Slurm cluster on localhost for tests: its own munged (own key and socket), a
# slurmctld and a slurmd from Debian's packages (slurm-wlm, munge), a generated minimal slurm.conf,
# free ports, and every state, spool, log and pid file in one folder the caller owns. It never
# touches a system munge or Slurm. Needs root, or passwordless sudo for starting the daemons.
#
# Sourced by a bash test:
#   source tests/slurm/slurm_cluster.sh
#   if ! slurm_cluster_available; then echo "SKIP: $SLURM_CLUSTER_UNAVAILABLE"; exit 77; fi
#   trap slurm_cluster_stop EXIT          # tears down even when the test fails
#   slurm_cluster_start "$folder"         # exports SLURM_CONF; the node is idle on return
#   sbatch ...; squeue ...                # talk to the private cluster
#
# slurm_cluster_stop cancels every job of the cluster, waits for them to end, then stops slurmd,
# slurmctld and munged by the pids in their pid files (SIGTERM, then SIGKILL after a grace period).

SLURM_CLUSTER_DIR=""
SLURM_CLUSTER_UNAVAILABLE=""
_slurm_cluster_sudo=""

_slurm_cluster_log() { echo "slurm_cluster: $*" >&2; }

# Returns 0 when the packages and privileges needed are present; otherwise sets
# SLURM_CLUSTER_UNAVAILABLE to the reason and returns 1.
slurm_cluster_available() {
  local missing=() cmd
  case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac  # the daemons live there
  for cmd in munged munge unmunge slurmctld slurmd sbatch srun squeue scontrol scancel sinfo runuser; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SLURM_CLUSTER_UNAVAILABLE="Slurm/munge not installed (missing: ${missing[*]}); install the Debian packages slurm-wlm and munge (cmake/install-deps.sh does)"
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      _slurm_cluster_sudo="sudo -n"
    else
      SLURM_CLUSTER_UNAVAILABLE="starting slurmd and munged needs root or passwordless sudo"
      return 1
    fi
  fi
  if ! id munge >/dev/null 2>&1; then
    SLURM_CLUSTER_UNAVAILABLE="the 'munge' user does not exist (the munge package creates it)"
    return 1
  fi
  return 0
}

# A TCP port on 127.0.0.1 that nothing listens on (and port+1 likewise), from a random start.
_slurm_cluster_free_port_pair() {
  local tries port
  for tries in $(seq 1 200); do
    port=$((20000 + (RANDOM * 7 + tries * 13) % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# Waits up to $1 seconds for the command "$2..." to succeed (polling every 0.2 s).
_slurm_cluster_wait_for() {
  local limit=$1 start=$SECONDS
  shift
  until "$@" >/dev/null 2>&1; do
    [ $((SECONDS - start)) -ge "$limit" ] && return 1
    sleep 0.2
  done
}

_slurm_cluster_dump_logs() {
  local f
  for f in "$SLURM_CLUSTER_DIR"/log/*.log; do
    [ -f "$f" ] || continue
    echo "---- $f (last 30 lines) ----" >&2
    $_slurm_cluster_sudo tail -n 30 "$f" >&2
  done
}

_slurm_cluster_node_idle() { sinfo -h -N -o '%t' 2>/dev/null | grep -qx 'idle'; }

# slurm_cluster_start FOLDER: FOLDER must exist (and should be empty); the cluster lives in it.
slurm_cluster_start() {
  local dir
  dir=$(cd "$1" && pwd) || return 1
  SLURM_CLUSTER_DIR="$dir"
  local S=$_slurm_cluster_sudo
  local munge_dir="$dir/munge" sock="$dir/munge/munge.socket"
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  chmod 755 "$dir"

  # munged: private key, socket, pid, log and seed files in a folder owned by the munge user.
  $S mkdir -p "$munge_dir"
  $S sh -c "head -c 1024 /dev/urandom > '$munge_dir/munge.key'"
  $S chown -R munge:munge "$munge_dir"
  $S chmod 755 "$munge_dir"  # munged: the socket folder must be searchable by all
  $S chmod 400 "$munge_dir/munge.key"
  if ! $S runuser -u munge -- test -x "$munge_dir"; then
    _slurm_cluster_log "the munge user cannot reach $munge_dir: every folder above it must be searchable by others (chmod o+x)"
    return 1
  fi
  if ! $S runuser -u munge -- munged --socket="$sock" --key-file="$munge_dir/munge.key" \
      --pid-file="$munge_dir/munged.pid" --log-file="$munge_dir/munged.log" --seed-file="$munge_dir/munged.seed" 2>"$dir/log/munged-start.log"; then
    _slurm_cluster_log "munged failed to start:"
    cat "$dir/log/munged-start.log" >&2
    $S cat "$munge_dir/munged.log" >&2 2>/dev/null
    return 1
  fi
  if ! _slurm_cluster_wait_for 10 sh -c "munge -S '$sock' -n | unmunge -S '$sock'"; then
    _slurm_cluster_log "munge credentials do not round-trip through $sock"
    $S cat "$munge_dir/munged.log" >&2
    return 1
  fi

  # slurm.conf: this machine's CPU layout (slurmd -C), free ports, no accounting, no cgroups.
  local hw cpus sockets cores threads port
  hw=$($S slurmd -C 2>/dev/null | head -n 1)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
  sockets=$(sed -n 's/.* SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$hw")
  cores=$(sed -n 's/.* CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$hw")
  threads=$(sed -n 's/.* ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$hw")
  local node_layout="CPUs=${cpus:-$(nproc)}"
  if [ -n "$sockets" ] && [ -n "$cores" ] && [ -n "$threads" ]; then
    node_layout="$node_layout Sockets=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads"
  fi
  port=$(_slurm_cluster_free_port_pair) || { _slurm_cluster_log "no free TCP port pair found"; return 1; }
  cat >"$dir/slurm.conf" <<EOF
# Generated by tests/slurm/slurm_cluster.sh: a one-node test cluster on localhost.
ClusterName=r1test
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
JobRequeue=1
KillWait=5
MinJobAge=600
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd.%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=localhost NodeAddr=127.0.0.1 $node_layout RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"

  if ! $S env SLURM_CONF="$SLURM_CONF" slurmctld -f "$SLURM_CONF" -i 2>"$dir/log/slurmctld-start.log" ||
     ! _slurm_cluster_wait_for 20 scontrol ping; then
    _slurm_cluster_log "slurmctld did not come up"
    cat "$dir/log/slurmctld-start.log" >&2
    _slurm_cluster_dump_logs
    return 1
  fi
  if ! $S env SLURM_CONF="$SLURM_CONF" slurmd -f "$SLURM_CONF" -N localhost 2>"$dir/log/slurmd-start.log" ||
     ! _slurm_cluster_wait_for 30 _slurm_cluster_node_idle; then
    _slurm_cluster_log "slurmd did not register an idle node; sinfo says: $(sinfo -h -N -o '%t %E' 2>&1)"
    cat "$dir/log/slurmd-start.log" >&2
    _slurm_cluster_dump_logs
    return 1
  fi
  _slurm_cluster_log "up: $hw; ports $port/$((port + 1)); SLURM_CONF=$SLURM_CONF"
}

# Stops the process whose pid is in file $1: SIGTERM, then SIGKILL after $2 seconds.
_slurm_cluster_stop_pidfile() {
  local file=$1 grace=$2 pid i
  [ -f "$file" ] || return 0
  pid=$($_slurm_cluster_sudo cat "$file" 2>/dev/null)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  $_slurm_cluster_sudo kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 $((grace * 5))); do
    $_slurm_cluster_sudo kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  _slurm_cluster_log "pid $pid ($file) ignored SIGTERM for ${grace}s; sending SIGKILL"
  $_slurm_cluster_sudo kill -KILL "$pid" 2>/dev/null
  return 0
}

slurm_cluster_stop() {
  [ -n "$SLURM_CLUSTER_DIR" ] || return 0
  local dir=$SLURM_CLUSTER_DIR
  if [ -f "$dir/run/slurmctld.pid" ] && timeout 10 scontrol ping >/dev/null 2>&1; then
    # Cancel until the queue is empty (a job script may requeue itself while being cancelled).
    local jobs start=$SECONDS announced=0
    while jobs=$(timeout 10 squeue -h -o '%i' 2>/dev/null | tr '\n' ' ') && [ -n "${jobs// /}" ]; do
      if [ $((SECONDS - start)) -ge 30 ]; then
        _slurm_cluster_log "jobs still listed after 30 s: $jobs"
        break
      fi
      [ "$announced" -eq 1 ] || _slurm_cluster_log "cancelling jobs: $jobs"
      announced=1
      # shellcheck disable=SC2086
      timeout 10 scancel $jobs 2>/dev/null
      sleep 1
    done
  fi
  _slurm_cluster_stop_pidfile "$dir/run/slurmd.pid" 10
  _slurm_cluster_stop_pidfile "$dir/run/slurmctld.pid" 10
  _slurm_cluster_stop_pidfile "$dir/munge/munged.pid" 5
  SLURM_CLUSTER_DIR=""
  _slurm_cluster_log "stopped"
}
