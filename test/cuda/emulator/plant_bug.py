#!/usr/bin/env python3
# ===- plant_bug.py - Bugs planted in the shipped CUDA kernels -------------===#
#
# Writes the emulator's copy of one kernel source (shared memory rewritten
# by rewrite_shared.py) with one bug planted, for the tests that show the
# emulator catches it in the shipped kernel, not only in a test kernel.
# Each bug is data: the file, the anchor text (which must occur exactly
# once, or planting fails: a refactor cannot make a test vacuous), its
# replacement, the emulator suites that must fail, whether they run in
# checking mode, and the regular expression their output must match (the
# CTest test's PASS_REGULAR_EXPRESSION; CMake's syntax: no backreferences).
#
# Usage:
#   plant_bug.py plant NAME REWRITER SOURCE OUTPUT
#   plant_bug.py cmake ROOT OUTPUT  (writes the bug table for CMake,
#                                    checking every anchor against ROOT)
#
# ===-----------------------------------------------------------------------===#

import importlib.util
import os
import sys
from collections import namedtuple

Bug = namedtuple("Bug", "name file anchor replacement suites check expect why")

GEMM = "kernels/cuda/Gemm.cuh"
ATTENTION = "kernels/cuda/Attention.cu"
ELEMENTWISE = "kernels/cuda/Elementwise.cu"

BUGS = [
    Bug("gemm-missing-barrier", GEMM,
        "      cpAsyncWait<kStages - 2>();\n      __syncthreads();",
        "      cpAsyncWait<kStages - 2>();",
        ["gemm"], False,
        r"gemmMma: [1-9][0-9]* race-checker diagnostics",
        "the barrier between a stage's cp.async wait and its ldmatrix reads "
        "removed: the race checker reports it"),
    Bug("gemm-fragment-index", GEMM,
        "bfr[j][0] = r[0];\n          bfr[j][1] = r[1];",
        "bfr[j][0] = r[1];\n          bfr[j][1] = r[0];",
        ["gemm"], False,
        r"gemmMma<128,128,32,2,4> bf16 A B M37 N70 K45 batch \[\] x \[\]: "
        r"relative L2 error",
        "the two k halves of B's fragments swapped: wrong products"),
    Bug("flash-missing-barrier", ATTENTION,
        "    cpAsyncWait<0>();\n    __syncthreads();\n",
        "    cpAsyncWait<0>();\n",
        ["flash-attention"], True,
        r"FAIL emulator check: shared-memory race: [a-z ]+ of shared address "
        r"0x[0-9a-f]+ last written or read by thread [0-9]+ with no barrier "
        r"between \(kernel flashAttentionMma<T, kD>",
        "the barrier between staging a k/v tile (cp.async) and reading it "
        "(ldmatrix) removed: the race checker reports it"),
    Bug("flash-fragment-element", ATTENTION,
        "packPair<T>(pr[0][0], pr[0][1]), packPair<T>(pr[0][2], pr[0][3]),\n"
        "          packPair<T>(pr[1][0], pr[1][1]), packPair<T>(pr[1][2], "
        "pr[1][3])",
        "packPair<T>(pr[0][0], pr[0][1]), packPair<T>(pr[1][0], pr[1][1]),\n"
        "          packPair<T>(pr[0][2], pr[0][3]), packPair<T>(pr[1][2], "
        "pr[1][3])",
        ["flash-attention"], True,
        r"FAIL flash attention (bf16|f16) B[0-9]+ H[0-9]+ .*: [0-9]+ of "
        r"[0-9]+ elements differ",
        "registers a1 and a2 of P's A fragment swapped (rows g + 8 of keys "
        "0-7 against rows g of keys 8-15): wrong probabilities times v"),
    Bug("decode-missing-barrier", ATTENTION,
        "  __syncthreads();\n  if (warp < group) {",
        "  if (warp < group) {",
        ["decode-attention"], True,
        r"FAIL emulator check: shared-memory race: [a-z ]+ of shared address "
        r"0x[0-9a-f]+ last written or read by thread [0-9]+ with no barrier "
        r"between \(kernel decodeAttentionSplitKv<T>",
        "the barrier between the warps' partial softmaxes and their merge "
        "removed: the race checker reports it"),
    Bug("decode-split-combine", ATTENTION,
        "total += partSum[w][g] * f;",
        "total += partSum[w][g];",
        ["decode-attention"], True,
        r"FAIL decode attention (f32|f16|bf16|f8E4M3FN) B[0-9]+ H[0-9]+ .*: "
        r"[0-9]+ of [0-9]+ elements differ",
        "the merge adds each warp's partial sum without rescaling it to the "
        "common max: wrong normalization"),
    Bug("elementwise-out-of-bounds", ELEMENTWISE,
        "  for (int64_t i = done + threadIndex(); i < n; i += threadCount())\n"
        "    y[i] = unaryValue(op, x[i]);",
        "  for (int64_t i = done + threadIndex(); i <= n; i += threadCount())\n"
        "    y[i] = unaryValue(op, x[i]);",
        ["elementwise"], True,
        r"FAIL emulator check: out-of-bounds global memory: read at byte "
        r"[0-9]+ of a [0-9]+-byte allocation \(0 bytes past its end, "
        r"[^)]*\).* \(kernel unaryKernel<T>, block \([0-9]+,0,0\), thread "
        r"\([0-9]+,0,0\)\)",
        "unary's scalar loop runs to i <= n: one element read (and written) "
        "past the end; the guard page after the allocation reports it"),
]


