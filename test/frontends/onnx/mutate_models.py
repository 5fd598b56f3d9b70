"""Feeds kestrelc corrupted copies of real models and checks that every run
ends in success or a clean error (exit 0 or 1, a message on error), never a
crash, an abort or a sanitizer report.

    mutate_models.py KESTRELC COUNT SEED MODEL.onnx...

Mutations: flipped bytes, truncations, zeroed ranges and duplicated ranges of
the protobuf, the kinds of damage a bad download or disk produces.
"""
import os
import random
import subprocess
import sys
import tempfile


def mutate(data, rng):
    """One random mutation of `data`: (its kind, the mutated bytes)."""
    data = bytearray(data)
    kind = rng.choice(["flip", "truncate", "zero", "duplicate"])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del data[rng.randrange(1, len(data)):]
    elif kind == "zero":
        start = rng.randrange(len(data))
        data[start:start + rng.randint(1, 64)] = bytes(
            len(data[start:start + rng.randint(1, 64)]))
    else:
        start = rng.randrange(len(data))
        data[start:start] = data[start:start + rng.randint(1, 256)]
    return kind, bytes(data)


def main():
    kestrelc, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    models = [open(p, "rb").read() for p in sys.argv[4:]]
    rng = random.Random(seed)
    outcomes = {0: 0, 1: 0}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mutated.onnx")
        for i in range(count):
            kind, data = mutate(rng.choice(models), rng)
            with open(path, "wb") as f:
                f.write(data)
            run = subprocess.run(
                [kestrelc, path, "--emit=mlir", "-o", os.devnull],
                capture_output=True, timeout=120)
            run.stderr = run.stderr.decode("utf-8", errors="replace")
            bad = run.returncode not in (0, 1) or \
                "Sanitizer" in run.stderr or "runtime error" in run.stderr or \
                (run.returncode == 1 and "error:" not in run.stderr)
            if bad:
                keep = os.path.join(os.getcwd(), f"crash-{seed}-{i}.onnx")
                with open(keep, "wb") as f:
                    f.write(data)
                print(f"mutation {i} ({kind}): exit {run.returncode}; input "
                      f"kept as {keep}\n{run.stderr[-3000:]}")
                sys.exit(1)
            outcomes[run.returncode] += 1
    print(f"{count} mutated models: {outcomes[0]} imported, {outcomes[1]} "
          f"clean errors, 0 crashes")


if __name__ == "__main__":
    main()
