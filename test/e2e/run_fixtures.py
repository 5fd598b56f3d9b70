"""End-to-end: every fixture model compiled once by kestrelc (CPU target) and
run by kestrel-run at several (batch, seq) shapes from the one library,
outputs compared with the references (f32 relative L2 <= 1e-4).

Fusion: each fixture is also compiled with --no-fusion; both libraries must
match the references, and the fused outputs must match the unfused ones
(relative L2 <= 1e-4). The unfused library runs its GEMMs on the other CPU
candidate (--kernel=cpu.gemm.blocked; the fused one has the rules'
cpu.gemm.dot), so both are checked against the references. The fused library's --stats must show every
attention site fused (one kestrel.attention per layer, no softmax left but
MoE routers'), every norm fused (two per layer and the final one) and, in
the rotary models, q's and k's rotary embedding fused (two per layer).

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
# test/models/generate.py builds every fixture with two layers; Mixtral's
# routers add one (rank-2) softmax per layer.
LAYERS = 2
ROUTER_SOFTMAX = {"mixtral-dynamo": LAYERS, "mixtral-opset17": LAYERS}
# Residual adds no matmul epilogue can take, fused into the norm after them:
# the one after each MoE block (Mixtral) and the last of GPT-J's three-way
# sums.
RESIDUAL_NORMS = {"mixtral": LAYERS, "gptj": LAYERS}


def compile_model(kestrelc, model, out, extra=()):
    start = time.monotonic()
    run = subprocess.run(
        [kestrelc, model, "-o", out, "--name", "model", "--stats",
         "--dim-range", "batch=1:16", "--dim-range", "seq=1:128", *extra],
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


def check_fusion_counts(name, stats):
    """Every attention site and every norm fused, per --stats."""
    m = re.search(r"fused ops: attention (\d+) \([+-]\d+\) rms_norm (\d+) "
                  r"\([+-]\d+\) layer_norm (\d+) \([+-]\d+\) add_rms_norm "
                  r"(\d+) \([+-]\d+\) add_layer_norm (\d+) \([+-]\d+\) rope "
                  r"(\d+) \([+-]\d+\) fused_matmul \d+ \([+-]\d+\) "
                  r"multi_matmul (\d+) \([+-]\d+\) "
                  r"fused_elementwise (\d+) \([+-]\d+\); softmax left (\d+) "
                  r"of (\d+)", stats)
    if not m:
        return [f"{name}: no fused-op counts in kestrelc --stats:\n{stats}"]
    (attention, rms, layer, add_rms, add_layer, rope, multi, fused, left,
     before) = map(int, m.groups())
    problems = []
    # The activations exporters write out (SiLU as x * sigmoid(x), GPT-2's
    # tanh GELU) end up in fused_elementwise bodies or, gated (SwiGLU), in a
    # multi_matmul's epilogue: none is left as its own op, and every MLP
    # has one of the two.
    compiled = re.search(r"ops compiled: \d+ \(([^)]*)\)", stats)
    left_ops = dict(entry.rsplit(" ", 1) for entry in
                    compiled.group(1).split(", ")) if compiled else {}
    for op in ("sigmoid", "tanh", "pow", "erf"):
        if op in left_ops:
            problems.append(f"{name}: {left_ops[op]} {op} ops left unfused")
    if not name.startswith("bert") and fused + multi < LAYERS:
        problems.append(f"{name}: {fused} fused_elementwise and {multi} "
                        f"multi_matmul ops, expected at least {LAYERS} (one "
                        f"per MLP)")
    # A Llama layer (kestrel-fuse-parallel-matmuls, kestrel-fold-transposes):
    # norm, QKV GEMM, two ropes, attention, output projection, norm, gated
    # GEMM, down projection.
    per_layer = re.search(r"kernel calls: \d+ per run \(\d+ more on the "
                          r"host, for shapes\); per layer (\d+)", stats)
    if name.startswith("llama") and (not per_layer or
                                     int(per_layer.group(1)) > 10):
        problems.append(f"{name}: kernel calls per layer "
                        f"{per_layer.group(1) if per_layer else 'not reported'}"
                        f", expected at most 10")
    # Rotary models (all but GPT-2 and BERT) rotate q and k in every layer.
    rotary = not name.startswith(("gpt2", "bert"))
    if rope != (2 * LAYERS if rotary else 0):
        problems.append(f"{name}: {rope} rope ops, expected "
                        f"{2 * LAYERS if rotary else 0}")
    if attention != LAYERS:
        problems.append(f"{name}: {attention} attention ops, expected {LAYERS}")
    if left != ROUTER_SOFTMAX.get(name, 0):
        problems.append(f"{name}: {left} of {before} softmax ops left unfused")
    # GPT-J runs attention and MLP in parallel off one LayerNorm per layer.
    norms = LAYERS + 1 if name.startswith("gptj") else 2 * LAYERS + 1
    if rms + layer + add_rms + add_layer != norms:
        problems.append(f"{name}: {rms} rms_norm + {layer} layer_norm + "
                        f"{add_rms} add_rms_norm + {add_layer} "
                        f"add_layer_norm, expected {norms}")
    residual_norms = RESIDUAL_NORMS.get(name.split("-")[0], 0)
    if add_rms + add_layer != residual_norms:
        problems.append(f"{name}: {add_rms + add_layer} residual adds fused "
                        f"into norms, expected {residual_norms}")
    return problems


def rel_l2(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def run_case(kestrel_run, out, data_dir, save_dir=None):
    args = [kestrel_run, out, "--threads", "2"]
    for name in sorted(os.listdir(data_dir)):
        if name.endswith(".npy") and name != "output.npy":
            args += ["--input", f"{name[:-4]}={os.path.join(data_dir, name)}"]
    args += ["--expect", f"output={os.path.join(data_dir, 'output.npy')}",
             "--rtol", str(RTOL)]
    if save_dir:
        args += ["--output-dir", save_dir]
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
          f"{'weights KiB':>11}  shape  rel L2    unfused   fused/unf. result")
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
        for problem in check_fusion_counts(name, info["stats"]):
            print(problem)
            failures += 1
        unfused = os.path.join(args.out, name + "-nofusion")
        try:
            compile_model(args.kestrelc, model, unfused,
                          ["--no-fusion", "--kernel=cpu.gemm.blocked"])
        except RuntimeError as e:
            print(f"{name:<20} COMPILE FAILED (--no-fusion)\n{e}")
            failures += 1
            continue
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
            tag = shape.rstrip("*")
            fused_dir = os.path.join(out, "outputs-" + tag)
            unfused_dir = os.path.join(unfused, "outputs-" + tag)
            ok, rel, log = run_case(args.kestrel_run, out, case_dir, fused_dir)
            ok_u, rel_u, log_u = run_case(args.kestrel_run, unfused, case_dir,
                                          unfused_dir)
            versus = float("nan")
            if ok and ok_u:
                versus = rel_l2(np.load(os.path.join(fused_dir, "output.npy")),
                                np.load(os.path.join(unfused_dir, "output.npy")))
            good = ok and ok_u and versus <= RTOL
            prefix = (f"{name:<20} {info['compile_s']:>9.3f} {info['cxx_s']:>6.2f} "
                      f"{info['lib_bytes'] / 1024:>8.0f} "
                      f"{info['weights_bytes'] / 1024:>11.0f}") if i == 0 else " " * 58
            print(f"{prefix}  {shape:<6} {rel:<9.2e} {rel_u:<9.2e} "
                  f"{versus:<10.2e} {'ok' if good else 'FAIL'}")
            if not good:
                failures += 1
                print(log if not ok else log_u)
    print("(* random ids, onnxruntime reference)")
    if failures:
        print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
