#!/usr/bin/env python3
"""Kestrel CPU against ONNX Runtime's CPU provider, side by side.

For each fixture model (test/models/fixtures/*/model.onnx, with
data/<B>x<S>/{input_ids,attention_mask,output}.npy from
test/models/generate.py) the script compiles the model once with kestrelc
into a temporary directory, then for each shape checks Kestrel's output
against output.npy (kestrel-run --expect) and times both engines on the same
inputs, alternating in rounds (ORT, Kestrel, ORT, Kestrel, ...) so slow
phases of a shared machine hit both. Each engine's time is the median of its
per-round medians.

What is timed: for ORT, InferenceSession.run alone; for Kestrel,
kestrel_session_run alone, measured inside kestrel-run (a separate process,
so its start-up, model load and input binding are not in the time). Each
Kestrel round starts once ORT's spinning worker threads have gone idle
(wait_until_idle), so that neither engine is timed while the other's
threads hold the cores.

    .venv/bin/python bench/ort_compare.py --kestrelc build/bin/kestrelc \\
        --kestrel-run build/bin/kestrel-run --threads 2 --runs 100 --markdown

A model that fails to compile, run or match its reference is reported in the
table with the reason and the script moves on; the exit status is 1 when
anything failed.
"""

import argparse
import datetime
import gc
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "test", "models", "fixtures")


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Times: ORT = InferenceSession.run only; Kestrel = "
        "kestrel_session_run only, measured inside kestrel-run.")
    p.add_argument("--kestrelc", default=os.path.join(REPO, "build", "bin",
                                                      "kestrelc"),
                   help="the kestrelc binary (default: build/bin/kestrelc)")
    p.add_argument("--kestrel-run", default=os.path.join(
        REPO, "build", "bin", "kestrel-run"),
        help="the kestrel-run binary (default: build/bin/kestrel-run)")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for both engines: ORT's "
                   "intra_op_num_threads and kestrel-run --threads "
                   "(default 1)")
    p.add_argument("--runs", type=int, default=50,
                   help="timed runs per engine, model and shape, split "
                   "evenly over the rounds (default 50)")
    p.add_argument("--rounds", type=int, default=5,
                   help="alternating rounds (default 5)")
    p.add_argument("--warmup", type=int, default=3,
                   help="untimed runs before each round's timed ones "
                   "(default 3)")
    p.add_argument("--models", nargs="+", metavar="DIR",
                   help="fixture directories (each with model.onnx and "
                   "data/), or model.onnx files in such directories "
                   "(default: every test/models/fixtures/*/)")
    p.add_argument("--shapes", metavar="BxS,...",
                   help="shapes to run, e.g. 1x8,2x5 (default: every "
                   "data/<B>x<S> of each model)")
    p.add_argument("--rtol", type=float, default=1e-4,
                   help="kestrel-run --expect relative tolerance "
                   "(default 1e-4)")
    p.add_argument("--atol", type=float, default=0.0,
                   help="kestrel-run --expect absolute tolerance "
                   "(default 0)")
    p.add_argument("--timeout", type=float, default=900,
                   help="seconds allowed to each kestrelc or kestrel-run "
                   "call (default 900)")
    p.add_argument("--no-fusion-too", action="store_true",
                   help="also compile each model with kestrelc --no-fusion "
                   "and time it in the same alternating rounds (columns "
                   "'unfused ms' and 'fused/unfused')")
    p.add_argument("--cpu", metavar="LEVEL",
                   help="kestrelc --cpu for the Kestrel column (default: "
                   "kestrelc's, native)")
    p.add_argument("--kestrelc-arg", metavar="ARG", action="append",
                   default=[],
                   help="an extra kestrelc argument for every build, e.g. "
                   "--kestrelc-arg=--dim-range=past_sequence_length=0:4096 "
                   "(repeatable)")
    p.add_argument("--cpu-too", metavar="LEVEL", action="append", default=[],
                   help="also compile each model with kestrelc --cpu=LEVEL "
                   "and time it in the same alternating rounds (columns "
                   "'LEVEL ms' and 'Kestrel/LEVEL'); repeatable")
    p.add_argument("--baseline", metavar="BUILD_DIR",
                   help="also compile each model with another Kestrel build "
                   "(BUILD_DIR/bin/kestrelc, run with its kestrel-run) and "
                   "time it in the same alternating rounds (columns "
                   "'baseline ms' and 'Kestrel/baseline'): before/after "
                   "comparisons of a change")
    p.add_argument("--markdown", action="store_true",
                   help="print Markdown for docs/benchmarks.md, with the "
                   "command line and the machine")
    p.add_argument("--keep", action="store_true",
                   help="keep the compiled models (their directory is "
                   "printed)")
    args = p.parse_args(argv)
    if args.threads < 1:
        p.error("--threads must be at least 1")
    if args.rounds < 1 or args.runs < args.rounds:
        p.error("--runs must be at least --rounds, which must be >= 1")
    if args.warmup < 0:
        p.error("--warmup must be >= 0")
    # Other builds of each model timed beside the main one: (label, extra
    # kestrelc arguments, column header of Kestrel's time over theirs, the
    # kestrelc and kestrel-run that build and run it).
    args.variants = []
    if args.no_fusion_too:
        args.variants.append(("unfused", ["--no-fusion"], "fused/unfused",
                              args.kestrelc, args.kestrel_run))
    for level in args.cpu_too:
        args.variants.append((level, [f"--cpu={level}"], f"Kestrel/{level}",
                              args.kestrelc, args.kestrel_run))
    if args.baseline:
        args.variants.append((
            "baseline", [], "Kestrel/baseline",
            os.path.join(args.baseline, "bin", "kestrelc"),
            os.path.join(args.baseline, "bin", "kestrel-run")))
    if args.shapes:
        args.shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
        for s in args.shapes:
            if not re.fullmatch(r"\d+x\d+", s):
                p.error(f"--shapes: '{s}' is not BxS (e.g. 1x8)")
    return args


