"""Fused vs unfused Kestrel (CPU) as the sequence grows, with ORT alongside.

Compiles one fixture twice (kestrelc, and kestrelc --no-fusion), then for
each sequence length draws random token ids (batch 1), checks both
libraries against onnxruntime (relative L2 <= 1e-4) and times the three in
alternating rounds (kestrel-run --bench inside the library; ORT
InferenceSession.run). Attention fusion removes the S x S score, mask and
probability tensors, so its advantage should grow with the sequence.

usage: .venv/bin/python bench/fusion_sweep.py [--model DIR] [--seqs 64,256,1024]
                                              [--threads 1] [--runs 60] [--rounds 3]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def kestrel_ms(args, lib, ids_path, runs, expect=None):
    cmd = [args.kestrel_run, lib, "--name", "model", "--threads",
           str(args.threads), "--input", f"input_ids={ids_path}"]
    if expect:
        cmd += ["--expect", f"output={expect}", "--rtol", "1e-4"]
        run(cmd)
        return None
    out = run(cmd + ["--bench", str(runs), "--warmup", "3"])
    return float(re.search(r"bench: median_ms=([0-9.eE+-]+)", out).group(1))


def ort_ms(sess, feeds, runs):
    for _ in range(3):
        sess.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=os.path.join(
        REPO, "test", "models", "fixtures", "llama-dynamo"))
    p.add_argument("--seqs", default="64,256,1024")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=60)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--kestrelc", default=os.path.join(REPO, "build", "bin",
                                                      "kestrelc"))
    p.add_argument("--kestrel-run", default=os.path.join(REPO, "build", "bin",
                                                         "kestrel-run"))
    args = p.parse_args()
    onnx_path = os.path.join(args.model, "model.onnx")
    seqs = [int(s) for s in args.seqs.split(",")]
    work = tempfile.mkdtemp(prefix="kestrel-fusion-sweep-")
    libs = {}
    for label, extra in (("fused", []), ("unfused", ["--no-fusion"])):
        libs[label] = os.path.join(work, label)
        run([args.kestrelc, onnx_path, "-o", libs[label], "--name", "model",
             "--dim-range", f"seq=1:{max(seqs)}"] + extra)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, options,
                                providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    ids0 = np.load(os.path.join(args.model, "data", "1x8", "input_ids.npy"))
    print(f"model {os.path.relpath(args.model, REPO)}, batch 1, "
          f"{args.threads} thread(s), median of {args.rounds} rounds x "
          f"{args.runs // args.rounds} runs")
    print()
    print("| seq | ORT ms | Kestrel fused ms | Kestrel --no-fusion ms | "
          "fused/unfused | fused/ORT |")
    print("| --- | --- | --- | --- | --- | --- |")
    for seq in seqs:
        ids = rng.integers(0, int(ids0.max()) + 1, size=(1, seq),
                           dtype=np.int64)
        ids_path = os.path.join(work, f"ids-{seq}.npy")
        np.save(ids_path, ids)
        (ref,) = sess.run(["output"], {"input_ids": ids})
        ref_path = os.path.join(work, f"ref-{seq}.npy")
        np.save(ref_path, ref)
        for lib in libs.values():
            kestrel_ms(args, lib, ids_path, 0, expect=ref_path)
        per_round = max(1, args.runs // args.rounds)
        t = {"ort": [], "fused": [], "unfused": []}
        for _ in range(args.rounds):
            t["ort"].append(ort_ms(sess, {"input_ids": ids}, per_round))
            for label, lib in libs.items():
                t[label].append(kestrel_ms(args, lib, ids_path, per_round))
        m = {k: statistics.median(v) for k, v in t.items()}
        print(f"| {seq} | {m['ort']:.3f} | {m['fused']:.3f} | "
              f"{m['unfused']:.3f} | {m['fused'] / m['unfused']:.2f}x | "
              f"{m['fused'] / m['ort']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
