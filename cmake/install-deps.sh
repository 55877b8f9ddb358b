#!/usr/bin/env bash
# Installs the Debian 12 packages r1 builds against (only those missing; no-op when all are there).
# Used by the README's two commands and by CI. Needs root or sudo.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libopenmpi-dev openmpi-bin          # MPI
  libhdf5-openmpi-dev libhdf5-dev hdf5-tools  # parallel + serial HDF5, h5dump/h5ls
  libtrilinos-kokkos-dev              # Kokkos 3.4 (Serial backend)
  libopenblas-dev                     # BLAS for host GEMMs
  libyaml-cpp-dev nlohmann-json3-dev libpcre2-dev libutf8proc-dev
  libboost-test-dev
  python3                             # the code reward's interpreter, run in r1's sandbox
  slurm-wlm munge                     # a real Slurm for the slurm-labelled test (jobs/ scripts)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