class Failed(Exception):
    """A step that failed; the message goes in the table."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def last_line(text):
    """The last line of a tool's output, without its "tool: error: "."""
    lines = [l for l in text.strip().splitlines() if l.strip()]
    if not lines:
        return "(no output)"
    return re.sub(r"^[\w.-]+: error: ", "", lines[-1].strip())


def run_tool(cmd, timeout, what):
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed(f"{what}: timed out after {timeout:g} s")
    except OSError as e:
        raise Failed(f"{what}: cannot run {cmd[0]}: {e.strerror}")


def symbol_name(model_dir):
    """kestrelc --name: a C identifier (NAME_model() is a symbol)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", os.path.basename(model_dir))
    return name if name and not name[0].isdigit() else "m_" + name


def find_models(args):
    dirs = args.models or sorted(
        os.path.join(FIXTURES, d) for d in os.listdir(FIXTURES)
        if os.path.isfile(os.path.join(FIXTURES, d, "model.onnx")))
    models = []
    for d in dirs:
        d = os.path.abspath(d)
        if os.path.isfile(d):
            d = os.path.dirname(d)
        models.append(d)
    return models


def shapes_of(model_dir, wanted):
    data = os.path.join(model_dir, "data")
    have = sorted((s for s in (os.listdir(data) if os.path.isdir(data) else [])
                   if re.fullmatch(r"\d+x\d+", s)),
                  key=lambda s: tuple(map(int, s.split("x"))))
    return wanted if wanted else have


def rel_l2(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.linalg.norm((a - b).ravel()) /
                 max(np.linalg.norm(b.ravel()), 1e-30))


def compile_model(args, model_dir, out_dir, extra=(), kestrelc=None):
    name = symbol_name(model_dir)
    cmd = [kestrelc or args.kestrelc, os.path.join(model_dir, "model.onnx"),
           "-o",
           out_dir, "--target=cpu", "--name", name]
    if args.cpu:
        cmd.append(f"--cpu={args.cpu}")
    cmd += args.kestrelc_arg
    cmd += extra
    start = time.perf_counter()
    proc = run_tool(cmd, args.timeout, "kestrelc")
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise Failed(f"kestrelc: "
                     f"{last_line(proc.stderr or proc.stdout)}")
    lib = os.path.join(out_dir, f"lib{name}.so")
    weights = os.path.join(out_dir, f"{name}.kweights")
    for f in (lib, weights):
        if not os.path.isfile(f):
            raise Failed(f"kestrelc wrote no {os.path.basename(f)}")
    return name, seconds, os.path.getsize(lib), os.path.getsize(weights)


def ort_session(model_dir, threads):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(os.path.join(model_dir, "model.onnx"), opts,
                                providers=["CPUExecutionProvider"])


def ort_round(sess, feeds, runs, warmup):
    """Median ms of `runs` timed InferenceSession.run calls."""
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter_ns()
            sess.run(None, feeds)
            times.append((time.perf_counter_ns() - start) / 1e6)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(times)


def wait_until_idle(limit_s=2.0):
    """Returns once this process (ONNX Runtime's thread pool) has used under
    5% of a core for 20 ms. ORT's workers spin after a run
    (session.intra_op.allow_spinning, on by default, as users run it); a
    Kestrel round started while they spin shares the cores with them, which
    on a two-core machine took Kestrel's two-thread time of a 1 ms model
    from 0.77 ms to 1.8-2.3 ms. Returns the seconds waited."""
    start = time.perf_counter()
    window = 0.02
    while time.perf_counter() - start < limit_s:
        cpu = time.process_time()
        time.sleep(window)
        if time.process_time() - cpu < 0.05 * window:
            break
    return time.perf_counter() - start


def ort_call_floor(threads, runs, warmup):
    """Median ms of InferenceSession.run on an Identity model over a [2, 8]
    int64 tensor: the per-call cost of ORT's Python API and session, which
    the ORT column includes and kestrel-run's (C, in-process) does not."""
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.INT64, [2, 8])
    y = helper.make_tensor_value_info("y", TensorProto.INT64, [2, 8])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])],
                              "floor", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              ir_version=8)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    feeds = {"x": np.zeros((2, 8), dtype=np.int64)}
    return ort_round(sess, feeds, runs, warmup)


