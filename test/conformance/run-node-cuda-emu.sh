#!/usr/bin/env bash
# Runs every imported ONNX node test through the CUDA target on the CUDA
# emulator (f32 storage) and compares its outputs with the expected ones
# (run_node_cpu.py --emulator).
#   run-node-cuda-emu.sh pinned|debian BUILD_DIR CUDA_INCLUDE
# Exits 77 (reported by CTest as skipped) when the test data is unavailable.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$2"
data="$("$here/node-data.sh" "$1" "$build")" || exit $?
work="$build/test/conformance/cuda-emu-$1"
rm -rf "$work"
exec "$root/.venv/bin/python" "$here/run_node_cpu.py" \
  --tool "$build/bin/kestrel-onnx-conformance" \
  --archive "$build/lib/libkestrel_rt.a" \
  --kernels "$build/lib/libkestrel_cpu_kernels-x86-64-v3.a" --work "$work" \
  --emulator --cuda-rt "$build/lib/libkestrel_cuda_rt_emu.a" \
  --cuda-kernels "$build/lib/libkestrel_cuda_emu.a" \
  --emu-dir "$build/cuda-emulation" --cuda-include "$3" \
  --xfail "$here/node-cuda-emu-xfail-$1.txt" "$data"
