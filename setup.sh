#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout to the main job: installs the
# Debian packages and the Python venv, configures and builds Kestrel, then
# compiles the bundled example model (a tiny Llama exported from
# transformers) with kestrelc into a library for the CPU backend, builds the
# example C application (examples/tiny_llama_app.c) against it and runs it,
# and checks the compiled model against its PyTorch reference with
# kestrel-run; then the same application compiled for the CUDA target (run
# where there is a GPU; elsewhere the library's no-GPU error is shown).
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
cd "$root"

scripts/install-deps.sh
scripts/setup-venv.sh
scripts/build.sh
build="${BUILD_DIR:-$root/build}"
out="$build/examples/tiny_llama"

fixture=test/models/fixtures/llama-opset17
echo "== main job: compile $fixture/model.onnx and run it in examples/tiny_llama_app.c and examples/cmake-app"
examples/build-and-run.sh "$build" "$out"
echo "== the same library through kestrel-run, against the PyTorch reference"
for shape in 1x8 2x5; do
  "$build/bin/kestrel-run" "$out" \
    --input "input_ids=$fixture/data/$shape/input_ids.npy" \
    --expect "output=$fixture/data/$shape/output.npy" --bench 20
done
echo "== the same application on the CUDA target (runs where there is a GPU)"
examples/build-and-run-cuda.sh "$build"
echo "== main job done"