def kestrel_cmd(args, out_dir, name, inputs, kestrel_run=None):
    cmd = [kestrel_run or args.kestrel_run, out_dir, "--name", name,
           "--threads", str(args.threads)]
    for input_name, path in inputs:
        cmd += ["--input", f"{input_name}={path}"]
    return cmd


def kestrel_check(args, base_cmd, expects):
    """Runs kestrel-run --expect; returns (ok, text for the table)."""
    cmd = list(base_cmd)
    for output_name, path in expects:
        cmd += ["--expect", f"{output_name}={path}"]
    cmd += ["--rtol", repr(args.rtol), "--atol", repr(args.atol)]
    proc = run_tool(cmd, args.timeout, "kestrel-run")
    errors = re.findall(r"relative L2 error ([0-9.eE+-]+|inf|nan)",
                        proc.stdout)
    mismatched = "MISMATCH" in proc.stdout
    if proc.returncode == 0:
        worst = max((float(e) for e in errors), default=0.0)
        return True, f"ok (rel L2 {worst:.1e})"
    if mismatched:
        detail = (f"rel L2 {max(float(e) for e in errors):.1e}" if errors
                  else last_line(proc.stderr))
        return False, f"MISMATCH ({detail})"
    raise Failed(f"kestrel-run: "
                 f"{last_line(proc.stderr or proc.stdout)}")


def kestrel_round(args, base_cmd, runs):
    cmd = base_cmd + ["--bench", str(runs), "--warmup", str(args.warmup)]
    proc = run_tool(cmd, args.timeout, "kestrel-run --bench")
    if proc.returncode != 0:
        raise Failed(f"kestrel-run --bench: "
                     f"{last_line(proc.stderr or proc.stdout)}")
    m = re.search(r"^bench: median_ms=([0-9.eE+-]+)", proc.stdout, re.M)
    if not m:
        raise Failed("kestrel-run --bench printed no 'bench: median_ms=' line")
    return float(m.group(1))


