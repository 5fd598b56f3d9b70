#!/usr/bin/env bash
# Installs every Debian package Kestrel needs to build and test. Idempotent
# and non-interactive: when everything is already installed it only checks.
# Needs root (or sudo) when something is missing.
set -euo pipefail

packages=(
  # Build tools.
  cmake ninja-build g++ clang-format git python3
  # Tests: an app finding a compiled model through its NAME.pc (binutils'
  # nm and readelf check the library's exports and SONAME).
  pkgconf binutils
  # LLVM/MLIR 22 (libMLIR.so, mlir-tblgen, lit, FileCheck).
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # Frontend and tests.
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libgtest-dev libbenchmark-dev
  # build-asan: clang with ASan, UBSan and libFuzzer (the importer fuzzer).
  clang-22 libclang-rt-22-dev
  # CPU backend: OpenBLAS as a GEMM peer in benchmarks (and a candidate kernel).
  libopenblas-dev
  # Tests: qemu-x86_64 runs compiled models on emulated CPUs of lower x86-64
  # levels (test/e2e/cpu_levels.py).
  qemu-user
)

missing=()
for pkg in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [ "$status" != "install ok installed" ]; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
