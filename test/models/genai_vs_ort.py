"""Runs an onnxruntime-genai builder model (test/models/genai) with
onnxruntime and a Kestrel library built from it, at the shapes a generation
loop uses -- the first prompt (no past), a prompt after a past (batch 1, as
GroupQueryAttention requires) and batched decode steps -- on fresh random
inputs, and compares every output (logits and the present keys and values)
with kestrel-run --expect (relative L2 <= 1e-4).

usage: genai_vs_ort.py KESTREL_RUN MODEL.onnx LIBDIR WORKDIR
"""

import json
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort


def main():
    kestrel_run, model, lib, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(int.from_bytes(os.urandom(4), "little"))
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    past_inputs = [i for i in sess.get_inputs()
                   if i.name.startswith("past_key_values")]
    with open(os.path.join(os.path.dirname(model), "genai_config.json")) as f:
        decoder = json.load(f)["model"]["decoder"]
    heads, head_dim = decoder["num_key_value_heads"], decoder["head_size"]
    failed = False
    for batch, seq, past in ((2, 5, 0), (1, 6, 3), (2, 1, 7), (3, 1, 1)):
        feeds = {"input_ids": rng.integers(0, 256, (batch, seq)).astype(np.int64),
                 "attention_mask": np.ones((batch, seq + past), np.int64)}
        for i in past_inputs:
            feeds[i.name] = rng.standard_normal(
                (batch, heads, past, head_dim)).astype(np.float32)
        outs = sess.run(None, feeds)
        args = [kestrel_run, lib]
        for name, value in feeds.items():
            path = os.path.join(work, name + ".npy")
            np.save(path, value)
            args += ["--input", f"{name}={path}"]
        for o, value in zip(sess.get_outputs(), outs):
            path = os.path.join(work, "expected-" + o.name + ".npy")
            np.save(path, value)
            args += ["--expect", f"{o.name}={path}"]
        r = subprocess.run(args, capture_output=True, text=True)
        verdict = "ok" if r.returncode == 0 else "FAILED"
        print(f"batch {batch} seq {seq} past {past}: {len(outs)} outputs {verdict}")
        if r.returncode:
            failed = True
            print(r.stdout + r.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
