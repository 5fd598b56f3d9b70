#!/usr/bin/env bash
# Prints the folder of ONNX node tests to run, generating the pinned onnx
# package's tests into BUILD_DIR first (once per onnx version and generator;
# under a lock, since several tests use them).
#   node-data.sh pinned|debian BUILD_DIR
# Exits 77 (CTest: skipped) when the test data is unavailable.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$2"
case "$1" in
  pinned)
    python="$root/.venv/bin/python"
    if [ ! -x "$python" ]; then
      echo "no project venv (scripts/setup-venv.sh): skipping" >&2; exit 77
    fi
    data="$build/test/conformance/onnx-node-tests"
    mkdir -p "$build/test/conformance"
    exec 9>"$build/test/conformance/.node-data.lock"
    flock 9
    stamp="$data/.generated-by"
    version="$("$python" -c 'import onnx; print(onnx.__version__)') $(sha256sum "$here/gen_node_tests.py" | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$version" ]; then
      rm -rf "$data"
      "$python" "$here/gen_node_tests.py" "$data" >&2
      echo "$version" > "$stamp"
    fi
    echo "$data"
    ;;
  debian)
    data=/usr/share/libonnx-testdata/data/node
    if [ ! -d "$data" ]; then
      echo "libonnx-testdata is not installed: skipping" >&2; exit 77
    fi
    echo "$data"
    ;;
  *)
    echo "usage: node-data.sh pinned|debian BUILD_DIR" >&2; exit 2 ;;
esac
