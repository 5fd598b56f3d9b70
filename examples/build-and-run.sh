#!/usr/bin/env bash
# The main job: compiles the bundled tiny Llama with kestrelc, builds
# examples/tiny_llama_app.c against the emitted library with the system C
# compiler (flags from the emitted tiny_llama.pc) and runs it, then builds
# examples/cmake-app (C++17, several threads) through find_package and runs
# it from another directory.
#   examples/build-and-run.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
out="${2:-$build/examples/tiny_llama}"
model="$root/test/models/fixtures/llama-opset17/model.onnx"

rm -rf "$out"
mkdir -p "$out"
"$build/bin/kestrelc" "$model" -o "$out" --name tiny_llama --stats \
  --dim-range batch=1:8 --dim-range seq=1:512
# The app lives outside the output folder; -rpath lets it find the library.
apps="$out-apps"
rm -rf "$apps"
mkdir -p "$apps"
cc -std=c11 -O2 -Wall -Wextra -Werror "$root/examples/tiny_llama_app.c" \
  $(PKG_CONFIG_PATH="$out" pkg-config --cflags --libs tiny_llama) \
  -Wl,-rpath,"$out" -o "$apps/tiny_llama_app"
# No weights path: tiny_llama.kweights beside libtiny_llama.so.
"$apps/tiny_llama_app" - 16
cmake -S "$root/examples/cmake-app" -B "$apps/cmake-app" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -Dtiny_llama_DIR="$out" >/dev/null
cmake --build "$apps/cmake-app" >/dev/null
(cd "$apps" && "$apps/cmake-app/tiny_llama_threads" 4)
