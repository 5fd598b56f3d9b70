#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout to the main job: installs the
# Debian packages and the Python venv, configures and builds Kestrel, then
# imports the bundled example model (a tiny Llama exported from
# transformers) with kestrelc and shows what it became. (Compiling it to a
# library and running it comes with the CPU backend.)
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
cd "$root"

scripts/install-deps.sh
scripts/setup-venv.sh
scripts/build.sh
build="${BUILD_DIR:-$root/build}"

model=test/models/fixtures/llama-opset17/model.onnx
echo "== main job: import the bundled tiny Llama ($model) with kestrelc"
"$build/bin/kestrelc" "$model" --onnx-op-stats
"$build/bin/kestrelc" "$model" --input-shape input_ids=1x16 -o "$build/llama-tiny.mlir"
echo "== imported (static 1x16 input), shape-refined and cleaned up: $build/llama-tiny.mlir"
grep -o '= kestrel\.[a-z_]*' "$build/llama-tiny.mlir" | sed 's/= //' | sort | uniq -c | sort -rn
echo "== the same pipeline on examples/llama-block.mlir with kestrel-opt"
"$build/bin/kestrel-opt" examples/llama-block.mlir \
  --kestrel-infer-shapes --canonicalize --cse -o "$build/llama-block.mlir"
# (No pipe into head: with pipefail its early exit would fail the script.)
head -n 12 "$build/llama-block.mlir"
echo "== main job done"
