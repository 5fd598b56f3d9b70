"""Every fixture model compiled by kestrelc --target=cuda for sm_80 and for
sm_90a (nvcc), through one object cache, and the libraries opened:

- each library builds and exports NAME_model();
- without a GPU, opening it fails with the runtime's clear no-GPU error
  (kestrel-run exits 1 and prints it); with one, it runs (the numbers are
  checked by test/gpu/run_gpu_fixtures.py);
- compiling a fixture again takes every object from the cache.

The libraries stay in OUT_DIR/<fixture>-<arch> for the GPU test.

usage: compile_fixtures.py KESTRELC KESTREL_RUN OUT_DIR [--models a,b] [--cache DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "models", "fixtures")
ARCHS = ["sm_80", "sm_90a"]
NO_GPU = "no CUDA driver / no GPU found"


def compile_model(kestrelc, model, out, arch, cache, precision="bf16"):
    shutil.rmtree(out, ignore_errors=True)
    start = time.monotonic()
    run = subprocess.run(
        [kestrelc, model, "-o", out, "--name", "model", "--stats",
         f"--target=cuda:{arch}", f"--precision={precision}",
         "--cache-dir", cache,
         "--dim-range", "batch=1:16", "--dim-range", "seq=1:128"],
        capture_output=True, text=True)
    wall = time.monotonic() - start
    if run.returncode != 0:
        raise RuntimeError(f"kestrelc --target=cuda:{arch} failed on {model}:\n"
                           + run.stdout + run.stderr)
    m = re.search(r"objects: (\d+) compiled, (\d+) from the cache", run.stdout)
    if not m:
        raise RuntimeError("no build statistics in:\n" + run.stdout)
    lib = os.path.join(out, "libmodel.so")
    if not os.path.exists(lib):
        raise RuntimeError(f"{lib} was not written")
    return wall, int(m.group(1)), int(m.group(2)), os.path.getsize(lib)


def open_library(kestrel_run, out, data_dir):
    args = [kestrel_run, out]
    for name in sorted(os.listdir(data_dir)):
        if name.endswith(".npy") and name != "output.npy":
            args += ["--input", f"{name[:-4]}={os.path.join(data_dir, name)}"]
    run = subprocess.run(args, capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kestrelc")
    parser.add_argument("kestrel_run")
    parser.add_argument("out")
    parser.add_argument("--models", default="")
    parser.add_argument("--cache", default="",
                        help="kestrelc's kernel object cache")
    args = parser.parse_args()

    models = sorted(d for d in os.listdir(FIXTURES)
                    if os.path.exists(os.path.join(FIXTURES, d, "model.onnx")))
    if args.models:
        models = [m for m in models if m in args.models.split(",")]
    os.makedirs(args.out, exist_ok=True)
    cache = args.cache or os.path.join(args.out, "cache")
    failures = []
    rows = []
    have_gpu = None
    for model in models:
        data = os.path.join(FIXTURES, model, "data")
        shape = sorted(os.listdir(data))[0]
        for arch in ARCHS:
            out = os.path.join(args.out, f"{model}-{arch}")
            try:
                wall, compiled, cached, size = compile_model(
                    args.kestrelc, os.path.join(FIXTURES, model, "model.onnx"),
                    out, arch, cache)
            except RuntimeError as e:
                failures.append(f"{model} {arch}: {e}")
                continue
            rc, text = open_library(args.kestrel_run, out,
                                    os.path.join(data, shape))
            if rc == 0:
                have_gpu = True
                status = "ran on the GPU"
            elif NO_GPU in text:
                have_gpu = False if have_gpu is None else have_gpu
                status = "no GPU: clear error"
            else:
                failures.append(f"{model} {arch}: kestrel-run failed without "
                                f"the no-GPU message:\n{text}")
                status = "FAILED"
            rows.append((model, arch, wall, compiled, cached, size, status))

    # A warm recompile: every object from the cache.
    if models:
        model = models[0]
        out = os.path.join(args.out, "recompile")
        try:
            wall, compiled, cached, _ = compile_model(
                args.kestrelc, os.path.join(FIXTURES, model, "model.onnx"),
                out, ARCHS[-1], cache)
            rows.append((model + " (again)", ARCHS[-1], wall, compiled, cached,
                         0, "warm cache"))
            if compiled != 0:
                failures.append(f"recompiling {model}: {compiled} objects "
                                "compiled; expected all from the cache")
        except RuntimeError as e:
            failures.append(f"recompiling {model}: {e}")

    print(f"{'model':24} {'arch':7} {'wall s':>7} {'compiled':>8} "
          f"{'cached':>6} {'lib MiB':>7}  status")
    for model, arch, wall, compiled, cached, size, status in rows:
        print(f"{model:24} {arch:7} {wall:7.2f} {compiled:8d} {cached:6d} "
              f"{size / 2**20:7.2f}  {status}")
    if failures:
        print("\nFAILURES:\n" + "\n\n".join(failures))
        return 1
    print(f"\n{len(models)} fixtures compiled for {', '.join(ARCHS)}"
          + ("" if have_gpu else "; no GPU here, so each library reported the "
             "no-GPU error as expected"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
