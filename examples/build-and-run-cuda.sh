#!/usr/bin/env bash
# The same application on the CUDA target: compiles the bundled tiny Llama
# with kestrelc --target=cuda, builds examples/tiny_llama_app.c (unchanged)
# against that library and runs it. Without a GPU the library says so
# (KESTREL_ERROR_NO_DEVICE) and this script reports it and exits 0; with a
# GPU it also checks the outputs against the PyTorch reference (bf16
# tolerance, relative L2 <= 1e-2).
#   examples/build-and-run-cuda.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
out="${2:-$build/examples/tiny_llama_cuda}"
fixture="$root/test/models/fixtures/llama-opset17"

if [ ! -f "$build/lib/libkestrel_cuda.a" ]; then
  echo "== CUDA target: not built (no CUDA toolkit at configure time); skipped"
  exit 0
fi
rm -rf "$out"
mkdir -p "$out"
"$build/bin/kestrelc" "$fixture/model.onnx" -o "$out" --name tiny_llama \
  --target=cuda:sm_80,sm_90a --precision=bf16 --stats \
  --dim-range batch=1:8 --dim-range seq=1:512
# The library needs nothing of the toolkit to load: the CUDA runtime is
# linked statically and cuBLASLt is loaded when a model opens; no RUNPATH.
lib="$out/libtiny_llama.so"
needed=$(readelf -d "$lib" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "libtiny_llama.so needs: $needed"
if grep -qE 'cublas|cudart|libcuda' <<<"$needed" ||
  readelf -d "$lib" | grep -qE 'RPATH|RUNPATH'; then
  echo "error: the CUDA library depends on the toolkit at load time" >&2
  readelf -d "$lib" >&2
  exit 1
fi
if [ -e "$out/obj" ] || [ -e "$out/kernels" ] || [ -e "$out/tiny_llama.cpp" ]; then
  echo "error: build leftovers in $out: $(ls "$out")" >&2
  exit 1
fi
cc -std=c11 -O2 -Wall -Wextra -Werror "$root/examples/tiny_llama_app.c" \
  -I "$out" -L "$out" -ltiny_llama -Wl,-rpath,"$out" -o "$out/tiny_llama_app"
set +e
log=$("$out/tiny_llama_app" "$out/tiny_llama.kweights" 16 2>&1)
status=$?
set -e
echo "$log"
if [ $status -ne 0 ]; then
  if grep -q "KESTREL_ERROR_NO_DEVICE" <<<"$log"; then
    echo "== CUDA target: built; no GPU on this machine, and the library says so"
    exit 0
  fi
  exit $status
fi
for shape in 1x8 2x5; do
  "$build/bin/kestrel-run" "$out" \
    --input "input_ids=$fixture/data/$shape/input_ids.npy" \
    --expect "output=$fixture/data/$shape/output.npy" --rtol 1e-2 --bench 20
done
