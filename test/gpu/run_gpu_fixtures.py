"""GPU tests: every fixture run on CUDA and compared with the CPU backend.

For each fixture and each stored input shape:
- the CUDA library at --precision=bf16 matches the CPU backend within
  relative L2 1e-2, and at --precision=f32 within 1e-4 (DESIGN.md);
- replaying the captured CUDA graph gives exactly the outputs of plain
  launches;
- with --no-fusion-too, the same for libraries compiled with kestrelc
  --no-fusion (fusion off on CUDA against fusion on, on the CPU).

Without a GPU (or a driver) it prints SKIPPED with the runtime's message
and exits 77, which CTest reports as skipped.

Mixture-of-Experts routing: where the reference's router gives the k-th
and (k+1)-th expert probabilities closer than bf16 can tell apart (relative
gap below 2^-7), a bf16 run may pick the other expert for that token, as
any bf16 engine may; such tokens (found with onnxruntime from the model's
router outputs) are left out of the bf16 comparison, and the table says
how many. Every other token must meet the tolerance.

With --target cuda-emu the same comparison runs the CUDA libraries on the
CUDA emulator (kernels/cuda/emulation) instead, which needs no GPU: the
emitted CUDA host code, the runtime's CUDA side and every kernel the
fixtures use, end to end (graph capture is not emulated, so the replay
check is skipped there).

The CPU reference is built for --cpu=x86-64-v3 and run on one thread, so
its outputs are the same bits on every machine of that level; the emulator
is deterministic too. --golden FILE checks every output (CPU and each CUDA
variant) against the SHA-256 of its bytes recorded in FILE: a refactoring
that must not change numerics (issue 16) shows that it did not, in CI.
--update-golden rewrites FILE from this run.

usage: run_gpu_fixtures.py KESTRELC KESTREL_RUN OUT_DIR [--models a,b] [--cache DIR]
                           [--target cuda|cuda-emu] [--no-fusion-too]
                           [--golden FILE [--update-golden]]
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "models", "fixtures")
TOLERANCE = {"bf16": 1e-2, "f32": 1e-4}
NO_GPU = "no CUDA driver / no GPU found"
SKIP = 77


def compile_model(kestrelc, model, out, extra):
    shutil.rmtree(out, ignore_errors=True)
    run = subprocess.run(
        [kestrelc, model, "-o", out, "--name", "model",
         "--dim-range", "batch=1:16", "--dim-range", "seq=1:128"] + extra,
        capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"kestrelc {' '.join(extra)} failed:\n"
                           + run.stdout + run.stderr)


def run_model(kestrel_run, lib, data_dir, out_dir, flags=()):
    shutil.rmtree(out_dir, ignore_errors=True)
    args = [kestrel_run, lib, "--output-dir", out_dir] + list(flags)
    for name in sorted(os.listdir(data_dir)):
        if name.endswith(".npy") and name != "output.npy":
            args += ["--input", f"{name[:-4]}={os.path.join(data_dir, name)}"]
    run = subprocess.run(args, capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr


def outputs(out_dir):
    return {f[:-4]: np.load(os.path.join(out_dir, f))
            for f in sorted(os.listdir(out_dir)) if f.endswith(".npy")}


def routing_near_ties(onnx_path, data_dir, relative_gap=2.0 ** -7):
    """Per token, whether some router's k-th and (k+1)-th probabilities are
    within bf16 resolution of each other (None for models without TopK)."""
    import onnx
    model = onnx.load(onnx_path)
    consts = {t.name: onnx.numpy_helper.to_array(t)
              for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            consts[node.output[0]] = onnx.numpy_helper.to_array(
                node.attribute[0].t)
    routers = [(n.input[0], int(np.asarray(consts.get(n.input[1], 2)).ravel()[0]))
               for n in model.graph.node if n.op_type == "TopK"]
    if not routers:
        return None
    import onnxruntime as ort
    for name, _ in routers:
        model.graph.output.append(onnx.helper.make_tensor_value_info(
            name, onnx.TensorProto.FLOAT, None))
    feeds = {f[:-4]: np.load(os.path.join(data_dir, f))
             for f in sorted(os.listdir(data_dir))
             if f.endswith(".npy") and f != "output.npy"}
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    values = session.run([name for name, _ in routers], feeds)
    ties = None
    for (_, k), probs in zip(routers, values):
        p = np.sort(probs.reshape(-1, probs.shape[-1]), axis=-1)
        gap = p[:, -k] - p[:, -k - 1]
        tie = gap < relative_gap * np.abs(p[:, -k])
        ties = tie if ties is None else ties | tie
    return ties


def digest(array):
    """SHA-256 of an output's dtype, shape and bytes."""
    h = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def rel_l2(out, ref):
    out = out.astype(np.float64)
    ref = ref.astype(np.float64)
    return float(np.linalg.norm(out - ref) / max(np.linalg.norm(ref), 1e-30))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kestrelc")
    parser.add_argument("kestrel_run")
    parser.add_argument("out")
    parser.add_argument("--models", default="")
    parser.add_argument("--target", default="cuda",
                        choices=["cuda", "cuda-emu"])
    parser.add_argument("--cache", default="",
                        help="kestrelc's kernel object cache")
    parser.add_argument("--no-fusion-too", action="store_true",
                        help="also compile and check each precision with "
                        "kestrelc --no-fusion (fusion on vs off on CUDA)")
    parser.add_argument("--golden", default="",
                        help="JSON of every output's SHA-256 to check "
                        "against (bit-identical outputs)")
    parser.add_argument("--update-golden", action="store_true",
                        help="write --golden from this run instead")
    args = parser.parse_args()
    digests = {}
    # name -> (precision, extra kestrelc flags, tolerance)
    variants = {p: (p, [], tol) for p, tol in TOLERANCE.items()}
    if args.no_fusion_too:
        variants.update({f"{p}-nofusion": (p, ["--no-fusion"], tol)
                         for p, tol in TOLERANCE.items()})
    models = sorted(d for d in os.listdir(FIXTURES)
                    if os.path.exists(os.path.join(FIXTURES, d, "model.onnx")))
    if args.models:
        models = [m for m in models if m in args.models.split(",")]
    os.makedirs(args.out, exist_ok=True)
    cache = ["--cache-dir", args.cache or os.path.join(args.out, "cache")]
    failures, rows = [], []
    emulated = args.target == "cuda-emu"
    # First: is there a GPU? One small CUDA library answers (the runtime's
    # own check), before anything else is compiled.
    if models and not emulated:
        probe = os.path.join(args.out, "probe")
        compile_model(args.kestrelc,
                      os.path.join(FIXTURES, models[0], "model.onnx"), probe,
                      ["--target=cuda"] + cache)
        data = os.path.join(FIXTURES, models[0], "data")
        rc, text = run_model(args.kestrel_run, probe,
                             os.path.join(data, sorted(os.listdir(data))[0]),
                             os.path.join(args.out, "probe-out"))
        if rc != 0 and NO_GPU in text:
            print(f"SKIPPED: {text.strip()}")
            return SKIP
    for model in models:
        onnx = os.path.join(FIXTURES, model, "model.onnx")
        base = os.path.join(args.out, model)
        libs = {"cpu": base + "-cpu"}
        compile_model(args.kestrelc, onnx, libs["cpu"], ["--cpu=x86-64-v3"])
        for variant, (precision, extra, _) in variants.items():
            libs[variant] = f"{base}-cuda-{variant}"
            compile_model(args.kestrelc, onnx, libs[variant],
                          [f"--target={args.target}",
                           f"--precision={precision}"] + extra + cache)
        data = os.path.join(FIXTURES, model, "data")
        for shape in sorted(os.listdir(data)):
            case = os.path.join(data, shape)
            rc, text = run_model(args.kestrel_run, libs["cpu"], case,
                                 f"{base}-out-cpu-{shape}", ["--threads", "1"])
            if rc != 0:
                failures.append(f"{model} {shape} cpu: {text}")
                continue
            ref = outputs(f"{base}-out-cpu-{shape}")
            for name, r in ref.items():
                digests[f"{model}/{shape}/cpu/{name}"] = digest(r)
            ties = routing_near_ties(onnx, case)
            for variant, (precision, _, tol) in variants.items():
                got = {}
                modes = [("graph", []), ("launch", ["--no-cuda-graph"])]
                for mode, flags in modes[:1] if emulated else modes:
                    out_dir = f"{base}-out-{variant}-{mode}-{shape}"
                    rc, text = run_model(args.kestrel_run, libs[variant],
                                         case, out_dir, flags)
                    if rc != 0 and NO_GPU in text and not emulated:
                        print(f"SKIPPED: {text.strip()}")
                        return SKIP
                    if rc != 0:
                        failures.append(f"{model} {shape} {variant} {mode}: "
                                        + text)
                        break
                    got[mode] = outputs(out_dir)
                if emulated:
                    got["launch"] = got.get("graph")
                for name, out in (got.get("graph") or {}).items():
                    digests[f"{model}/{shape}/{args.target}-{variant}/{name}"] = \
                        digest(out)
                if len(got) != 2 or got["graph"] is None:
                    continue
                for name, r in ref.items():
                    out = got["graph"][name]
                    note = ""
                    if (precision == "bf16" and ties is not None
                            and ties.any() and r.ndim >= 2
                            and r.shape[0] * r.shape[1] == ties.size):
                        keep = ~ties
                        note = (f"  ({int(ties.sum())} of {ties.size} tokens "
                                "with near-tie routing left out)")
                        rows_of = lambda a: a.reshape(ties.size, -1)[keep]
                        err = rel_l2(rows_of(out), rows_of(r))
                    else:
                        err = rel_l2(out, r)
                    same = np.array_equal(out, got["launch"][name])
                    ok = err <= tol and same
                    rows.append((model, shape, variant, name, err, same, ok,
                                 note))
                    if not ok:
                        failures.append(
                            f"{model} {shape} {variant} {name}: rel L2 "
                            f"{err:.3g} (limit {tol}), graph == launches: "
                            f"{same}")
    print(f"{'model':22} {'shape':6} {'variant':13} {'output':12} "
          f"{'rel L2':>10}  graph==launch")
    for model, shape, precision, name, err, same, ok, note in rows:
        print(f"{model:22} {shape:6} {precision:13} {name:12} {err:10.3g}  "
              f"{same}{'' if ok else '  FAIL'}{note}")
    if args.golden and args.update_golden:
        with open(args.golden, "w") as f:
            json.dump(dict(sorted(digests.items())), f, indent=1)
            f.write("\n")
        print(f"wrote {len(digests)} output digests to {args.golden}")
    elif args.golden:
        golden = json.load(open(args.golden))
        same = sum(digests.get(k) == v for k, v in golden.items())
        for key in sorted(set(golden) | set(digests)):
            if key not in digests:
                failures.append(f"{key}: in {args.golden} but not produced")
            elif key not in golden:
                failures.append(f"{key}: produced but not in {args.golden} "
                                "(--update-golden records it)")
            elif digests[key] != golden[key]:
                failures.append(f"{key}: the output's bits changed "
                                f"(golden {golden[key][:12]}, now "
                                f"{digests[key][:12]})")
        print(f"bit-identical to {os.path.basename(args.golden)}: {same} of "
              f"{len(golden)} outputs")
    if failures:
        print("\nFAILURES:\n" + "\n".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
