"""End-to-end: every fixture model compiled once by kestrelc (CPU target) and
run by kestrel-run at several (batch, seq) shapes from the one library,
outputs compared with the references (f32 relative L2 <= 1e-4).

The shapes are the fixture's stored ones (references from PyTorch) plus one
drawn at test time with random token ids, whose reference comes from
onnxruntime (which matches PyTorch to ~2e-7 on these fixtures).

usage: run_fixtures.py KESTRELC KESTREL_RUN OUT_DIR [--models a,b] [--seed N]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "models", "fixtures")
RTOL = 1e-4


def compile_model(kestrelc, model, out):
    start = time.monotonic()
    run = subprocess.run(
        [kestrelc, model, "-o", out, "--name", "model", "--stats",
         "--dim-range", "batch=1:16", "--dim-range", "seq=1:128"],
        capture_output=True, text=True)
    wall = time.monotonic() - start
    if run.returncode != 0:
        raise RuntimeError("kestrelc failed:\n" + run.stdout + run.stderr)
    front = re.search(r"total excluding the C\+\+ compiler ([0-9.]+) s", run.stdout)
    cxx = re.search(r"time: C\+\+ compiler ([0-9.]+) s", run.stdout)
    return {
        "compile_s": float(front.group(1)) if front else float("nan"),
        "cxx_s": float(cxx.group(1)) if cxx else float("nan"),
        "wall_s": wall,
        "lib_bytes": os.path.getsize(os.path.join(out, "libmodel.so")),
        "weights_bytes": os.path.getsize(os.path.join(out, "model.kweights")),
        "stats": run.stdout,
    }


def run_case(kestrel_run, out, data_dir):
    args = [kestrel_run, out, "--threads", "2"]
    for name in sorted(os.listdir(data_dir)):
        if name.endswith(".npy") and name != "output.npy":
            args += ["--input", f"{name[:-4]}={os.path.join(data_dir, name)}"]
    args += ["--expect", f"output={os.path.join(data_dir, 'output.npy')}",
             "--rtol", str(RTOL)]
    run = subprocess.run(args, capture_output=True, text=True)
    m = re.search(r"relative L2 error ([0-9.eE+-]+|nan|inf)", run.stdout)
    rel = float(m.group(1)) if m else float("nan")
    return run.returncode == 0, rel, run.stdout + run.stderr


def make_random_case(model, src_dir, dst_dir, batch, seq, rng):
    """Random ids (within the fixture's id range) and an ORT reference."""
    import onnxruntime as ort

    os.makedirs(dst_dir, exist_ok=True)
    ids = np.load(os.path.join(src_dir, "input_ids.npy"))
    high = int(ids.max()) + 1
    feeds = {"input_ids": rng.integers(0, high, size=(batch, seq), dtype=np.int64)}
    if os.path.exists(os.path.join(src_dir, "attention_mask.npy")):
        mask = np.ones((batch, seq), dtype=np.int64)
        for b in range(1, batch):
            mask[b, seq - b:] = 0  # right padding of varying length
        feeds["attention_mask"] = mask
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    (out,) = sess.run(["output"], feeds)
    for name, value in feeds.items():
        np.save(os.path.join(dst_dir, name + ".npy"), value)
    np.save(os.path.join(dst_dir, "output.npy"), out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kestrelc")
    parser.add_argument("kestrel_run")
    parser.add_argument("out")
    parser.add_argument("--models", default="")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = parser.parse_args()

    summary = json.load(open(os.path.join(FIXTURES, "summary.json")))["fixtures"]
    names = [n for n, info in sorted(summary.items()) if "skipped" not in info
             and os.path.exists(os.path.join(FIXTURES, n, "model.onnx"))]
    if args.models:
        names = [n for n in names if n in args.models.split(",")]
    rng = np.random.default_rng(args.seed)
    print(f"seed {args.seed}; f32 tolerance: relative L2 <= {RTOL}")
    print(f"{'model':<20} {'compile s':>9} {'c++ s':>6} {'lib KiB':>8} "
          f"{'weights KiB':>11}  shape  rel L2    result")
    failures = 0
    for name in names:
        model = os.path.join(FIXTURES, name, "model.onnx")
        out = os.path.join(args.out, name)
        try:
            info = compile_model(args.kestrelc, model, out)
        except RuntimeError as e:
            print(f"{name:<20} COMPILE FAILED\n{e}")
            failures += 1
            continue
        if info["compile_s"] >= 2.0:
            print(f"{name}: compile time {info['compile_s']:.2f} s exceeds 2 s")
            failures += 1
        cases = []
        data = os.path.join(FIXTURES, name, "data")
        for shape in sorted(os.listdir(data)):
            cases.append((shape, os.path.join(data, shape)))
        batch, seq = int(rng.integers(2, 5)), int(rng.integers(9, 25))
        rand_dir = os.path.join(out, f"random-{batch}x{seq}")
        make_random_case(model, os.path.join(data, sorted(os.listdir(data))[0]),
                         rand_dir, batch, seq, rng)
        cases.append((f"{batch}x{seq}*", rand_dir))
        for i, (shape, case_dir) in enumerate(cases):
            ok, rel, log = run_case(args.kestrel_run, out, case_dir)
            prefix = (f"{name:<20} {info['compile_s']:>9.3f} {info['cxx_s']:>6.2f} "
                      f"{info['lib_bytes'] / 1024:>8.0f} "
                      f"{info['weights_bytes'] / 1024:>11.0f}") if i == 0 else " " * 58
            print(f"{prefix}  {shape:<6} {rel:<9.2e} {'ok' if ok else 'FAIL'}")
            if not ok:
                failures += 1
                print(log)
    print("(* random ids, onnxruntime reference)")
    if failures:
        print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
