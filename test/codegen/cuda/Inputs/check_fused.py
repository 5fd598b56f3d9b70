"""Runs the fused_elementwise test models compiled with --target=cuda-emu
(the generated CUDA kernels on the CUDA emulator) and checks them against
NumPy.

usage: check_fused.py KESTREL_RUN FLOAT_LIB INT_LIB WORK_DIR
"""

import os
import subprocess
import sys

import numpy as np


def run(kestrel_run, lib, inputs, out):
    args = [kestrel_run, lib, "--output-dir", out]
    for name, path in inputs.items():
        args += ["--input", f"{name}={path}"]
    return subprocess.run(args, capture_output=True, text=True)


def save(work, name, array):
    path = os.path.join(work, name + ".npy")
    np.save(path, array)
    return path


def main():
    kestrel_run, float_lib, int_lib, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(7)
    failures = []

    # silu(x + b) and its sign, broadcasting b over 3 rows, and over 64
    # contiguous rows (the 16-byte vector kernel needs equal shapes, so
    # both kernels run across the two models' shapes).
    x = rng.standard_normal((3, 64)).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    out = os.path.join(work, "float")
    r = run(kestrel_run, float_lib, {"x": save(work, "x", x),
                                     "b": save(work, "b", b)}, out)
    if r.returncode != 0:
        failures.append("float model: " + r.stdout + r.stderr)
    else:
        s = (x + b).astype(np.float64)
        y_ref = s / (np.exp(-s) + 1.0)
        y = np.load(os.path.join(out, "y.npy"))
        err = np.linalg.norm(y - y_ref) / np.linalg.norm(y_ref)
        print(f"silu(x + b): rel L2 {err:.3g}")
        if err > 1e-5:
            failures.append(f"silu(x + b): rel L2 {err:.3g} > 1e-5")
        pos = np.load(os.path.join(out, "pos.npy"))
        if not np.array_equal(pos, y_ref > 0):
            failures.append("y > 0 differs")

    # Integer division with arith's and the kernel library's rules.
    a = np.array([7, -7, 7, -7, 9, np.iinfo(np.int64).min, 5, 0], np.int64)
    d = np.array([2, 2, -2, -2, 3, -1, 1, 4], np.int64)
    f = np.array([1, np.nan, 2, 0, -1, np.inf, np.nan, 3], np.float32)
    out = os.path.join(work, "int")
    inputs = {"x": save(work, "a", a), "y": save(work, "d", d),
              "f": save(work, "f", f)}
    r = run(kestrel_run, int_lib, inputs, out)
    if r.returncode != 0:
        failures.append("int model: " + r.stdout + r.stderr)
    else:
        q = np.load(os.path.join(out, "q.npy"))
        m = np.load(os.path.join(out, "r.npy"))
        ne = np.load(os.path.join(out, "ne.npy"))
        # Truncating division; MIN / -1 wraps to MIN, x % -1 is 0.
        q_ref = np.array([3, -3, -3, 3, 3, np.iinfo(np.int64).min, 5, 0])
        m_ref = np.array([1, -1, 1, -1, 0, 0, 0, 0])
        print(f"divsi: {q.tolist()}\nremsi: {m.tolist()}")
        if not np.array_equal(q, q_ref) or not np.array_equal(m, m_ref):
            failures.append(f"divsi/remsi: got {q.tolist()} {m.tolist()}")
        # `one` is false for NaN and for equal values: f != f is never true.
        if ne.any():
            failures.append(f"cmpf one: got {ne.tolist()}")
    d[3] = 0
    inputs["y"] = save(work, "d0", d)
    r = run(kestrel_run, int_lib, inputs, os.path.join(work, "int0"))
    text = r.stdout + r.stderr
    print("division by zero:", text.strip().splitlines()[-1] if text else "")
    if r.returncode == 0 or "division by zero" not in text.lower():
        failures.append("an integer division by zero was not reported: "
                        + text)
    if failures:
        print("FAILURES:\n" + "\n".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
