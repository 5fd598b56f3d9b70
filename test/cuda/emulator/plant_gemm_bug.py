#!/usr/bin/env python3
# ===- plant_gemm_bug.py - A planted bug in the real tensor-core GEMM -----===#
#
# Writes the emulator's copy of Gemm.cuh (launches rewritten) with one bug
# planted, for the tests that show the emulator catches it in the shipped
# kernel, not only in a test kernel:
#   missing-barrier   the __syncthreads between a stage's cp.async wait and
#                     its ldmatrix reads removed (the race checker reports
#                     it; the poisoned shared memory makes results NaN)
#   fragment-index    the two k halves of B's fragments swapped
#
# Usage: plant_gemm_bug.py KIND REWRITER GEMM_CUH OUTPUT
#
# ===-----------------------------------------------------------------------===#

import importlib.util
import os
import sys

BUGS = {
    "missing-barrier": ("      cpAsyncWait<kStages - 2>();\n      __syncthreads();",
                        "      cpAsyncWait<kStages - 2>();"),
    "fragment-index": ("bfr[j][0] = r[0];\n          bfr[j][1] = r[1];",
                       "bfr[j][0] = r[1];\n          bfr[j][1] = r[0];"),
}


def main():
    kind, rewriter, src_path, out_path = sys.argv[1:5]
    spec = importlib.util.spec_from_file_location("rewrite_shared", rewriter)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(src_path) as f:
        src = f.read()
    old, new = BUGS[kind]
    if src.count(old) != 1:
        raise SystemExit("plant_gemm_bug: the %s site is not in %s once; "
                         "update this script with Gemm.cuh" % (kind, src_path))
    text = module.rewrite(src.replace(old, new), src_path)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        f.write('#line 1 "%s (%s planted)"\n' % (src_path, kind) + text)


if __name__ == "__main__":
    main()
