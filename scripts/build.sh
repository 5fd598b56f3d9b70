#!/usr/bin/env bash
# Configures (once) and builds Kestrel into build/ (override with BUILD_DIR;
# KESTREL_CMAKE_ARGS adds configure options). Extra arguments go to ninja
# (targets, -j).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DMLIR_LINK_MLIR_DYLIB=ON ${KESTREL_CMAKE_ARGS:-}
fi
cmake --build "$build" -- "$@"
