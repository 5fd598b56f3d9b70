#!/usr/bin/env bash
# run-if-exists.sh FILE COMMAND...: runs COMMAND when FILE exists, else exits
# 77 (CTest's skip code) saying what is missing.
file="$1"; shift
if [ ! -e "$file" ]; then
  echo "$file does not exist: skipping"
  exit 77
fi
exec "$@"
