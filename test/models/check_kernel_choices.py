"""Checks the IR `kestrelc --emit=mlir` prints (stdin) is what codegen reads:
every op that runs a kernel carries a #kestrel.impl naming a kernel of the
expected target with the latency the predictor expects of it, and the
function carries its memory plan.

usage: kestrelc MODEL --emit=mlir [--target=cuda] | check_kernel_choices.py TARGET
"""
import re
import sys

# Ops that run nothing: data the runtime binds and the fused body's
# terminator (the arith/math ops inside fused bodies are not kestrel ops).
NO_KERNEL = {"kestrel.weight", "kestrel.constant", "kestrel.yield"}


def main():
    target = sys.argv[1]
    text = sys.stdin.read()
    if not re.search(r"kestrel\.arena_(bytes|planning) =", text):
        sys.exit("no memory plan (kestrel.arena_bytes / kestrel.arena_planning) "
                 "on the function")
    ops = missing = 0
    kernels = {}
    for line in text.splitlines():
        m = re.search(r"= (kestrel\.[a-z_]+)\b", line) or re.match(
            r"\s*(kestrel\.[a-z_]+)\b", line)
        name = m.group(1) if m else None
        if name and name not in NO_KERNEL:
            impl = re.search(r'kestrel\.impl = #kestrel\.impl<"([a-z0-9_.]+)"',
                             line)
            # A reshape that aliases its operand runs nothing.
            if impl:
                ops += 1
                kernels[impl.group(1)] = kernels.get(impl.group(1), 0) + 1
                if not re.search(r'predicted_us = \[[0-9.e+-]+(, [0-9.e+-]+)*\]>',
                                 line):
                    sys.exit(f"#kestrel.impl without predicted_us: {line}")
                if not (impl.group(1).startswith(target + ".") or
                        impl.group(1).startswith("cpu.")):
                    sys.exit(f"{impl.group(1)} is not a {target} kernel: {line}")
            elif name != "kestrel.reshape":
                missing += 1
                print("no #kestrel.impl:", line.strip(), file=sys.stderr)
    if missing:
        sys.exit(f"{missing} ops without #kestrel.impl")
    if ops == 0:
        sys.exit("no ops with #kestrel.impl")
    print(f"{ops} ops: " + ", ".join(f"{k} {v}" for k, v in sorted(kernels.items())))


if __name__ == "__main__":
    main()
