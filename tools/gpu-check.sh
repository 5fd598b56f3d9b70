#!/usr/bin/env bash
# tools/gpu-check.sh: the one script the borrowed GPU machine runs (issue 5,
# item 9). Run from the repository root, with the emitted-source folders
# that tools/gpu-prepare.sh wrote carried along:
#
#   device tool `run`: command "bash tools/gpu-check.sh",
#                      carry ["build/gpu-carry"], timeout_s 540
#
# Steps (each guarded: a failure is recorded and the rest still runs):
#   1. environment: nvidia-smi (queries only; clocks and settings are never
#      touched), nvcc, cmake, torch
#   2. build every CARRY/*/ holding a CMakeLists.txt (CMake, Release, CUDA
#      arch 90a, 16 jobs), timed: the folder with the most generated kernels
#      first and alone, then all the others at once, which reuse its objects
#      of the identical runtime/kernel-library sources (an object cache keyed
#      by content; --no-object-cache builds each folder from scratch)
#   3. correctness: each fixture library against its stored PyTorch
#      references (test/models/fixtures/F/data/BxS/*.npy) with kestrel-run
#      --expect, rel L2 <= 1e-2 (bf16/f16) or 1e-4 (f32), kernel by kernel
#      and replaying a CUDA graph
#   4. benchmark: the Llama-style model (CARRY/llama-bench, dummy weights
#      from kestrel-pack --dummy), prefill only (Kestrel has no KV cache
#      yet): kestrel-run --bench at 1x512, 4x512, 1x128 while time allows,
#      then PyTorch eager and torch.compile on the same architecture in bf16
#      (bench/llama_arch.py torch-bench; it sets up and compiles while step 2
#      builds, and times only once Kestrel is done)
#   5. $OUT/gpu-check.json, $OUT/gpu-check.md and the Markdown table, last
# The whole run keeps to a budget (default 480 s) and skips what no longer
# fits. $OUT also gets gpu-check.log (everything printed), logs.tar.gz (the
# build, kestrel-run and PyTorch logs), torch-bench.json, nvidia-smi-q.txt.
#
#   tools/gpu-check.sh --dry-run    here, without a GPU: everything that needs
#                                   none; kestrel-run's NO_DEVICE errors are
#                                   the expected result; PyTorch runs a tiny
#                                   model on the CPU to exercise the path
set -uo pipefail
export LC_ALL=C

usage() {
  cat <<'EOF'
usage: tools/gpu-check.sh [--dry-run] [--carry DIR] [--only A,B,...]
                          [--budget SECONDS] [--jobs N] [--build-parallel N]
                          [--shapes BxS,...] [--runs N] [--no-torch]
                          [--no-compile] [--no-object-cache]
  --dry-run          no GPU needed: builds what is there, expects NO_DEVICE
                     from kestrel-run, PyTorch on the CPU at a tiny size
  --carry DIR        the carried emitted-source folders (build/gpu-carry)
  --only A,B         only these folders of DIR
  --budget S         total seconds (480); remaining steps are skipped near it
  --jobs N           compile jobs in all (16): one folder alone builds with
                     -j N; several at once share them (-j max(2, 2N/folders))
  --build-parallel N folders built at once (0: all)
  --shapes LIST      benchmark shapes, in priority order (1x512,4x512,1x128)
  --runs N           timed runs per run set (Kestrel 30, PyTorch 20)
  --no-torch         skip the PyTorch side
  --no-compile       skip torch.compile (eager only)
  --no-object-cache  compile every folder's copy of the runtime and kernel
                     library (by default the first folder builds alone and
                     the others reuse its objects of kestrel-src/)
Environment: OUT (results folder; default a temporary one), GPU_CHECK_PYTHON
(python3; in --dry-run .venv/bin/python when present), GPU_CHECK_ARCH (90a,
passed as CMAKE_CUDA_ARCHITECTURES), GPU_CHECK_GENCODE (if set, passed as
KESTREL_CUDA_GENCODE). KESTREL_RUN_PLAIN_FLAG / KESTREL_RUN_GRAPH_FLAG force
kestrel-run's flags for launching kernel by kernel / replaying a CUDA graph;
by default they are read off kestrel-run --help (--no-cuda-graph, where graph
replay is the default, or --cuda-graph, where it is not).
EOF
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 2

DRY_RUN=0
CARRY=build/gpu-carry
BUDGET=480
JOBS=16
BUILD_PAR=0
ONLY=""
SHAPES="1x512,4x512,1x128"
RUNS=""
DO_TORCH=1
DO_COMPILE=1
OBJ_CACHE=1
while (($#)); do
  case $1 in
    --dry-run) DRY_RUN=1 ;;
    --carry) CARRY=${2:?--carry needs a folder}; shift ;;
    --carry=*) CARRY=${1#*=} ;;
    --budget) BUDGET=${2:?}; shift ;;
    --budget=*) BUDGET=${1#*=} ;;
    --jobs) JOBS=${2:?}; shift ;;
    --jobs=*) JOBS=${1#*=} ;;
    --build-parallel) BUILD_PAR=${2:?}; shift ;;
    --build-parallel=*) BUILD_PAR=${1#*=} ;;
    --only) ONLY=${2:?}; shift ;;
    --only=*) ONLY=${1#*=} ;;
    --shapes) SHAPES=${2:?}; shift ;;
    --shapes=*) SHAPES=${1#*=} ;;
    --runs) RUNS=${2:?}; shift ;;
    --runs=*) RUNS=${1#*=} ;;
    --no-torch) DO_TORCH=0 ;;
    --no-compile) DO_COMPILE=0 ;;
    --no-object-cache) OBJ_CACHE=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
for v in BUDGET JOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "gpu-check: $v must be a positive integer" >&2; exit 2; }
done
[[ $BUILD_PAR =~ ^[0-9]+$ ]] || { echo "gpu-check: --build-parallel must be an integer >= 0" >&2; exit 2; }
[[ -z $RUNS || $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "gpu-check: --runs must be a positive integer" >&2; exit 2; }
KRUNS=${RUNS:-30}
TRUNS=${RUNS:-20}
ARCH=${GPU_CHECK_ARCH:-90a}

if [[ -n ${GPU_CHECK_PYTHON:-} ]]; then
  PY=$GPU_CHECK_PYTHON
elif ((DRY_RUN)) && [[ -x .venv/bin/python ]]; then
  PY=.venv/bin/python
else
  PY=python3
fi

if [[ -z ${OUT:-} ]]; then
  OUT=$(mktemp -d /tmp/gpu-check-out.XXXXXX)
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/gpu-check-work.XXXXXX)
RECORDS=$WORK/records.jsonl
: >"$RECORDS"
LOG=$OUT/gpu-check.log

