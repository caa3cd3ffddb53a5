#!/usr/bin/env bash
# Installs what s2s needs to build and test, from Debian's packages, if missing.
set -euo pipefail
# Extra packages as arguments; --mpi: Open MPI, for `make MPI=1` (training on several machines);
# --dnnl: oneDNN, for `make BLAS=dnnl` (the faster GEMM backend).
extra=()
for a in "$@"; do
    case $a in
        --mpi) extra+=(libopenmpi-dev openmpi-bin) ;;
        --dnnl) extra+=(libdnnl-dev) ;;
        *) extra+=("$a") ;;
    esac
done
pkgs=(build-essential pkg-config libopenblas-dev libcjson-dev libicu-dev libmicrohttpd-dev ${extra[@]+"${extra[@]}"})
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo > /dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
