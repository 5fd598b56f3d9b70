#!/usr/bin/env bash
# Builds Kestrel (and, with clang, ASan + UBSan, kestrelc and the importer
# fuzzer in build-asan) and runs the whole test suite in one CTest run: lit,
# GoogleTest, the ONNX node-test conformance runs, the malformed-input tests
# under the sanitizers and a bounded fuzzing run.
# Installs missing Debian packages and the Python venv first, so it also
# works on a fresh checkout.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
cd "$root"

scripts/install-deps.sh
scripts/setup-venv.sh
scripts/build.sh
# The sanitizer build: clang with ASan + UBSan (and libFuzzer), CPU only.
# Its tests (onnx-*-asan, onnx-fuzz*) run from build/ against build-asan/bin.
asan_targets=(
  kestrelc          # onnx-errors-asan, onnx-mutations-asan
  kestrel-fuzz-onnx # onnx-fuzz, onnx-fuzz-regressions
  kestrel-kernel-tests-x86-64-v3 # kernels-asan-ubsan
)
asan_build="$root/build-asan"
# A build-asan configured with another compiler (GCC, before the fuzzer)
# cannot switch in place: configure it afresh.
if [ -f "$asan_build/CMakeCache.txt" ] &&
  ! grep -q '^CMAKE_CXX_COMPILER:FILEPATH=.*clang++-22$' \
    "$asan_build/CMakeCache.txt"; then
  rm -rf "$asan_build"
fi
CC=clang-22 CXX=clang++-22 BUILD_DIR="$asan_build" \
  KESTREL_CMAKE_ARGS="-DKESTREL_SANITIZE=address,undefined -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DKESTREL_ENABLE_CUDA=OFF -DKESTREL_BUILD_FUZZERS=ON" \
  scripts/build.sh "${asan_targets[@]}"
build="${BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure "$@"
