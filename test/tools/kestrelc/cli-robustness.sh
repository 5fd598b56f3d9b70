#!/usr/bin/env bash
# kestrelc against every kind of bad input path and command line: each must
# give a one-line error naming the problem and the documented exit status
# (1 input rejected, 2 usage), never an abort, a signal, a hang, a stack dump
# or LLVM's bug-report banner. Run against build/ and, under ASan + UBSan,
# against build-asan/ (any sanitizer report fails the run).
#   test/tools/kestrelc/cli-robustness.sh KESTRELC WORKDIR [--sanitized]
set -uo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
kestrelc="$(realpath "$1")"
work="$2"
sanitized="${3:-}"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
model="$root/test/models/fixtures/llama-opset17/model.onnx"
failures=0

# expect STATUS PATTERN -- ARGS...: kestrelc ARGS exits with STATUS within 60 s
# and its stderr matches PATTERN (an extended regex) and nothing alarming.
expect() {
  local status="$1" pattern="$2"
  shift 3
  local err rc
  err=$(timeout 60 "$kestrelc" "$@" 2>&1 >/dev/null)
  rc=$?
  local why=""
  if [ "$rc" -ne "$status" ]; then
    why="exit $rc, expected $status"
  elif ! grep -qE -- "$pattern" <<<"$err"; then
    why="stderr does not match /$pattern/"
  elif grep -qE 'PLEASE submit|Stack dump|terminate called|Sanitizer|runtime error:' <<<"$err"; then
    why="a crash report"
  fi
  if [ -n "$why" ]; then
    echo "FAIL: kestrelc $*: $why"
    sed 's/^/    /' <<<"$err" | head -20
    failures=$((failures + 1))
  else
    echo "ok:   kestrelc $* -> $rc: $(head -1 <<<"$err" | cut -c1-150)"
  fi
}

# Input paths.
mkdir -p adir
expect 1 'adir: error: is a directory' -- adir -o out
expect 1 'fixtures/llama-dynamo: error: is a directory' -- "$root/test/models/fixtures/llama-dynamo" -o x
mkfifo fifo.onnx
expect 1 'fifo.onnx: error: is not a regular file \(a FIFO' -- fifo.onnx -o out
expect 1 'error: is not a regular file' -- /dev/null -o out
: >empty.onnx
expect 1 'empty.onnx: error: the file is empty' -- empty.onnx -o out
expect 1 'missing.onnx: error: cannot open the file: No such file' -- missing.onnx -o out
ln -s nowhere.onnx dangling.onnx
expect 1 'dangling.onnx: error: cannot open the file' -- dangling.onnx -o out
cp "$model" unreadable.onnx
chmod 000 unreadable.onnx
if [ "$(id -u)" -ne 0 ]; then
  expect 1 'unreadable.onnx: error: cannot open the file: Permission denied' -- unreadable.onnx -o out