def find(name):
    for bug in BUGS:
        if bug.name == name:
            return bug
    raise SystemExit("plant_bug: no bug named %s" % name)


def anchored(bug, src, path):
    """The source with the bug planted; fails unless the anchor is there
    exactly once."""
    count = src.count(bug.anchor)
    if count != 1:
        raise SystemExit(
            "plant_bug: the anchor of %s occurs %d times in %s (once "
            "expected); update test/cuda/emulator/plant_bug.py with the "
            "kernel" % (bug.name, count, path))
    return src.replace(bug.anchor, bug.replacement)


def plant(name, rewriter, src_path, out_path):
    bug = find(name)
    spec = importlib.util.spec_from_file_location("rewrite_shared", rewriter)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(src_path) as f:
        src = f.read()
    text = module.rewrite(anchored(bug, src, src_path), src_path)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        f.write('#line 1 "%s (%s planted)"\n' % (src_path, name) + text)


def cmake(root, out_path):
    lines = ["# Generated by plant_bug.py: the planted bugs, for CMake.",
             "set(KESTREL_PLANTED_BUGS %s)" % " ".join(b.name for b in BUGS)]
    for bug in BUGS:
        path = os.path.join(root, bug.file)
        with open(path) as f:
            anchored(bug, f.read(), path)
        for field in (bug.file, bug.expect) + tuple(bug.suites):
            if ";" in field or "]==]" in field:
                raise SystemExit("plant_bug: %s: ';' or ']==]' in a field"
                                 % bug.name)
        prefix = "KESTREL_PLANTED_%s_" % bug.name
        lines += ["set(%sFILE [==[%s]==])" % (prefix, bug.file),
                  "set(%sSUITES %s)" % (prefix, " ".join(bug.suites)),
                  "set(%sCHECK %s)" % (prefix, "ON" if bug.check else "OFF"),
                  "set(%sEXPECT [==[%s]==])" % (prefix, bug.expect)]
    text = "\n".join(lines) + "\n"
    old = open(out_path).read() if os.path.exists(out_path) else None
    if old != text:
        with open(out_path, "w") as f:
            f.write(text)


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "plant":
        plant(*sys.argv[2:6])
    elif len(sys.argv) == 4 and sys.argv[1] == "cmake":
        cmake(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: plant_bug.py plant NAME REWRITER SOURCE "
                         "OUTPUT | plant_bug.py cmake ROOT OUTPUT")


if __name__ == "__main__":
    main()
