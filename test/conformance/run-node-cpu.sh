#!/usr/bin/env bash
# Runs every imported ONNX node test through the CPU backend and compares
# its outputs with the expected ones (run_node_cpu.py).
#   run-node-cpu.sh pinned|debian BUILD_DIR
# Exits 77 (reported by CTest as skipped) when the test data is unavailable.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$2"
data="$("$here/node-data.sh" "$1" "$build")" || exit $?
work="$build/test/conformance/cpu-$1"
rm -rf "$work"
exec "$root/.venv/bin/python" "$here/run_node_cpu.py" \
  --tool "$build/bin/kestrel-onnx-conformance" \
  --archive "$build/lib/libkestrel_rt.a" \
  --kernels "$build/lib/libkestrel_cpu_kernels-x86-64-v3.a" --work "$work" \
  --xfail "$here/node-cpu-xfail-$1.txt" "$data"