# Everything printed goes to the log too; the tee is waited for at the end so
# the final table is not cut off.
exec 3>&1 4>&2
exec > >(tee -a "$LOG") 2>&1
TEE_PID=$!

START=$SECONDS
now() { if [[ -n ${EPOCHREALTIME:-} ]]; then echo "$EPOCHREALTIME"; else date +%s.%N; fi; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
elapsed() { echo $((SECONDS - START)); }
left() { echo $((BUDGET - (SECONDS - START))); }
have_time() { (($(left) >= $1)); }
say() { printf '[gpu-check %4ss] %s\n' "$(elapsed)" "$*"; }
step() { printf '\n[gpu-check %4ss] ==== %s ====\n' "$(elapsed)" "$*"; }

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/}
  s=$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')
  printf '"%s"' "$s"
}
# rec SECTION key=value ...: one JSON line; numbers, true, false and null
# stay bare, everything else becomes a string.
rec() {
  local line kv k v
  line="{\"section\":$(json_str "$1")"
  shift
  for kv in "$@"; do
    k=${kv%%=*}
    v=${kv#*=}
    if [[ $v =~ ^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$ || $v == true || $v == false || $v == null ]]; then
      line+=",$(json_str "$k"):$v"
    else
      line+=",$(json_str "$k"):$(json_str "$v")"
    fi
  done
  printf '%s}\n' "$line" >>"$RECORDS"
}
last_line() { grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1 | sed -e 's/^[A-Za-z0-9._-]*: error: //' | cut -c1-300; }

TORCH_PID=""
FINISHED=0
finish() {
  ((FINISHED)) && return
  FINISHED=1
  if [[ -n $TORCH_PID ]] && kill -0 "$TORCH_PID" 2>/dev/null; then
    kill "$TORCH_PID" 2>/dev/null
    wait "$TORCH_PID" 2>/dev/null
  fi
  [[ -f $WORK/torch.json ]] && cp "$WORK/torch.json" "$OUT/torch-bench.json"
  local logs=()
  mapfile -t logs < <(cd "$WORK" && ls -- build-*.log kestrel-*.log torch.log entries.err 2>/dev/null)
  ((${#logs[@]})) && (cd "$WORK" && tar czf "$OUT/logs.tar.gz" "${logs[@]}")
  rec meta key=elapsed_s value="$(elapsed)"
  step "summary"
  if ! "$PY" - "$RECORDS" "$WORK/torch.json" "$OUT" "$DRY_RUN" <<'PY'
import json, math, os, statistics, sys
records_path, torch_path, out, dry = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
recs = []
with open(records_path, encoding="utf-8", errors="replace") as f:
    for line in f:
        line = line.strip()
        if line:
            try:
                recs.append(json.loads(line))
            except ValueError:
                recs.append({"section": "unparsed", "line": line[:300]})
torch = None
if os.path.exists(torch_path):
    try:
        torch = json.load(open(torch_path))
    except ValueError:
        torch = None
sec = lambda name: [r for r in recs if r.get("section") == name]
env = {r["key"]: r.get("value") for r in sec("env")}
meta = {r["key"]: r.get("value") for r in sec("meta")}
builds, checks, kbench, notes = sec("build"), sec("correctness"), sec("kestrel_bench"), sec("note")
result = {"dry_run": dry, "env": env, "meta": meta, "builds": builds,
          "correctness": checks, "kestrel_bench": kbench, "torch": torch,
          "notes": [n.get("text") for n in notes], "skipped": sec("skip")}

def fmt(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, (int, float)):
        return f"{x:.{digits}g}" if abs(x) < 1e-2 and x != 0 else f"{x:.{digits}f}"
    return str(x)

def fmt_g(x):
    return f"{x:g}" if isinstance(x, (int, float)) else str(x if x is not None else "-")

lines = []
title = "Kestrel GPU check" + (" (DRY RUN, no GPU: NO_DEVICE is the expected result)" if dry else "")
lines.append(f"## {title}")
lines.append("")
lines.append(f"GPU: {env.get('gpu', '-')}; nvcc {env.get('nvcc', '-')}; torch {env.get('torch', '-')}; "
             f"CUDA arch {meta.get('arch', '-')}; {meta.get('elapsed_s', '-')} s of a {meta.get('budget_s', '-')} s budget")
lines.append("")
# Builds
lines.append("| build | result | seconds |")
lines.append("| --- | --- | --- |")
if not builds:
    lines.append("| (none carried) | - | - |")
for b in builds:
    lines.append(f"| {b.get('dir')} | {b.get('status')} | {fmt(b.get('seconds'), 1)} |")
lines.append("")
# Correctness: one row per fixture and shape, plain and graph side by side.
passed = sum(1 for c in checks if c.get("status") == "pass")
expected_nodev = sum(1 for c in checks if c.get("status") == "no-gpu (expected)")
if checks:
    lines.append("| fixture | shape | precision | tol | rel L2, kernel by kernel | rel L2, CUDA graph | rel L2, GPU vs emulator | result |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = {}
    for c in checks:
        rows.setdefault((c.get("fixture"), c.get("shape")), {})[c.get("mode")] = c
    for (fx, shape), modes in rows.items():
        p, g = modes.get("plain", {}), modes.get("graph", {})
        e = modes.get("vs-emulator", {})
        any_c = p or g or e
        res = "; ".join(f"{m}: {c.get('status')}" for m, c in
                        (("plain", p), ("graph", g), ("vs emulator", e)) if c)
        lines.append(f"| {fx} | {shape} | {any_c.get('precision', '-')} | {fmt_g(any_c.get('tol'))} | "
                     f"{fmt(p.get('rel_l2'))} | {fmt(g.get('rel_l2'))} | {fmt(e.get('rel_l2'))} | {res} |")
    lines.append("")
# Benchmark
tres = {}
if torch:
    for r in torch.get("results", []):
        tres[(r.get("engine"), r.get("shape"))] = r
shapes = []
for r in kbench:
    if r.get("shape") not in shapes:
        shapes.append(r.get("shape"))
for (_, s) in tres:
    if s not in shapes:
        shapes.append(s)
arch = (torch or {}).get("arch")
if meta.get("bench_arch_json"):
    try:
        arch = json.loads(meta["bench_arch_json"])
    except ValueError:
        pass
if shapes:
    if isinstance(arch, dict):
        lines.append(f"Prefill benchmark, bf16: hidden {arch.get('hidden')}, {arch.get('layers')} layers, "
                     f"{arch.get('heads')} heads / {arch.get('kv_heads')} kv-heads, ffn {arch.get('ffn')}, "
                     f"vocab {arch.get('vocab')} (Kestrel: dummy weights). Decode is not measured: Kestrel "
                     "has no KV cache yet, so every number is one full prefill returning the last position's logits.")
    lines.append("")
    lines.append("| BxS | Kestrel ms, kernel by kernel | Kestrel ms, CUDA graph | eager ms (wall / events) | compile ms (wall / events) "
                 "| Kestrel/eager | Kestrel/compile |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    for s in shapes:
        k = {r.get("mode"): r for r in kbench if r.get("shape") == s}
        kp, kg = k.get("plain", {}), k.get("graph", {})
        te, tc = tres.get(("torch-eager", s), {}), tres.get(("torch-compile", s), {})
        def kcell(r):
            return fmt(r.get("median_ms")) if r.get("status") == "ok" else (r.get("status") or "-")
        def tcell(r):
            if r.get("status") == "ok":
                return f"{fmt(r.get('wall_ms'))} / {fmt(r.get('events_ms'))}"
            return r.get("status") or "-"
        def ratio(kr, tr):
            if kr.get("status") == "ok" and tr.get("status") == "ok" and tr.get("wall_ms"):
                return kr["median_ms"] / tr["wall_ms"]
            return None
        def ratios(tr):
            vals = [ratio(kp, tr), ratio(kg, tr)]
            if all(v is None for v in vals):
                return "-"
            return " / ".join(fmt(v, 2) for v in vals)
        lines.append(f"| {s} | {kcell(kp)} | {kcell(kg)} | {tcell(te)} | {tcell(tc)} | {ratios(te)} | {ratios(tc)} |")
    lines.append("")
    lines.append("Kestrel: kestrel-run --bench, wall clock per kestrel_session_run (host-to-device ids, forward, "
                 "device-to-host logits, sync), median over run sets of fresh ids. PyTorch "
                 f"({(torch or {}).get('attn', 'sdpa')} attention, {(torch or {}).get('dtype', 'bf16')}): wall = the same span by "
                 "host clock around ids.to(cuda), forward, logits.cpu(); events = CUDA events around the forward alone; "
                 "medians. Ratios = Kestrel ms / PyTorch wall ms (kernel by kernel / CUDA graph); below 1 means Kestrel is faster. "
                 f"kestrel-run flags: {meta.get('graph_flags', '-')}.")
    compile_s = [f"{s}: {fmt(r.get('compile_s'), 1)} s" for (e, s), r in tres.items()
                 if e == "torch-compile" and r.get("compile_s") is not None]
    if compile_s:
        lines.append(f"torch.compile time (while the builds ran): {', '.join(compile_s)}.")
    lines.append("")
for n in result["notes"]:
    lines.append(f"- note: {n}")
for s in result["skipped"]:
    lines.append(f"- skipped: {s.get('what')} ({s.get('why')})")
failed_builds = [b for b in builds if b.get("status") != "ok"]
failed_checks = [c for c in checks if c.get("status") not in ("pass", "no-gpu (expected)")]
failed_bench = [r for r in kbench if r.get("status") not in ("ok", "no-gpu (expected)")]
summary = (f"builds {len(builds) - len(failed_builds)}/{len(builds)} ok; correctness {passed}/{len(checks)} pass"
           + (f" ({expected_nodev} NO_DEVICE as expected)" if expected_nodev else "")
           + f"; Kestrel bench {len(kbench) - len(failed_bench)}/{len(kbench)} ok")
if torch:
    ok = sum(1 for r in torch.get("results", []) if r.get("status") == "ok")
    summary += f"; PyTorch {ok}/{len(torch.get('results', []))} ok"
lines.append(f"**{summary}**")
result["summary"] = summary
result["ok"] = not (failed_builds or failed_checks or failed_bench)
with open(os.path.join(out, "gpu-check.json"), "w") as f:
    json.dump(result, f, indent=1)
md = "\n".join(lines) + "\n"
with open(os.path.join(out, "gpu-check.md"), "w") as f:
    f.write(md)
print(md, end="")
sys.exit(0 if result["ok"] else 1)
PY
  then
    STATUS=1
    if ! [[ -f $OUT/gpu-check.json ]]; then
      echo "[gpu-check] the summary failed ($PY); the raw records:"
      cat "$RECORDS"
    fi
  fi
  echo "[gpu-check] results in $OUT (gpu-check.json, gpu-check.md, gpu-check.log)"
  [[ -n ${GPU_CHECK_KEEP:-} ]] || rm -rf "$WORK"
  exec 1>&3 2>&4 3>&- 4>&-
  wait "$TEE_PID" 2>/dev/null || sleep 1
}
on_signal() {
  say "interrupted: writing what there is"
  rec note text="interrupted by a signal at $(elapsed) s"
  STATUS=1
  finish
  exit 1
}
trap on_signal TERM INT
STATUS=0

say "repo $REPO; carry $CARRY; OUT $OUT; budget ${BUDGET}s; python $PY; $( ((DRY_RUN)) && echo 'DRY RUN')"
rec meta key=budget_s value="$BUDGET"
rec meta key=arch value="$ARCH"
rec meta key=dry_run value="$( ((DRY_RUN)) && echo true || echo false)"
((DRY_RUN)) && rec note text="dry run: no GPU expected; kestrel-run NO_DEVICE errors count as the expected result; PyTorch runs a tiny model on the CPU"

#------------------------------------------------------------------------------
# 1. Environment (queries only: never change clocks, power or modes)
#------------------------------------------------------------------------------
step "1. environment"
uname -srm
if command -v nvidia-smi >/dev/null 2>&1; then
  q=$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,clocks.sm,clocks.mem,clocks.max.sm,power.draw,power.limit,temperature.gpu,pstate --format=csv,noheader 2>&1)
  echo "nvidia-smi: $q"
  rec env key=gpu value="$(head -n 1 <<<"$q")"
  timeout 20 nvidia-smi -q >"$WORK/nvidia-smi-q.txt" 2>&1
  grep -E 'Product Name|Driver Version|CUDA Version|Persistence Mode|Compute Mode|MIG Mode|Current *:|Performance State|Clocks Event Reasons Counter|Graphics *:|SM *:|Memory *:' "$WORK/nvidia-smi-q.txt" | head -n 24
  cp "$WORK/nvidia-smi-q.txt" "$OUT/nvidia-smi-q.txt" 2>/dev/null
else
  echo "nvidia-smi: not found"
  rec env key=gpu value="none (no nvidia-smi)"
fi
if ! command -v nvcc >/dev/null 2>&1 && [[ -x /usr/local/cuda/bin/nvcc ]]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
if command -v nvcc >/dev/null 2>&1; then
  nv=$(nvcc --version 2>&1 | grep -i release | sed -e 's/.*release //')
  echo "nvcc: $nv ($(command -v nvcc))"
  rec env key=nvcc value="$nv"
else
  echo "nvcc: not found"
  rec env key=nvcc value="not found"
fi
cm=$(cmake --version 2>/dev/null | head -n 1)
echo "cmake: ${cm:-not found}; ninja: $(ninja --version 2>/dev/null || echo 'not found'); cores: $(nproc)"
rec env key=cmake value="${cm:-not found}"
rec env key=cores value="$(nproc)"
TORCH_OK=0
tv=$(timeout 60 "$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, ("available: " + torch.cuda.get_device_name(0)) if torch.cuda.is_available() else "unavailable")' 2>&1) && TORCH_OK=1
tv=$(tail -n 1 <<<"$tv")
echo "torch ($PY): $tv"
rec env key=torch value="$tv"

#------------------------------------------------------------------------------
# The carried folders: carry.json (written by gpu-prepare.sh) says what each
# is; without it, guess from the folder.
#------------------------------------------------------------------------------
ENTRIES=$WORK/entries.tsv
: >"$ENTRIES"
if [[ -d $CARRY ]]; then
  "$PY" - "$CARRY" "$ONLY" >"$ENTRIES" 2>"$WORK/entries.err" <<'PY'
import glob, json, os, sys
carry, only = sys.argv[1], [x for x in sys.argv[2].split(",") if x]
rows = []
for d in sorted(glob.glob(os.path.join(carry, "*", ""))):
    d = d.rstrip("/")
    if not os.path.isfile(os.path.join(d, "CMakeLists.txt")):
        continue
    base = os.path.basename(d)
    if only and base not in only:
        continue
    meta = {}
    if os.path.isfile(os.path.join(d, "carry.json")):
        meta = json.load(open(os.path.join(d, "carry.json")))
    name = meta.get("name")
    if not name:
        m = [f[:-len(".kweights.json")] for f in os.listdir(d) if f.endswith(".kweights.json")]
        name = m[0] if m else base.replace("-", "_")
    kind = meta.get("kind") or ("bench" if base.startswith("llama-bench") else "fixture")
    prec = meta.get("precision", "bf16")
    tol = meta.get("rtol", 1e-4 if prec == "f32" else 1e-2)
    fixture = meta.get("fixture", base)
    data = meta.get("data", f"test/models/fixtures/{fixture}/data")
    shapes = meta.get("shapes") or (sorted(os.listdir(data)) if os.path.isdir(data) else [])
    inputs, outputs = meta.get("inputs", []), meta.get("outputs", [])
    if kind == "fixture" and not outputs:
        outputs = ["output"]
    if kind == "fixture" and not inputs and shapes:
        sd = os.path.join(data, shapes[0])
        inputs = sorted(f[:-4] for f in os.listdir(sd) if f.endswith(".npy") and f[:-4] not in outputs)
    arch = meta.get("arch", {})
    vocab = arch.get("vocab", 32000)
    row = [d, base, name, kind, prec, repr(tol), fixture, data, ",".join(shapes),
           ",".join(inputs), ",".join(outputs), str(vocab), json.dumps(arch)]
    rows.append([x if x else "-" for x in row])  # tabs collapse in read
# The first folder builds alone and fills the object cache: the one with the
# most generated kernels; then the benchmark, then the rest.
def nkernels(d):
    k = os.path.join(d, "kernels")
    return len(os.listdir(k)) if os.path.isdir(k) else 0
rows.sort(key=lambda r: (-nkernels(r[0]), r[3] != "bench", r[1]))
for r in rows:
    print("\t".join(r))
PY
  if [[ -s $WORK/entries.err ]]; then
    say "reading $CARRY failed: $(tail -n 1 "$WORK/entries.err")"
    rec note text="reading the carried folders failed: $(tail -n 1 "$WORK/entries.err")"
  fi
  say "carried: $(cut -f2 "$ENTRIES" | tr '\n' ' ')"
else
  say "no carried folder $CARRY: nothing to build (run tools/gpu-prepare.sh here first); the PyTorch side still runs"
  rec note text="no carried folder $CARRY"
fi
BENCH_ARCH_JSON=$(awk -F'\t' '$4 == "bench" { print $13; exit }' "$ENTRIES")
[[ -n $BENCH_ARCH_JSON && $BENCH_ARCH_JSON != "{}" ]] && rec meta key=bench_arch_json value="$BENCH_ARCH_JSON"

#------------------------------------------------------------------------------
# 4a (started early). PyTorch: set up and compile while the builds run; it
# waits for $WORK/torch.go before timing anything.
#------------------------------------------------------------------------------
TORCH_ARCH=(--hidden 2048 --layers 4 --heads 16 --kv-heads 4 --ffn 5632 --vocab 32000)
if [[ -n $BENCH_ARCH_JSON && $BENCH_ARCH_JSON != "{}" ]]; then
  mapfile -t TORCH_ARCH < <("$PY" -c 'import json, sys
a = json.loads(sys.argv[1])
for k, f in (("hidden", "--hidden"), ("layers", "--layers"), ("heads", "--heads"), ("kv_heads", "--kv-heads"), ("ffn", "--ffn"), ("vocab", "--vocab"), ("eps", "--eps"), ("theta", "--theta")):
    if k in a:
        print(f); print(a[k])' "$BENCH_ARCH_JSON")
fi
start_torch() {
  local args=(bench/llama_arch.py torch-bench --json "$WORK/torch.json"
    --ready-file "$WORK/torch.ready" --go-file "$WORK/torch.go"
    --deadline $(($(left) - 20)))
  if ((DRY_RUN)); then
    args+=(--tiny --device cpu --shapes "1x16,2x8" --runs 5 --sets 2 --warmup 2)
    ((DO_COMPILE && ${GPU_CHECK_DRY_COMPILE:-0})) || args+=(--no-compile)
  else
    args+=("${TORCH_ARCH[@]}" --shapes "$SHAPES" --runs "$TRUNS" --sets 3 --warmup 5)
    ((DO_COMPILE)) || args+=(--no-compile)
  fi
  say "PyTorch setup in the background: $PY ${args[*]}"
  rec meta key=torch_cmd value="$PY ${args[*]}"
  timeout -k 5 $(($(left) - 10)) "$PY" "${args[@]}" >"$WORK/torch.log" 2>&1 &
  TORCH_PID=$!
}
if ((DO_TORCH)); then
  if ((TORCH_OK)); then
    start_torch
  else
    say "torch is not importable with $PY: the PyTorch side is skipped"
    rec skip what="PyTorch eager/compile" why="torch not importable with $PY"
  fi
fi

#------------------------------------------------------------------------------
# 2. Builds
#------------------------------------------------------------------------------
NDIRS=$(grep -c . "$ENTRIES")
((BUILD_PAR == 0 || BUILD_PAR > NDIRS)) && BUILD_PAR=$NDIRS
((BUILD_PAR < 1)) && BUILD_PAR=1
# The folders after the first share the cores: -j max(2, 2 JOBS / at once).
BJOBS=$JOBS
((BUILD_PAR > 1)) && BJOBS=$(((2 * JOBS + BUILD_PAR - 1) / BUILD_PAR))
((BJOBS < 2)) && BJOBS=2
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
CMAKE_EXTRA=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CUDA_ARCHITECTURES=$ARCH")
[[ -n ${GPU_CHECK_GENCODE:-} ]] && CMAKE_EXTRA+=("-DKESTREL_CUDA_GENCODE=$GPU_CHECK_GENCODE")
KEEP_GOING=()
((${#GEN[@]})) && KEEP_GOING=(-- -k 0)

# The object cache. Every emitted folder carries an identical copy of the
# runtime and kernel library (FOLDER/kestrel-src/), and the generated kernel
# instances (FOLDER/kernels/*.cu, e.g. one GEMM tile configuration) are the
# same files wherever the same configuration is used; only NAME.cpp is the
# model's own. A CMake compiler launcher compiles each such source once (the
# folder with the most kernel files builds first, alone) and copies the object
# into the other folders. Key: the hash of the whole kestrel-src tree, of the
# source file and of the compile command with the folder's path taken out.
# --no-object-cache turns it off.
# The launcher and the cache live in CARRY/.objcache: the build folders' CMake
# caches name the launcher, so it must outlive this run.
OBJDIR=""
if ((OBJ_CACHE)) && [[ -d $CARRY ]] && mkdir -p "$CARRY/.objcache" 2>/dev/null; then
  OBJDIR=$(cd "$CARRY/.objcache" && pwd)
  rm -f "$OBJDIR/hits" "$OBJDIR/misses"
else
  OBJ_CACHE=0
fi
if ((OBJ_CACHE)); then
  cat >"$OBJDIR/kcache" <<'SH'
#!/usr/bin/env bash
# CMake compiler launcher: kcache COMPILER ARGS... (see gpu-check.sh)
root=${KCACHE_ROOT:-} cache=${KCACHE_DIR:-} tree=${KCACHE_TREE:-} nm=${KCACHE_NAME:-}
[[ -n $root && -n $cache && -n $tree ]] || exec "$@"
src="" out="" dep="" prev=""
for a in "$@"; do
  case $prev in -c) src=$a ;; -o) out=$a ;; -MF) dep=$a ;; esac
  prev=$a
done
[[ -n $src && -n $out ]] || exec "$@"
abs=$src
[[ $abs == /* ]] || abs=$PWD/$abs
abs=$(realpath -m -- "$abs" 2>/dev/null) || exec "$@"
case $abs in "$root"/kestrel-src/*|"$root"/kernels/*) ;; *) exec "$@" ;; esac
# the folder's path, and the target's name where CMake puts it (the object's
# folder, NAME_EXPORTS), are the same in every folder once taken out
norm() {
  local x=${1//"$root"/@ROOT@}
  if [[ -n $nm ]]; then
    x=${x//"CMakeFiles/$nm.dir/"/CMakeFiles/@NAME@.dir/}
    x=${x//"-D${nm}_EXPORTS"/-D@NAME@_EXPORTS}
  fi
  printf '%s\n' "$x"
}
norm_file() { while IFS= read -r line || [[ -n $line ]]; do norm "$line"; done <"$1"; }
unnorm_file() { sed -e "s|@ROOT@|$root|g" -e "s|@NAME@|$nm|g" "$1"; }
norm=()
for a in "$@"; do norm+=("$(norm "$a")"); done
key=$( { echo "$tree"; sha256sum <"$abs"; printf '%s\n' "${norm[@]}"; } | sha256sum | cut -c1-40)
if [[ -f $cache/$key.o ]]; then
  mkdir -p "$(dirname "$out")"
  cp "$cache/$key.o" "$out" || exec "$@"
  if [[ -n $dep ]]; then
    if [[ -f $cache/$key.d ]]; then
      unnorm_file "$cache/$key.d" >"$dep"
    else
      exec "$@"
    fi
  fi
  echo "$key" >>"$cache/hits"
  exit 0
fi
"$@"
rc=$?
if ((rc == 0)) && [[ -f $out ]]; then
  tmp=$cache/.$key.$$
  if [[ -n $dep && -f $dep ]]; then
    norm_file "$dep" >"$tmp.d" && mv -f "$tmp.d" "$cache/$key.d"
  fi
  cp "$out" "$tmp.o" && mv -f "$tmp.o" "$cache/$key.o"
  echo "$key" >>"$cache/misses"
fi
exit $rc
SH
  chmod +x "$OBJDIR/kcache"
  CMAKE_EXTRA+=("-DCMAKE_C_COMPILER_LAUNCHER=$OBJDIR/kcache" "-DCMAKE_CXX_COMPILER_LAUNCHER=$OBJDIR/kcache"
    "-DCMAKE_CUDA_COMPILER_LAUNCHER=$OBJDIR/kcache")
fi
if ((OBJ_CACHE && NDIRS > 1)); then
  step "2. builds (CMake, Release, CUDA arch $ARCH; the first alone with -j$JOBS, then $BUILD_PAR at once with -j$BJOBS and the shared objects cached)"
  rec meta key=build_jobs value="first folder alone -j$JOBS, then $BUILD_PAR at once -j$BJOBS each, kestrel-src objects shared"
else
  step "2. builds (CMake, Release, CUDA arch $ARCH; $BUILD_PAR at once, -j$BJOBS each)"
  rec meta key=build_jobs value="$BUILD_PAR at once, -j$BJOBS each"
fi
unstale() { # DIR: drop a build folder configured elsewhere (another path)
  local root
  root=$(cd "$1" && pwd)
  if [[ -f $1/build/CMakeCache.txt ]] && ! grep -q "^CMAKE_HOME_DIRECTORY:INTERNAL=$root\$" "$1/build/CMakeCache.txt"; then
    rm -rf "$1/build"
  fi
}
build_one() { # DIR TAG TIMEOUT JOBS NAME
  local d=$1 tag=$2 t=$3 j=$4 name=$5 t0 rc root tree=""
  t0=$(now)
  root=$(cd "$d" && pwd)
  unstale "$d"
  # no stale outputs of an earlier run may pass for this one's (a relink)
  rm -f "$d/lib$name.so" "$d/build/lib$name.so" "$d/build/kestrel-run" "$d/build/kestrel-pack"
  if ((OBJ_CACHE)) && [[ -d $d/kestrel-src ]]; then
    tree=$(cd "$d/kestrel-src" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-40)
  fi
  # $3: "-- -k 0" for ninja (keep going: every error shows, the cache fills)
  KCACHE_ROOT=$root KCACHE_DIR=$OBJDIR KCACHE_TREE=$tree KCACHE_NAME=$name timeout -k 10 "$t" bash -c '
    cmake -S "$1" -B "$1/build" "${@:4}" && cmake --build "$1/build" -j "$2" $3' \
    _ "$d" "$j" "${KEEP_GOING[*]}" "${GEN[@]}" "${CMAKE_EXTRA[@]}" >"$WORK/build-$tag.log" 2>&1
  rc=$?
  echo "$rc $(since "$t0")" >"$WORK/build-$tag.status"
}
declare -A BUILT=() LIBDIR=() KRUN=() KPACK=()
# The emitted CMakeLists may put libNAME.so beside the sources or in build/.
first_of() { local f; for f in "$@"; do [[ -e $f ]] && { echo "$f"; return 0; }; done; return 1; }
if [[ -s $ENTRIES ]]; then
  if ! command -v cmake >/dev/null 2>&1; then
    say "cmake not found: no builds"
    rec note text="cmake not found"
  else
    btotal=$(($(left) - 150))
    ((btotal > 300)) && btotal=300
    if ((btotal < 30)); then
      say "no time left for builds"
      rec skip what="builds" why="time budget"
    else
      bdeadline=$((SECONDS + btotal))
      say "the builds may take ${btotal}s in all"
      launched=0
      finished() { local n; n=$(find "$WORK" -maxdepth 1 -name 'build-*.status' | wc -l); echo "$n"; }
      if ((OBJ_CACHE && NDIRS > 1)); then
        # the others' CMake configure (compiler checks) meanwhile
        while IFS=$'\t' read -r -u 5 d base _rest; do
          (
            unstale "$d"
            timeout -k 5 120 cmake -S "$d" -B "$d/build" "${GEN[@]}" "${CMAKE_EXTRA[@]}" >"$WORK/configure-$base.log" 2>&1
            echo $? >"$WORK/configure-$base.done"
          ) </dev/null &
        done 5< <(tail -n +2 "$ENTRIES")
      fi
      while IFS=$'\t' read -r -u 5 d base name _rest; do
        if ((OBJ_CACHE && NDIRS > 1 && launched == 0)); then
          say "building $base (alone, filling the object cache; the others configure meanwhile)"
          build_one "$d" "$base" $((bdeadline - SECONDS)) "$JOBS" "$name" </dev/null
          launched=1
          say "built $base: $(cat "$WORK/build-$base.status" 2>/dev/null) (exit status, seconds); cached objects: $(find "$OBJDIR" -name '*.o' | wc -l)"
          continue
        fi
        # a few at a time (not `wait -n`: the PyTorch process is a job too)
        while ((launched - $(finished) >= BUILD_PAR)); do sleep 0.5; done
        # its early configure, if one is running, first
        if ((OBJ_CACHE && NDIRS > 1)); then
          while [[ ! -f $WORK/configure-$base.done ]] && ((SECONDS < bdeadline)); do sleep 0.5; done
        fi
        if ((bdeadline - SECONDS < 10)); then
          echo "125 0" >"$WORK/build-$base.status"
          echo "not started: the build time was used up" >"$WORK/build-$base.log"
          launched=$((launched + 1))
          continue
        fi
        say "building $base"
        build_one "$d" "$base" $((bdeadline - SECONDS)) "$BJOBS" "$name" </dev/null &
        launched=$((launched + 1))
      done 5<"$ENTRIES"
      while (($(finished) < launched && SECONDS < bdeadline + 30)); do sleep 0.5; done
      if ((OBJ_CACHE)); then
        say "object cache: $(cat "$OBJDIR/misses" 2>/dev/null | wc -l) compiled, $(cat "$OBJDIR/hits" 2>/dev/null | wc -l) reused"
        rec meta key=object_cache value="$(cat "$OBJDIR/misses" 2>/dev/null | wc -l) compiled, $(cat "$OBJDIR/hits" 2>/dev/null | wc -l) reused"
      fi
      while IFS=$'\t' read -r -u 5 d base name _rest; do
        rc=125 secs=null
        [[ -f $WORK/build-$base.status ]] && read -r rc secs <"$WORK/build-$base.status"
        so=$(first_of "$d/build/lib$name.so" "$d/lib$name.so" "$d/build/lib/lib$name.so")
        kr=$(first_of "$d/build/kestrel-run" "$d/build/bin/kestrel-run" "$d/kestrel-run")
        if [[ -n $so && -n $kr ]]; then
          # the library and kestrel-run are there: test them even when
          # something else (kestrel-pack, say) failed to build
          BUILT[$base]=1
          LIBDIR[$base]=$(dirname "$so")
          KRUN[$base]=$kr
          KPACK[$base]=$(first_of "$d/build/kestrel-pack" "$d/build/bin/kestrel-pack" "$d/kestrel-pack")
        fi
        if ((rc == 0)) && [[ -n $so ]]; then
          status=ok
        elif [[ -n $so && -n $kr ]]; then
          status="partial (exit $rc; lib$name.so and kestrel-run built): $(grep -m1 -E 'error|Error' "$WORK/build-$base.log" | cut -c1-200)"
        elif ((rc == 0)); then
          status="failed: no lib$name.so in $d or $d/build"
        elif ((rc == 124 || rc == 137)); then
          status="failed: timed out (${secs}s)"
        elif ((rc == 125)); then
          status="failed: $(head -n 1 "$WORK/build-$base.log" 2>/dev/null || echo 'no status')"
        else
          status="failed (exit $rc): $(grep -m1 -E 'error|Error' "$WORK/build-$base.log" | cut -c1-200)"
        fi
        say "build $base: $status (${secs}s)"
        if [[ $status != ok ]]; then
          echo "---- last lines of the build log of $base ----"
          grep -E -A3 'error|Error' "$WORK/build-$base.log" | head -n 20
          tail -n 8 "$WORK/build-$base.log"
          echo "----"
        fi
        rec build dir="$base" name="$name" status="$status" seconds="$secs" rc="$rc"
      done 5<"$ENTRIES"
    fi
  fi
fi

# kestrel-run's result for one call: pass / fail / no-gpu.
classify() { # LOGFILE RC
  local f=$1 rc=$2
  if ((rc == 0)); then
    echo pass
  elif grep -q 'NO_DEVICE' "$f"; then
    if ((DRY_RUN)); then echo "no-gpu (expected)"; else echo "failed: KESTREL_ERROR_NO_DEVICE"; fi
  elif ((rc == 124 || rc == 137)); then
    echo "failed: timed out"
  elif grep -q 'MISMATCH' "$f"; then
    echo "mismatch"
  else
    echo "error: $(last_line "$f")"
  fi
}
# the largest "relative L2 error X" kestrel-run printed (nan/inf win); null if none
max_rel_l2() {
  grep -oE 'relative L2 error [-+0-9.eEinfa]+' "$1" | awk '
    { v = $4 }
    v ~ /nan|inf/ { bad = v; next }
    m == "" || v + 0 > m + 0 { m = v }
    END { print (bad != "" ? bad : (m == "" ? "null" : m)) }'
}

# graph_flags KESTREL_RUN: sets PLAIN_FLAG and GRAPH_FLAG ("-" = no such mode)
graph_flags() {
  local help
  help=$(timeout 20 "$1" --help 2>&1 </dev/null)
  if [[ $help == *--no-cuda-graph* ]]; then
    PLAIN_FLAG=--no-cuda-graph GRAPH_FLAG=""
  elif [[ $help == *--cuda-graph* ]]; then
    PLAIN_FLAG="" GRAPH_FLAG=--cuda-graph
  else
    PLAIN_FLAG="" GRAPH_FLAG=-
  fi
  [[ -n ${KESTREL_RUN_PLAIN_FLAG+set} ]] && PLAIN_FLAG=$KESTREL_RUN_PLAIN_FLAG
  [[ -n ${KESTREL_RUN_GRAPH_FLAG+set} ]] && GRAPH_FLAG=$KESTREL_RUN_GRAPH_FLAG
  if [[ -z ${GRAPH_FLAGS_RECORDED:-} ]]; then
    GRAPH_FLAGS_RECORDED=1
    rec meta key=graph_flags value="kernel by kernel: '${PLAIN_FLAG}', CUDA graph: '${GRAPH_FLAG}' ('-': not available)"
  fi
  return 0
}

#------------------------------------------------------------------------------
# 3. Correctness
#------------------------------------------------------------------------------
step "3. correctness (kestrel-run --expect against the fixtures' PyTorch outputs)"
ncheck=0
while IFS=$'\t' read -r -u 5 d base name kind prec tol _fixture data shapes inputs outputs _vocab _arch; do
  [[ $kind == fixture ]] || continue
  [[ $shapes == - ]] && shapes=""
  [[ $inputs == - ]] && inputs=""
  [[ $outputs == - ]] && outputs=""
  if [[ -z ${BUILT[$base]:-} ]]; then
    rec correctness fixture="$base" shape="*" mode="plain" precision="$prec" tol="$tol" status="not built"
    continue
  fi
  if ! have_time 45; then
    rec skip what="correctness of $base" why="time budget"
    continue
  fi
  lib=${LIBDIR[$base]}
  # the library's weights beside it, where kestrel-run looks
  if [[ ! -f $lib/$name.kweights && -f $d/$name.kweights ]]; then
    ln -sf "$(cd "$d" && pwd)/$name.kweights" "$lib/$name.kweights"
  fi
  krun=${KRUN[$base]}
  if [[ -z $krun ]]; then
    rec correctness fixture="$base" shape="*" mode="plain" precision="$prec" tol="$tol" status="no kestrel-run built"
    continue
  fi
  graph_flags "$krun"
  IFS=, read -r -a shape_list <<<"$shapes"
  IFS=, read -r -a in_list <<<"$inputs"
  IFS=, read -r -a out_list <<<"$outputs"
  for shape in "${shape_list[@]}"; do
    args=("$lib" --name "$name" --rtol "$tol")
    for i in "${in_list[@]}"; do args+=(--input "$i=$data/$shape/$i.npy"); done
    for o in "${out_list[@]}"; do args+=(--expect "$o=$data/$shape/$o.npy"); done
    for mode in plain graph; do
      flag=$PLAIN_FLAG
      [[ $mode == graph ]] && flag=$GRAPH_FLAG
      if [[ $flag == - ]]; then
        rec correctness fixture="$base" shape="$shape" mode="$mode" precision="$prec" tol="$tol" status="skipped: kestrel-run has no CUDA-graph flag"
        continue
      fi
      f=$WORK/kestrel-check-$base-$shape-$mode.log
      timeout -k 5 60 "$krun" "${args[@]}" $flag >"$f" 2>&1 </dev/null
      rc=$?
      status=$(classify "$f" "$rc")
      err=$(max_rel_l2 "$f")
      say "$base $shape $mode: $status (rel L2 $err, tol $tol)"
      [[ $status == pass || $status == "no-gpu (expected)" ]] || sed -e 's/^/    /' "$f" | tail -n 6
      rec correctness fixture="$base" shape="$shape" mode="$mode" precision="$prec" tol="$tol" \
        rel_l2="$err" status="$status" rc="$rc" cmd="$krun ${args[*]} $flag"
      ncheck=$((ncheck + 1))
    done
  done
  # The GPU against the same CUDA code on the emulator (issue 7), where
  # gpu-prepare.sh carried its outputs.
  for shape in "${shape_list[@]}"; do
    [[ -d $d/emu/$shape ]] || continue
    args=("$lib" --name "$name" --rtol "$tol")
    for i in "${in_list[@]}"; do args+=(--input "$i=$data/$shape/$i.npy"); done
    for o in "${out_list[@]}"; do args+=(--expect "$o=$d/emu/$shape/$o.npy"); done
    f=$WORK/kestrel-emu-$base-$shape.log
    timeout -k 5 60 "$krun" "${args[@]}" >"$f" 2>&1 </dev/null
    rc=$?
    status=$(classify "$f" "$rc")
    err=$(max_rel_l2 "$f")
    say "$base $shape GPU vs emulator: $status (rel L2 $err, tol $tol)"
    rec correctness fixture="$base" shape="$shape" mode="vs-emulator" precision="$prec" tol="$tol" \
      rel_l2="$err" status="$status" rc="$rc" cmd="$krun ${args[*]}"
  done
  if ((${#shape_list[@]} == 0)); then
    rec correctness fixture="$base" shape="-" mode="plain" precision="$prec" tol="$tol" status="no reference data in $data"
  fi
done 5<"$ENTRIES"
((ncheck)) || say "no fixture library to check"

#------------------------------------------------------------------------------
# 4. Benchmark: Kestrel (the torch process waits until it is done)
#------------------------------------------------------------------------------
step "4. benchmark: Llama-style prefill (Kestrel has no KV cache yet: no decode)"
if [[ -n $TORCH_PID ]]; then
  # Kestrel's timings must not share the machine with torch.compile.
  cap=$(($(left) - 120))
  t0=$SECONDS
  while [[ ! -f $WORK/torch.ready ]] && kill -0 "$TORCH_PID" 2>/dev/null && ((SECONDS - t0 < cap)); do sleep 0.5; done
  if [[ -f $WORK/torch.ready ]]; then
    say "PyTorch setup done (waited $((SECONDS - t0)) s)"
  elif ! kill -0 "$TORCH_PID" 2>/dev/null; then
    say "the PyTorch process ended early: $(tail -n 1 "$WORK/torch.log")"
  else
    say "PyTorch is still compiling: Kestrel's timings may be perturbed"
    rec note text="torch.compile was still running during Kestrel's benchmark"
  fi
fi
bench_line=$(awk -F'\t' '$4 == "bench"' "$ENTRIES" | head -n 1)
if [[ -z $bench_line ]]; then
  say "no benchmark library carried (llama-bench)"
  rec skip what="Kestrel benchmark" why="no llama-bench folder carried"
else
  IFS=$'\t' read -r d base name _kind _prec _tol _fixture _data _shapes _inputs _outputs vocab _arch <<<"$bench_line"
  if [[ -z ${BUILT[$base]:-} ]]; then
    rec kestrel_bench shape="*" mode="plain" status="not built"
  else
    lib=${LIBDIR[$base]}
    krun=${KRUN[$base]}
    kpack=${KPACK[$base]}
    [[ -n $krun ]] && graph_flags "$krun"
    packed=0
    if [[ -z $krun ]]; then
      rec kestrel_bench shape="*" mode="plain" status="no kestrel-run built"
    elif [[ -f $lib/$name.kweights ]]; then
      packed=1
    elif [[ -n $kpack ]]; then
      t0=$(now)
      say "kestrel-pack --dummy for $name"
      if timeout -k 5 180 "$kpack" "$d/$name.kweights.json" --dummy 1 -o "$lib/$name.kweights" >"$WORK/kestrel-pack.log" 2>&1 </dev/null; then
        packed=1
        say "packed dummy weights: $(du -h "$lib/$name.kweights" | cut -f1) in $(since "$t0") s"
        rec meta key=kestrel_pack_s value="$(since "$t0")"
      else
        say "kestrel-pack failed: $(last_line "$WORK/kestrel-pack.log")"
        rec kestrel_bench shape="*" mode="plain" status="kestrel-pack failed: $(last_line "$WORK/kestrel-pack.log")"
      fi
    else
      rec kestrel_bench shape="*" mode="plain" status="no kestrel-pack built"
    fi
    if ((packed)); then
      IFS=, read -r -a bshapes <<<"$SHAPES"
      for shape in "${bshapes[@]}"; do
        b=${shape%x*}
        s=${shape#*x}
        for k in 1 2; do
          "$PY" bench/llama_arch.py ids --batch "$b" --seq "$s" --vocab "$vocab" --seed $((1000 * b + s + k)) -o "$WORK/ids-$shape-$k.npy" >/dev/null 2>&1
        done
        for mode in plain graph; do
          if ! have_time 40; then
            rec skip what="Kestrel $shape $mode" why="time budget"
            continue
          fi
          flag=$PLAIN_FLAG
          [[ $mode == graph ]] && flag=$GRAPH_FLAG
          if [[ $flag == - ]]; then
            rec kestrel_bench shape="$shape" mode="$mode" status="skipped: kestrel-run has no CUDA-graph flag"
            continue
          fi
          meds=()
          status=ok
          finite=null
          for k in 1 2; do
            f=$WORK/kestrel-bench-$shape-$mode-$k.log
            extra=()
            ((k == 1)) && extra=(--output-dir "$WORK/logits-$shape-$mode")
            timeout -k 5 120 "$krun" "$lib" --name "$name" --input "input_ids=$WORK/ids-$shape-$k.npy" \
              --bench "$KRUNS" --warmup 5 "${extra[@]}" $flag >"$f" 2>&1 </dev/null
            rc=$?
            if ((rc != 0)); then
              status=$(classify "$f" "$rc")
              [[ $status == pass ]] && status="error"
              break
            fi
            m=$(sed -n 's/^bench: median_ms=\([0-9.eE+-]*\).*/\1/p' "$f")
            [[ -n $m ]] || { status="error: no 'bench:' line"; break; }
            meds+=("$m")
          done
          if [[ $status == ok && -f $WORK/logits-$shape-$mode/logits.npy ]]; then
            finite=$("$PY" -c 'import numpy as np, sys; print("true" if np.isfinite(np.load(sys.argv[1])).all() else "false")' "$WORK/logits-$shape-$mode/logits.npy" 2>/dev/null || echo null)
          fi
          if [[ $status == ok ]]; then
            med=$(printf '%s\n' "${meds[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
            say "Kestrel $shape $mode: median ${med} ms (sets: ${meds[*]}; logits finite: $finite)"
            rec kestrel_bench shape="$shape" mode="$mode" status=ok median_ms="$med" set_medians="${meds[*]}" \
              runs_per_set="$KRUNS" sets="${#meds[@]}" logits_finite="$finite" cmd="$krun $lib --name $name --input input_ids=IDS --bench $KRUNS --warmup 5 $flag"
          else
            say "Kestrel $shape $mode: $status"
            [[ $status == "no-gpu (expected)" ]] || tail -n 4 "$f" | sed -e 's/^/    /'
            rec kestrel_bench shape="$shape" mode="$mode" status="$status"
          fi
        done
      done
    fi
  fi
fi

#------------------------------------------------------------------------------
# 4b. PyTorch timings (alone on the machine now)
#------------------------------------------------------------------------------
if [[ -n $TORCH_PID ]]; then
  step "4b. PyTorch eager and torch.compile (same architecture, bf16)"
  touch "$WORK/torch.go"
  while kill -0 "$TORCH_PID" 2>/dev/null && have_time 8; do sleep 0.5; done
  if kill -0 "$TORCH_PID" 2>/dev/null; then
    say "PyTorch still running at the budget's end: stopped"
    rec note text="the PyTorch benchmark was stopped at the time budget"
    kill "$TORCH_PID" 2>/dev/null
  fi
  wait "$TORCH_PID" 2>/dev/null
  trc=$?
  TORCH_PID=""
  sed -e 's/^/    /' "$WORK/torch.log" | grep -v '^    *$' | tail -n 40
  ((trc == 0)) || rec note text="the PyTorch benchmark exited with status $trc: $(last_line "$WORK/torch.log")"
fi

finish
exit "$STATUS"
