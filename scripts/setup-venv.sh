#!/usr/bin/env bash
# Creates (or updates) the project virtualenv .venv with the pinned Python
# packages the tests need (requirements.txt). With --fixtures it also
# installs what regenerating the committed model fixtures needs (torch,
# transformers; test/models/requirements-fixtures.txt) -- never needed in CI.
# Idempotent: a stamp holding the requirements' hash skips pip when nothing
# changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
reqs=("$root/requirements.txt")
if [ "${1:-}" = "--fixtures" ]; then
  reqs+=("$root/test/models/requirements-fixtures.txt")
fi

python="${KESTREL_PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  echo "setup-venv: creating $venv with $($python --version 2>&1)"
  "$python" -m venv "$venv"
fi

stamp="$venv/.kestrel-requirements"
want="$(cat "${reqs[@]}" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && grep -qx "$want" "$stamp"; then
  echo "setup-venv: pinned packages present"
  exit 0
fi
for r in "${reqs[@]}"; do
  echo "setup-venv: pip install -r ${r#$root/}"
  "$venv/bin/pip" install --disable-pip-version-check -q -r "$r"
done
echo "$want" >> "$stamp"