def bench_shape(args, model_dir, sess, compiled, shape, variants=()):
    """One table row for `shape` of the model. `variants` are other builds
    of it, (label, out_dir, name), timed in the same rounds."""
    row = {"shape": shape, "ort": None, "kestrel": None, "variants": {},
           "check": "", "failed": False}
    data = os.path.join(model_dir, "data", shape)
    if not os.path.isdir(data):
        row["check"] = f"skipped: no data/{shape}"
        return row
    inputs = []
    for i in sess.get_inputs():
        path = os.path.join(data, f"{i.name}.npy")
        if not os.path.isfile(path):
            raise Failed(f"no data/{shape}/{i.name}.npy for input {i.name}")
        inputs.append((i.name, path))
    feeds = {n: np.load(p) for n, p in inputs}
    expects = [(o.name, os.path.join(data, f"{o.name}.npy"))
               for o in sess.get_outputs()
               if os.path.isfile(os.path.join(data, f"{o.name}.npy"))]
    if not expects:
        raise Failed(f"no reference output in data/{shape}")

    # ORT against the reference too: a fixture ORT disagrees with is news.
    ort_outputs = dict(zip([o.name for o in sess.get_outputs()],
                           sess.run(None, feeds)))
    ort_err = max(rel_l2(ort_outputs[n], np.load(p)) for n, p in expects)
    ort_note = (f"; ORT itself is off by rel L2 {ort_err:.1e}"
                if not ort_err <= args.rtol else "")

    # A Kestrel failure still leaves the ORT time worth showing.
    base_cmd = None
    if compiled is not None:
        out_dir, name = compiled
        try:
            cmd = kestrel_cmd(args, out_dir, name, inputs)
            ok, row["check"] = kestrel_check(args, cmd, expects)
            row["failed"] = not ok
            base_cmd = cmd
        except Failed as e:
            row.update(check=f"FAILED: {e}", failed=True)

    variant_cmds = {}
    for label, out_dir, name, runner in (variants if base_cmd is not None
                                         else ()):
        cmd = kestrel_cmd(args, out_dir, name, inputs, runner)
        ok, text = kestrel_check(args, cmd, expects)
        if ok:
            variant_cmds[label] = cmd
        else:
            row.update(check=row["check"] + f"; {label}: {text}",
                       failed=True)

    per_round = args.runs // args.rounds
    ort_ms, kestrel_ms = [], []
    variant_ms = {label: [] for label in variant_cmds}
    for r in range(args.rounds):
        # The last round takes the remainder so the totals are --runs.
        n = per_round + (args.runs % args.rounds if r == args.rounds - 1
                         else 0)
        ort_ms.append(ort_round(sess, feeds, n, args.warmup))
        wait_until_idle()
        if base_cmd is not None:
            try:
                kestrel_ms.append(kestrel_round(args, base_cmd, n))
            except Failed as e:
                row.update(check=f"FAILED: {e}", failed=True)
                base_cmd, kestrel_ms = None, []
        for label, cmd in variant_cmds.items():
            variant_ms[label].append(kestrel_round(args, cmd, n))
    row["ort"] = statistics.median(ort_ms)
    for label, times in variant_ms.items():
        row["variants"][label] = statistics.median(times)
    row["check"] += ort_note
    if kestrel_ms:
        row["kestrel"] = statistics.median(kestrel_ms)
    return row


