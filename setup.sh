#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout to the main job: installs the
# Debian packages, configures and builds Kestrel, then runs the bundled
# example (a Llama-style decoder layer) through kestrel-opt's shape
# refinement and cleanup pipeline.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
cd "$root"

scripts/install-deps.sh
scripts/setup-venv.sh
scripts/build.sh
build="${BUILD_DIR:-$root/build}"

echo "== main job: kestrel-opt examples/llama-block.mlir --kestrel-infer-shapes --canonicalize --cse"
"$build/bin/kestrel-opt" examples/llama-block.mlir \
  --kestrel-infer-shapes --canonicalize --cse
