#!/usr/bin/env bash
# Runs the ONNX node tests through the importer (kestrel-onnx-conformance).
#   run-node-import.sh pinned BUILD_DIR  -- the pinned onnx package's tests,
#                                           generated into BUILD_DIR first
#   run-node-import.sh debian BUILD_DIR  -- Debian's libonnx-testdata
# Exits 77 (reported by CTest as skipped) when the test data is unavailable.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$2"
tool="$build/bin/kestrel-onnx-conformance"
case "$1" in
  pinned)
    python="$root/.venv/bin/python"
    if [ ! -x "$python" ]; then
      echo "no project venv (scripts/setup-venv.sh): skipping"; exit 77
    fi
    data="$build/test/conformance/onnx-node-tests"
    stamp="$data/.generated-by"
    version="$("$python" -c 'import onnx; print(onnx.__version__)') $(sha256sum "$here/gen_node_tests.py" | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$version" ]; then
      rm -rf "$data"
      "$python" "$here/gen_node_tests.py" "$data"
      echo "$version" > "$stamp"
    fi
    exec "$tool" --freeze-int-inputs \
      --expected-failures "$here/node-import-xfail.txt" "$data"
    ;;
  debian)
    data=/usr/share/libonnx-testdata/data/node
    if [ ! -d "$data" ]; then
      echo "libonnx-testdata is not installed: skipping"; exit 77
    fi
    exec "$tool" --freeze-int-inputs "$data"
    ;;
  *)
    echo "usage: run-node-import.sh pinned|debian BUILD_DIR" >&2; exit 2 ;;
esac