def bench_model(args, model_dir, work_dir):
    """Returns (compile info, rows) for one model."""
    label = os.path.basename(model_dir)
    info = {"model": label, "failed": False}
    rows = []
    if not os.path.isfile(os.path.join(model_dir, "model.onnx")):
        info.update(failed=True, reason=f"no model.onnx in {model_dir}")
        return info, rows

    compiled = None
    out_dir = os.path.join(work_dir, label)
    log(f"[{label}] kestrelc")
    try:
        os.makedirs(out_dir, exist_ok=True)
        name, seconds, lib_size, weights_size = compile_model(
            args, model_dir, out_dir)
        info.update(name=name, seconds=seconds, lib=lib_size,
                    weights=weights_size)
        compiled = (out_dir, name)
    except Failed as e:
        info.update(failed=True, reason=str(e))
    variants = []
    for label, extra, _, kestrelc, runner in (args.variants
                                              if compiled is not None else ()):
        v_dir = f"{out_dir}-{label}"
        try:
            os.makedirs(v_dir, exist_ok=True)
            variants.append((label, v_dir,
                             compile_model(args, model_dir, v_dir, extra,
                                           kestrelc)[0], runner))
        except Failed as e:
            info.update(failed=True, reason=f"{' '.join(extra)}: {e}")

    try:
        sess = ort_session(model_dir, args.threads)
    except Exception as e:  # ORT raises its own exception types.
        reason = f"onnxruntime: {last_line(str(e))}"
        rows.append({"shape": "*", "ort": None, "kestrel": None,
                     "check": f"FAILED: {reason}", "failed": True})
        return info, rows

    for shape in shapes_of(model_dir, args.shapes):
        log(f"[{label}] {shape}")
        try:
            row = bench_shape(args, model_dir, sess, compiled, shape,
                              variants)
            if compiled is None and row["ort"] is not None:
                row["check"] = f"FAILED: {info['reason']}"
                row["failed"] = True
        except Failed as e:
            row = {"shape": shape, "ort": None, "kestrel": None,
                   "check": f"FAILED: {e}", "failed": True}
        except Exception as e:  # ORT run errors: report, go on.
            row = {"shape": shape, "ort": None, "kestrel": None,
                   "check": f"FAILED: {type(e).__name__}: "
                   f"{last_line(str(e))}", "failed": True}
        rows.append(row)
    return info, rows


#===----------------------------------------------------------------------===#
# Output
#===----------------------------------------------------------------------===#

def fmt_ms(ms):
    return "-" if ms is None else f"{ms:.3f}"


def fmt_ratio(row):
    if row["ort"] is None or row["kestrel"] is None or row["ort"] <= 0:
        return "-"
    return f"{row['kestrel'] / row['ort']:.2f}x"


def fmt_size(n):
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def table_rows(args, results):
    rows = []
    for info, shape_rows in results:
        for r in shape_rows:
            row = [info["model"], r["shape"], fmt_ms(r["ort"]),
                   fmt_ms(r["kestrel"]), fmt_ratio(r)]
            for label, *_ in args.variants:
                ms = r.get("variants", {}).get(label)
                ratio = ("-" if not ms or r["kestrel"] is None
                         else f"{r['kestrel'] / ms:.2f}x")
                row += [fmt_ms(ms), ratio]
            rows.append(row + [r["check"]])
    return rows


def run_header(args):
    extra = []
    for label, _, ratio, *_ in args.variants:
        extra += [f"{label} ms", ratio]
    return RUN_HEADER[:5] + extra + RUN_HEADER[5:]


def compile_rows(results):
    rows = []
    for info, _ in results:
        if info.get("failed"):
            rows.append([info["model"], "FAILED", "-", "-",
                         info.get("reason", "")])
        else:
            rows.append([info["model"], f"{info['seconds']:.2f}",
                         fmt_size(info["lib"]), fmt_size(info["weights"]),
                         ""])
    return rows


RUN_HEADER = ["model", "shape", "ORT ms", "Kestrel ms", "Kestrel/ORT",
              "Kestrel output vs output.npy"]


COMPILE_HEADER = ["model", "kestrelc s", "libNAME.so", "NAME.kweights",
                  "note"]


