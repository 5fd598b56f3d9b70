#!/bin/sh
# run-at-cpu-level.sh KESTRELC LEVEL COMMAND [ARG...]
#
# Runs COMMAND when this CPU runs code built for the x86-64 level LEVEL
# (kestrelc --print-cpu says so); otherwise says why and exits 77, which
# CTest reports as skipped. COMMAND itself is built for LEVEL, so it must
# not start on a CPU without it.
set -eu
kestrelc=$1
level=$2
shift 2
report=$("$kestrelc" --print-cpu)
if ! printf '%s\n' "$report" | grep -q "^  $level  *runs"; then
  printf '%s\n' "$report"
  echo "SKIPPED: this CPU does not run $level code"
  exit 77
fi
exec "$@"
