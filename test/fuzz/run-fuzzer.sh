#!/usr/bin/env bash
# Runs the importer fuzzer; exits 77 (CTest's skip code) when it is not
# built (build-asan absent, or built without clang), 0 when it found
# nothing, 1 on any crash, sanitizer report, leak or timeout.
#
#   run-fuzzer.sh regressions FUZZER DIR
#       every DIR/*.onnx once (the committed regression inputs)
#   run-fuzzer.sh fuzz FUZZER PYTHON WORKDIR SECONDS [LIBFUZZER_FLAG...]
#       seeds from make_seeds.py into WORKDIR/seeds, then SECONDS of
#       fuzzing into WORKDIR/corpus; a failing input is kept in WORKDIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode="$1" fuzzer="$2"
if [ ! -x "$fuzzer" ]; then
  echo "$fuzzer does not exist (build-asan with clang builds it): skipping"
  exit 77
fi
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# libFuzzer exits 77 on a crash by default, which CTest would call skipped.
common=(-error_exitcode=1 -timeout_exitcode=1 -timeout=10 -rss_limit_mb=2048
        -detect_leaks=1)

case "$mode" in
regressions)
  dir="$3"
  shopt -s nullglob
  inputs=("$dir"/*.onnx)
  echo "run-fuzzer: ${#inputs[@]} regression inputs from $dir"
  [ ${#inputs[@]} -eq 0 ] && exit 0
  exec "$fuzzer" "${common[@]}" "${inputs[@]}"
  ;;
fuzz)
  python="$3" work="$4" seconds="$5"
  shift 5
  if [ ! -x "$python" ]; then
    echo "$python does not exist (scripts/setup-venv.sh creates it; the" \
         "seeds need onnx): skipping"
    exit 77
  fi
  root="$(cd "$here/../.." && pwd)"
  # A fresh corpus each run (the inputs of earlier failures stay).
  rm -rf "$work/corpus" "$work/seeds"
  mkdir -p "$work/corpus"
  "$python" "$here/make_seeds.py" "$work/seeds" "$work/onnx.dict" \
    "$root/docs/onnx-support.md" "$root"/test/models/fixtures/*/model.onnx
  cd "$work"
  # The target's scratch folder (createUniqueDirectory in TMPDIR) outlives
  # a libFuzzer that ends with _Exit: keep it in the work folder, emptied
  # each run, not in /tmp.
  rm -rf "$work/tmp"
  mkdir -p "$work/tmp"
  export TMPDIR="$work/tmp"
  # libFuzzer's progress goes to a log: on a failure the report is printed
  # last, where a truncated CI log still shows it.
  status=0
  "$fuzzer" "${common[@]}" -max_total_time="$seconds" -max_len=65536 \
    -dict="$work/onnx.dict" -artifact_prefix="$work/" -print_funcs=0 \
    -print_final_stats=1 "$@" "$work/corpus" "$work/seeds" \
    >"$work/fuzz.log" 2>&1 || status=$?
  grep -E '^(INFO: Seed|#[0-9]+[[:space:]]+(INITED|DONE)|Done|stat::)' \
    "$work/fuzz.log" || true
  if [ $status -ne 0 ]; then
    echo "run-fuzzer: failed (exit $status); the fuzzer's last words" \
         "($work/fuzz.log):"
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$work/fuzz.log" |
      tail -n 80
    echo "run-fuzzer: replay the input it wrote with" \
         "KESTREL_FUZZ_VERBOSE=1 $fuzzer FILE, fix the bug and add FILE" \
         "to test/fuzz/regressions/"
  fi
  exit $status
  ;;
*)
  echo "usage: run-fuzzer.sh regressions|fuzz FUZZER ..." >&2
  exit 2
  ;;
esac