def print_text(args, results):
    def table(header, rows):
        widths = [max(len(str(x)) for x in col)
                  for col in zip(header, *rows)] if rows else []
        for line in [header] + rows:
            print("  ".join(str(x).ljust(w)
                            for x, w in zip(line, widths)).rstrip())

    print(f"Kestrel CPU vs ONNX Runtime {ort.__version__} CPU, "
          f"{args.threads} thread(s); median of {args.rounds} alternating "
          f"rounds, {args.runs} timed runs per engine in all.")
    print("ORT time: InferenceSession.run only. Kestrel time: "
          "kestrel_session_run only, measured inside kestrel-run.")
    print()
    table(run_header(args), table_rows(args, results))
    print()
    table(COMPILE_HEADER, compile_rows(results))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit():
    try:
        proc = subprocess.run(["git", "-C", REPO, "rev-parse", "--short",
                               "HEAD"], capture_output=True, text=True,
                              timeout=10)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        if proc.returncode == 0:
            return proc.stdout.strip() + ("+local changes"
                                          if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return "unknown"


def print_markdown(args, argv, results):
    def table(header, rows):
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join("---" for _ in header) + " |")
        for r in rows:
            print("| " + " | ".join(str(x).replace("|", "\\|")
                                    for x in r) + " |")

    script = os.path.relpath(os.path.abspath(sys.argv[0]), REPO)
    python = os.path.relpath(sys.executable, REPO)
    if python.startswith(".."):
        python = "python3"
    command = shlex.join([python, script] + argv)
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"## Kestrel CPU vs ONNX Runtime CPU ({date[:10]})")
    print()
    print("```sh")
    print(command)
    print("```")
    print()
    print(f"- Machine: {cpu_model()}, {os.cpu_count()} logical CPUs, "
          f"{platform.system()} {platform.release()}")
    print(f"- Threads: {args.threads} for both engines (ORT: "
          f"intra_op_num_threads={args.threads}, inter_op_num_threads=1, "
          "sequential execution, ORT_ENABLE_ALL; Kestrel: kestrel-run "
          f"--threads {args.threads})")
    print(f"- Versions: onnxruntime {ort.__version__}, numpy "
          f"{np.__version__}, Python {platform.python_version()}, "
          f"Kestrel {git_commit()}")
    print(f"- Date: {date}")
    print(f"- Times: median of the per-round medians of {args.rounds} "
          f"alternating rounds, {args.runs} timed runs per engine in all, "
          f"{args.warmup} warm-up runs before each round. ORT: "
          "`InferenceSession.run` only; Kestrel: `kestrel_session_run` "
          "only, measured inside kestrel-run.")
    print(f"- Check: kestrel-run --expect against the fixture's output.npy "
          f"(rtol {args.rtol:g}, atol {args.atol:g}).")
    floor = ort_call_floor(args.threads, 2000, 50)
    print(f"- ORT's per-call floor through its Python API (an Identity "
          f"model on a [2, 8] tensor, timed the same way): {floor:.3f} ms. "
          "It is part of every ORT time above it and has no counterpart in "
          "the Kestrel column; the ratios do not subtract it.")
    print(f"- Kestrel: compiled with `kestrelc --cpu="
          f"{args.cpu or 'native'}`.")
    if args.no_fusion_too:
        print("- Unfused: the same model compiled with `kestrelc "
              "--no-fusion` (none of the fusion passes), timed in "
              "the same rounds and checked the same way.")
    for level in args.cpu_too:
        print(f"- {level}: the same model compiled with `kestrelc "
              f"--cpu={level}`, timed in the same rounds and checked the "
              "same way.")
    if args.baseline:
        print(f"- Baseline: the same model compiled and run by the Kestrel "
              f"build in `{args.baseline}`, timed in the same rounds and "
              "checked the same way.")
    print()
    table(run_header(args), table_rows(args, results))
    print()
    table(COMPILE_HEADER, compile_rows(results))


def main(argv):
    args = parse_args(argv)
    for tool, flag in ((args.kestrelc, "--kestrelc"),
                       (args.kestrel_run, "--kestrel-run")):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            log(f"warning: {flag} {tool} is not an executable; its steps "
                "will fail")
    work_dir = tempfile.mkdtemp(prefix="kestrel-ort-compare-")
    results = []
    try:
        for model_dir in find_models(args):
            results.append(bench_model(args, model_dir, work_dir))
    finally:
        if args.keep:
            log(f"compiled models kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)

    if args.markdown:
        print_markdown(args, argv, results)
    else:
        print_text(args, results)
    failed = any(info.get("failed") or any(r["failed"] for r in rows)
                 for info, rows in results)
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