elif command -v setpriv >/dev/null &&
  setpriv --reuid=65534 --regid=65534 --clear-groups "$kestrelc" --version \
    >/dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups \
    test -x "$work"; then
  # root reads anything: drop to nobody for this case.
  err=$(timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$kestrelc" unreadable.onnx --emit=mlir 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -eq 1 ] && grep -q 'unreadable.onnx: error: cannot open the file: Permission denied' <<<"$err"; then
    echo "ok:   kestrelc unreadable.onnx (as nobody) -> 1: $err"
  else
    echo "FAIL: kestrelc unreadable.onnx (as nobody): exit $rc: $err"
    failures=$((failures + 1))
  fi
else
  echo "skip: unreadable file (root, and nobody cannot run kestrelc here)"
fi
# A file whose reads fail part-way: /proc/self/mem reads EIO at address 0.
expect 1 'mem: error: cannot read the file: Input/output error' -- /proc/self/mem -o out
head -c 3000 "$model" >truncated.onnx
expect 1 'truncated.onnx: error: not an ONNX model' -- truncated.onnx -o out
printf 'definitely not protobuf\n' >text.onnx
expect 1 'text.onnx: error: not an ONNX model' -- text.onnx -o out
: >empty.mlir
expect 1 'empty.mlir: error: the file is empty' -- empty.mlir -o out
printf 'module {\n  func.func @main( {\n' >bad.mlir
expect 1 'bad.mlir: error: expected' -- bad.mlir -o out
expect 1 'is a directory' -- adir --onnx-op-stats
expect 1 'is not a regular file' -- fifo.onnx --emit=mlir

# Output paths: a file where the folder should be, a folder inside a file.
: >afile
expect 1 'kestrelc: error: cannot create afile' -- "$model" -o afile
expect 1 'kestrelc: error: cannot create afile/sub' -- "$model" -o afile/sub
expect 1 'adir: error: ' -- "$model" --emit=mlir -o adir

# Usage errors.
expect 2 "Unknown command line argument '--bogus'" -- --bogus
expect 2 'no input model' -- -o out
expect 2 'needs an output directory' -- "$model"
expect 2 '--target=tpu is not a target' -- "$model" --target=tpu -o out
expect 2 '--precision=fp4 is not one of' -- "$model" --target=cuda --precision=fp4 -o out
expect 2 '--cpu=pentium is not a CPU level' -- "$model" --cpu=pentium -o out
expect 2 "--name '1x' is not a C identifier" -- "$model" --name 1x -o out
expect 2 '--dim-range expects NAME=MIN:MAX' -- "$model" --dim-range seq=9:1 -o out
expect 2 "--name 'kestrel' is reserved" -- "$model" --name kestrel -o out
expect 2 "--name 'kestrel_session' is reserved" -- "$model" --name kestrel_session -o out
expect 2 '--input-shape expects NAME=DxDx' -- "$model" --input-shape input_ids=2xq -o out
expect 2 'not a kernel of the cpu target' -- "$model" --kernel=cuda.gemm.simt -o out
expect 2 "for the --emit option" -- "$model" --emit=exe -o out

# A model Kestrel cannot compile is the input's problem (1), with the node.
expect 1 "--dim-range names 'nosuchdim'" -- "$model" --dim-range nosuchdim=1:2 -o out --emit=source

# The fatal-error handlers: an exception a library throws is an error of
# the input (1) naming it; a crash prints Kestrel's bug-report request (not
# LLVM's) with the stack dump and exits 3. (Under ASan the sanitizer owns
# SIGSEGV, so the crash case runs on the plain build only.)
expect 1 'kestrelc: error: a library failed with an exception std::out_of_range: vector::_M_range_check' -- --fatal-error-self-test=library-exception
if [ -z "$sanitized" ]; then
  err=$(timeout 60 "$kestrelc" --fatal-error-self-test=crash 2>&1)
  rc=$?
  if [ "$rc" -eq 3 ] && grep -q 'PLEASE report this Kestrel bug' <<<"$err" &&
    ! grep -q 'llvm-project/issues' <<<"$err"; then
    echo "ok:   kestrelc --fatal-error-self-test=crash -> 3 with Kestrel's bug-report request"
  else
    echo "FAIL: a crash exited $rc with:"
    sed 's/^/    /' <<<"$err" | head -20
    failures=$((failures + 1))
  fi
fi

# Default names: a folder's name for DIR/model.onnx (after resolving ..),
# never one that collides with the C API.
mkdir -p kestrel sub
cp "$model" kestrel/model.onnx
cp "$model" model.onnx
"$kestrelc" kestrel/model.onnx --emit=source -o names1 >/dev/null 2>&1
(cd sub && "$kestrelc" ../model.onnx --emit=source -o ../names2 >/dev/null 2>&1)
expected_name2=$(basename "$work" | tr -c 'A-Za-z0-9_\n' '_')
if [ -f names1/model_kestrel.h ] && [ -f "names2/$expected_name2.h" ]; then
  echo "ok:   default names: kestrel/model.onnx -> model_kestrel, ../model.onnx -> $expected_name2"
else
  echo "FAIL: default names: $(ls names1 names2 2>&1 | tr '\n' ' ')"
  failures=$((failures + 1))
fi

# --version names Kestrel first.
version=$("$kestrelc" --version)
if grep -qE '^Kestrel [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]+(-dirty)?|unknown)\), runtime API version [0-9]+' <<<"$version" &&
  grep -q 'LLVM' <<<"$version"; then
  echo "ok:   kestrelc --version: $(head -1 <<<"$version")"
else
  echo "FAIL: kestrelc --version printed: $version"
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "cli-robustness: $failures failure(s)"
  exit 1
fi
echo "cli-robustness: all passed"
