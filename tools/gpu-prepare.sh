#!/usr/bin/env bash
# tools/gpu-prepare.sh: prepares what tools/gpu-check.sh builds and runs on
# the borrowed GPU machine (issue 5, item 9). Runs HERE (no GPU needed; the
# MLIR build of kestrelc is).
#
#   tools/gpu-prepare.sh [--kestrelc PATH] [--carry DIR] [--precision LIST]
#                        [--only FIXTURE,...] [--no-fixtures] [--no-bench]
#                        [--no-emulator] [--layers N]
#
# 1. writes the Llama-style benchmark model (bench/llama_arch.py, hidden
#    2048, 4 layers, 16 heads / 4 kv-heads, ffn 5632, vocab 32000) as ONNX
#    whose 1.2 GB of weights are external data that is never written
#    (build/gpu-prepare/llama-bench/model.onnx, not carried)
# 2. checks that kestrelc supports --target=cuda --precision --emit=source
#    --no-weight-data, and says so and stops (exit 3) when it does not
# 3. compiles every fixture (test/models/fixtures/*/model.onnx) with
#    --target=cuda:sm_90a --precision=bf16 --emit=source into
#    build/gpu-carry/<fixture>/ (other precisions into <fixture>-<p>/), and
#    the benchmark model with --no-weight-data into build/gpu-carry/
#    llama-bench/ (gpu-check.sh makes its weights with kestrel-pack --dummy);
#    each fixture folder also gets emu/SHAPE/*.npy, the same CUDA code's
#    outputs on the CUDA emulator (--target=cuda-emu), which gpu-check.sh
#    compares with the GPU's (--no-emulator skips them);
#    each folder gets a carry.json saying what it is (the fixture's inputs,
#    outputs, shapes and tolerance; the benchmark's architecture). The
#    fixtures' reference .npy files are tracked, so they travel anyway.
# 4. checks that the working tree plus the carried folder stay well under the
#    device tool's 64 MiB, and prints the `run` invocation.
set -uo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 2

KESTRELC=${KESTRELC:-build/bin/kestrelc}
KESTREL_RUN=${KESTREL_RUN:-$(dirname "$KESTRELC")/kestrel-run}
DO_EMU=1
PY=${PYTHON:-.venv/bin/python}
CARRY=build/gpu-carry
SRC=${GPU_PREPARE_SRC:-build/gpu-prepare}  # the ONNX and logs; not carried
TARGET=cuda:sm_90a
PRECISIONS=bf16
ONLY=""
DO_FIXTURES=1
DO_BENCH=1
LAYERS=4
LIMIT_MIB=64
WARN_MIB=40   # "well under" the limit
FAIL_MIB=56

usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -uo/d' -e 's/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --kestrelc) KESTRELC=${2:?}; shift ;;
    --kestrelc=*) KESTRELC=${1#*=} ;;
    --carry) CARRY=${2:?}; shift ;;
    --carry=*) CARRY=${1#*=} ;;
    --precision) PRECISIONS=${2:?}; shift ;;
    --precision=*) PRECISIONS=${1#*=} ;;
    --only) ONLY=${2:?}; shift ;;
    --only=*) ONLY=${1#*=} ;;
    --no-fixtures) DO_FIXTURES=0 ;;
    --no-bench) DO_BENCH=0 ;;
    --no-emulator) DO_EMU=0 ;;
    --layers) LAYERS=${2:?}; shift ;;
    --layers=*) LAYERS=${1#*=} ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu-prepare: unknown argument '$1' (--help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $LAYERS =~ ^[1-9][0-9]*$ ]] || { echo "gpu-prepare: --layers must be a positive integer" >&2; exit 2; }
IFS=, read -r -a PREC_LIST <<<"$PRECISIONS"
for p in "${PREC_LIST[@]}"; do
  [[ $p == bf16 || $p == f16 || $p == f32 ]] || { echo "gpu-prepare: precision '$p' is not bf16, f16 or f32" >&2; exit 2; }
done

say() { printf '[gpu-prepare] %s\n' "$*"; }
die() { printf '[gpu-prepare] error: %s\n' "$*" >&2; exit 1; }
symbol() { local n=${1//[^A-Za-z0-9_]/_}; [[ $n =~ ^[0-9] ]] && n=m_$n; echo "$n"; }

[[ -x $KESTRELC ]] || die "no kestrelc at $KESTRELC (build Kestrel first, or --kestrelc PATH)"
[[ -x $PY ]] || PY=python3
"$PY" -c 'import numpy, onnx' 2>/dev/null || die "$PY lacks numpy/onnx (scripts/setup-venv.sh)"

BENCH_ARCH=(--hidden 2048 --layers "$LAYERS" --heads 16 --kv-heads 4 --ffn 5632 --vocab 32000)
BENCH_DIMS=(--dim-range batch=1:8 --dim-range seq=1:2048)

#------------------------------------------------------------------------------
# 1. The benchmark model's ONNX (graph only)
#------------------------------------------------------------------------------
if ((DO_BENCH)); then
  say "writing the benchmark model: bench/llama_arch.py onnx ${BENCH_ARCH[*]} --no-data"
  rm -rf "$SRC/llama-bench"
  "$PY" bench/llama_arch.py onnx "${BENCH_ARCH[@]}" -o "$SRC/llama-bench" --no-data ||
    die "bench/llama_arch.py failed"
fi

#------------------------------------------------------------------------------
# 2. Does this kestrelc emit CUDA source?
#------------------------------------------------------------------------------
help=$("$KESTRELC" --help 2>&1)
missing=()
grep -q -- '--target' <<<"$help" || missing+=("--target")
if grep -qiE '=cuda.*not available' <<<"$help" || ! grep -qiE 'cuda' <<<"$help"; then
  missing+=("--target=cuda")
fi
grep -q -- '--precision' <<<"$help" || missing+=("--precision")
grep -q -- '--no-weight-data' <<<"$help" || missing+=("--no-weight-data")
grep -qE '=source' <<<"$help" || missing+=("--emit=source")
if ((${#missing[@]})); then
  say "kestrelc ($KESTRELC) does not support ${missing[*]} yet"
  say "  its --help says: $(grep -iE 'target|cuda' <<<"$help" | head -n 3 | sed -e 's/^ *//' | tr '\n' ' ')"
  say "  (issue 5: the CUDA backend). Nothing was compiled; once it lands, this script runs, per fixture F:"
  say "    $KESTRELC test/models/fixtures/F/model.onnx -o $CARRY/F --target=$TARGET --precision=bf16 --emit=source --name F"
  ((DO_BENCH)) && say "    $KESTRELC $SRC/llama-bench/model.onnx -o $CARRY/llama-bench --target=$TARGET --precision=bf16 --emit=source --no-weight-data --name llama_bench ${BENCH_DIMS[*]}"
  exit 3
fi
say "kestrelc supports --target=cuda, --precision, --emit=source and --no-weight-data"

#------------------------------------------------------------------------------
# 3. Compile
#------------------------------------------------------------------------------
rm -rf "$CARRY"
mkdir -p "$CARRY" "$SRC"
declare -a RESULTS=()
failures=0

# carry.json for a fixture folder: what gpu-check.sh needs to run it.
fixture_meta() { # OUTDIR FIXTURE NAME PRECISION
  "$PY" - "$@" <<'PY'
import json, os, sys
import onnx
out, fixture, name, prec = sys.argv[1:5]
src = os.path.join("test/models/fixtures", fixture)
m = onnx.load(os.path.join(src, "model.onnx"), load_external_data=False)
inits = {t.name for t in m.graph.initializer}
inputs = [i.name for i in m.graph.input if i.name not in inits]
outputs = [o.name for o in m.graph.output]
data = os.path.join(src, "data")
shapes = sorted((s for s in os.listdir(data) if os.path.isdir(os.path.join(data, s))),
                key=lambda s: tuple(int(x) for x in s.split("x"))) if os.path.isdir(data) else []
for s in shapes:
    for n in inputs + outputs:
        if not os.path.isfile(os.path.join(data, s, n + ".npy")):
            sys.exit(f"{data}/{s}/{n}.npy is missing")
meta = {"kind": "fixture", "name": name, "fixture": fixture, "target": sys.argv[5],
        "precision": prec, "rtol": 1e-4 if prec == "f32" else 1e-2,
        "inputs": inputs, "outputs": outputs, "data": data, "shapes": shapes}
json.dump(meta, open(os.path.join(out, "carry.json"), "w"), indent=1)
PY
}

# The fixture's outputs from the same CUDA code on the CUDA emulator
# (kestrelc --target=cuda-emu), into OUTDIR/emu/SHAPE/: gpu-check.sh
# compares the GPU's results with them (issue 7). Best effort: a failure
# only leaves that comparison out.
emulated_outputs() { # OUTDIR MODEL NAME PRECISION LABEL
  local out=$1 model=$2 name=$3 p=$4 label=$5
  local emu=$SRC/emu-$label
  if ! "$KESTRELC" "$model" -o "$emu" --name "$name" --target=cuda-emu \
    --precision="$p" >"$SRC/$label.emu.log" 2>&1; then
    say "$label: no emulated outputs (kestrelc --target=cuda-emu failed; see $SRC/$label.emu.log)"
    return 0
  fi
  "$PY" - "$out" "$emu" "$KESTREL_RUN" "$name" <<'PY' || say "$label: emulated outputs failed"
import json, os, subprocess, sys
out, emu, krun, name = sys.argv[1:5]
meta = json.load(open(os.path.join(out, "carry.json")))
for shape in meta["shapes"]:
    args = [krun, emu, "--name", name, "--output-dir",
            os.path.join(out, "emu", shape)]
    for i in meta["inputs"]:
        args += ["--input", f"{i}={os.path.join(meta['data'], shape, i + '.npy')}"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"kestrel-run on the emulated library failed: {r.stderr}")
PY
}

compile() { # LABEL OUTDIR NAME -- kestrelc args...
  local label=$1 out=$2 name=$3 t0 rc log
  shift 3
  log=$SRC/$label.kestrelc.log
  t0=$(date +%s.%N)
  # The device machine's CPU is not this one: host code for AVX2 (x86-64-v3),
  # which every GPU server has, not this machine's --cpu=native.
  "$KESTRELC" "$@" --cpu=x86-64-v3 -o "$out" --name "$name" >"$log" 2>&1
  rc=$?
  local secs
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if ((rc != 0)); then
    local why
    why=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-200)
    say "$label: kestrelc FAILED (exit $rc, ${secs}s): ${why:-no message}"
    RESULTS+=("$label|FAILED: ${why:-exit $rc, no message}|-")
    failures=$((failures + 1))
    rm -rf "$out"
    return 1
  fi
  if [[ ! -f $out/CMakeLists.txt ]]; then
    say "$label: kestrelc wrote no CMakeLists.txt in $out"
    RESULTS+=("$label|FAILED: no CMakeLists.txt|-")
    failures=$((failures + 1))
    rm -rf "$out"
    return 1
  fi
  say "$label: ok (${secs}s, $(du -sh "$out" | cut -f1))"
  RESULTS+=("$label|ok (${secs}s)|$(du -sk "$out" | cut -f1) KiB")
  return 0
}

if ((DO_FIXTURES)); then
  for model in test/models/fixtures/*/model.onnx; do
    fixture=$(basename "$(dirname "$model")")
    if [[ -n $ONLY && ,$ONLY, != *,$fixture,* ]]; then continue; fi
    name=$(symbol "$fixture")
    for p in "${PREC_LIST[@]}"; do
      label=$fixture
      [[ $p == bf16 ]] || label=$fixture-$p
      out=$CARRY/$label
      if compile "$label" "$out" "$name" "$model" "--target=$TARGET" "--precision=$p" --emit=source; then
        if [[ ! -f $out/$name.kweights ]]; then
          say "$label: no $name.kweights written"
          RESULTS+=("$label|FAILED: no $name.kweights|-")
          failures=$((failures + 1))
          rm -rf "$out"
          continue
        fi
        if fixture_meta "$out" "$fixture" "$name" "$p" "$TARGET"; then
          ((DO_EMU)) && emulated_outputs "$out" "$model" "$name" "$p" "$label"
        else
          say "$label: carry.json failed"
          failures=$((failures + 1))
        fi
      fi
    done
  done
fi

if ((DO_BENCH)); then
  out=$CARRY/llama-bench
  if compile llama-bench "$out" llama_bench "$SRC/llama-bench/model.onnx" "--target=$TARGET" --precision=bf16 \
    --emit=source --no-weight-data "${BENCH_DIMS[@]}"; then
    [[ -f $out/llama_bench.kweights.json ]] ||
      { say "llama-bench: no llama_bench.kweights.json (kestrel-pack needs it)"; failures=$((failures + 1)); }
    if [[ -f $out/llama_bench.kweights ]]; then
      say "llama-bench: a weights file was written despite --no-weight-data ($(du -h "$out/llama_bench.kweights" | cut -f1)): removed"
      rm -f "$out/llama_bench.kweights"
    fi
    "$PY" - "$out" "$SRC/llama-bench/model.arch.json" "$TARGET" <<'PY' || { say "llama-bench: carry.json failed"; failures=$((failures + 1)); }
import json, os, sys
out, arch_file, target = sys.argv[1:4]
arch = json.load(open(arch_file))
meta = {"kind": "bench", "name": "llama_bench", "target": target, "precision": "bf16",
        "weights": "kestrel-pack --dummy", "dim_ranges": {"batch": [1, 8], "seq": [1, 2048]},
        "arch": arch["arch"], "onnx": {k: arch[k] for k in ("rotary", "mask", "scale", "last_only")}}
json.dump(meta, open(os.path.join(out, "carry.json"), "w"), indent=1)
PY
  fi
fi

#------------------------------------------------------------------------------
# 4. Sizes and the invocation
#------------------------------------------------------------------------------
carry_bytes=$(du -sb "$CARRY" | cut -f1)
# What the device tool sends besides: tracked and untracked-not-ignored files
# (and a shared/ folder inside the checkout, if any).
tree_bytes=$(git ls-files -z --cached --others --exclude-standard 2>/dev/null |
  xargs -0 -r stat -c %s -- 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
shared_bytes=0
if [[ -d shared ]] && git check-ignore -q shared; then
  shared_bytes=$(du -sb shared | cut -f1)
fi
total=$((carry_bytes + tree_bytes + shared_bytes))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

echo
echo "| folder | result | size |"
echo "| --- | --- | --- |"
for r in "${RESULTS[@]}"; do
  IFS='|' read -r a b c <<<"$r"
  echo "| $a | $b | $c |"
done
echo
say "carried folder $CARRY: $(mib "$carry_bytes") MiB; working tree that travels: $(mib "$tree_bytes") MiB$( ((shared_bytes)) && echo "; shared/: $(mib "$shared_bytes") MiB"); total $(mib "$total") of $LIMIT_MIB MiB"
size_ok=1
if ((total > FAIL_MIB * 1048576)); then
  say "error: $(mib "$total") MiB is too close to the $LIMIT_MIB MiB limit; carry fewer folders (--only, --precision bf16)"
  size_ok=0
elif ((total > WARN_MIB * 1048576)); then
  say "warning: $(mib "$total") MiB is not well under $LIMIT_MIB MiB"
fi

prepared=$(find "$CARRY" -mindepth 2 -maxdepth 2 -name CMakeLists.txt | wc -l)
if ((prepared == 0)); then
  say "nothing was prepared"
  exit 1
fi
for f in tools/gpu-check.sh bench/llama_arch.py; do
  git check-ignore -q "$f" && say "warning: $f is ignored by git and would not travel"
done
cat <<EOF

[gpu-prepare] $prepared folder(s) ready in $CARRY ($failures failure(s)). On the GPU machine, the device tool's run:
    command:   bash tools/gpu-check.sh
    carry:     ["$CARRY"]
    timeout_s: 540
[gpu-prepare] (gpu-check.sh keeps to 480 s itself; try it here first: tools/gpu-check.sh --dry-run)
EOF
((size_ok)) || exit 1
((failures)) && exit 1
exit 0
