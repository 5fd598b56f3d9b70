#!/usr/bin/env bash
# Runs the ONNX node tests through the importer (kestrel-onnx-conformance).
#   run-node-import.sh pinned BUILD_DIR  -- the pinned onnx package's tests
#   run-node-import.sh debian BUILD_DIR  -- Debian's libonnx-testdata
# Exits 77 (reported by CTest as skipped) when the test data is unavailable.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="$("$here/node-data.sh" "$1" "$2")" || exit $?
# One list for both sets: a name the set does not have is neither a pass
# nor a failure.
exec "$2/bin/kestrel-onnx-conformance" --freeze-int-inputs \
  --expected-failures "$here/node-import-xfail.txt" "$data"
