"""Runs an ONNX model with onnxruntime and a Kestrel library built from it
on the same fresh random inputs, and compares every output with kestrel-run
--expect (relative L2 <= 1e-4).

usage: run_vs_ort.py KESTREL_RUN MODEL.onnx LIBDIR WORKDIR [DIM=SIZE ...]
Symbolic input dims take the sizes given (default 3); integer inputs are
drawn from [0, int_high) (int_high=N among the sizes; default 3).
"""

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main():
    kestrel_run, model_path, lib, work = sys.argv[1:5]
    sizes = dict(a.split("=") for a in sys.argv[5:])
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(int.from_bytes(os.urandom(4), "little"))
    model = onnx.load(model_path)
    feeds, args = {}, [kestrel_run, lib]
    for i in model.graph.input:
        dims = [d.dim_value if d.HasField("dim_value")
                else int(sizes.get(d.dim_param, 3))
                for d in i.type.tensor_type.shape.dim]
        elem = i.type.tensor_type.elem_type
        if elem in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
            # Indices: uniform in [0, int_high).
            x = rng.integers(0, int(sizes.get("int_high", 3)), dims).astype(
                np.int64 if elem == onnx.TensorProto.INT64 else np.int32)
        else:
            x = rng.standard_normal(dims).astype(np.float32)
        path = os.path.join(work, i.name + ".npy")
        np.save(path, x)
        feeds[i.name] = x
        args += ["--input", f"{i.name}={path}"]
    session = ort.InferenceSession(model_path,
                                   providers=["CPUExecutionProvider"])
    for o, y in zip(session.get_outputs(), session.run(None, feeds)):
        path = os.path.join(work, o.name + ".expected.npy")
        np.save(path, y)
        args += ["--expect", f"{o.name}={path}"]
    run = subprocess.run(args, capture_output=True, text=True)
    print(run.stdout + run.stderr)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
