#!/usr/bin/env bash
# Builds Kestrel (and kestrelc with ASan + UBSan in build-asan) and runs the
# whole test suite in one CTest run: lit, GoogleTest, the ONNX node-test
# conformance runs and the malformed-input tests under the sanitizers.
# Installs missing Debian packages and the Python venv first, so it also
# works on a fresh checkout.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
cd "$root"

scripts/install-deps.sh
scripts/setup-venv.sh
scripts/build.sh
# With ASan + UBSan: kestrelc, for the malformed-input tests, and the CPU
# kernel tests at the default CPU level.
BUILD_DIR="$root/build-asan" \
  KESTREL_CMAKE_ARGS="-DKESTREL_SANITIZE=address,undefined -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DKESTREL_ENABLE_CUDA=OFF" \
  scripts/build.sh kestrelc kestrel-kernel-tests-x86-64-v3
build="${BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure "$@"
