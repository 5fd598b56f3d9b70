#!/usr/bin/env bash
# Builds Kestrel and runs the whole test suite (lit + GoogleTest, one CTest
# run). Installs missing Debian packages first, so it also works on a fresh
# checkout.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
cd "$root"

scripts/install-deps.sh
scripts/setup-venv.sh
scripts/build.sh
build="${BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure "$@"
