#!/usr/bin/env bash
# Compiles the bundled tiny Llama with kestrelc, builds examples/tiny_llama_app.c
# against the emitted library with the system C compiler and runs it.
#   examples/build-and-run.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
out="${2:-$build/examples/tiny_llama}"
model="$root/test/models/fixtures/llama-opset17/model.onnx"

mkdir -p "$out"
"$build/bin/kestrelc" "$model" -o "$out" --name tiny_llama --stats \
  --dim-range batch=1:8 --dim-range seq=1:512
cc -std=c11 -O2 -Wall -Wextra -Werror "$root/examples/tiny_llama_app.c" \
  -I "$out" -L "$out" -ltiny_llama -Wl,-rpath,"$out" -o "$out/tiny_llama_app"
"$out/tiny_llama_app" "$out/tiny_llama.kweights" 16
