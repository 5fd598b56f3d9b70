#!/usr/bin/env python3
# ===- rewrite_launches.py - CUDA sources -> emulator host sources ---------===#
#
# Copies a CUDA source (.cu / .cuh) with the two constructs host C++ cannot
# express rewritten, and nothing else (line numbers are kept; a `<<<` after
# `//` on its line is left alone, block comments are not parsed):
#
#   kernel<<<grid, block[, smem[, stream]]>>>(args)
#     -> ::kestrel::emu::launchKernel("kernel", kernel,
#            ::kestrel::emu::LaunchConfig(grid, block, smem, stream), args)
#   extern __shared__ [__align__(N)] T name[];
#     -> T *const name = static_cast<T *>(::kestrel::emu::dynamicShared());
#
# Usage: rewrite_launches.py INPUT OUTPUT
#
# ===-----------------------------------------------------------------------===#

import os
import re
import sys

EXTERN_SHARED = re.compile(
    r"extern\s+__shared__\s+(?:__align__\s*\(\s*\d+\s*\)\s+)?"
    r"([A-Za-z_][\w:\s<>,]*?)\s+([A-Za-z_]\w*)\s*\[\s*\]\s*;")


def kernel_start(src, end):
    """Start of the kernel expression that ends at `end` (exclusive): an
    id-expression, possibly qualified and with template arguments."""
    k = end
    depth = 0
    while k > 0:
        c = src[k - 1]
        if c == ">":
            depth += 1
        elif c == "<" and depth > 0:
            depth -= 1
        elif depth > 0 or c.isalnum() or c in "_:":
            pass
        else:
            break
        k -= 1
    return k


def matching_paren(src, p):
    depth = 0
    q = p
    while q < len(src):
        if src[q] == "(":
            depth += 1
        elif src[q] == ")":
            depth -= 1
            if depth == 0:
                return q
        q += 1
    raise SystemExit("rewrite_launches: unbalanced launch arguments")


def rewrite(src, path):
    out = []
    i = 0
    while True:
        j = src.find("<<<", i)
        if j < 0:
            out.append(src[i:])
            break
        if "//" in src[src.rfind("\n", 0, j) + 1:j]:  # in a line comment
            out.append(src[i:j + 3])
            i = j + 3
            continue
        end = j
        while src[end - 1].isspace():
            end -= 1
        k = kernel_start(src, end)
        kernel = src[k:end]
        close = src.find(">>>", j)
        config = src[j + 3:close]
        p = close + 3
        while src[p].isspace():
            p += 1
        if src[p] != "(":
            line = src.count("\n", 0, j) + 1
            raise SystemExit("%s:%d: a launch without arguments" % (path, line))
        q = matching_paren(src, p)
        args = src[p + 1:q]
        out.append(src[i:k])
        name = re.sub(r"\s+", " ", kernel)
        out.append('::kestrel::emu::launchKernel("%s", %s, '
                   "::kestrel::emu::LaunchConfig(%s)%s%s)" %
                   (name, kernel, config, ", " if args.strip() else "", args))
        i = q + 1
    text = "".join(out)

    def shared(m):
        t, name = m.group(1).strip(), m.group(2)
        return ("%s *const %s = static_cast<%s *>("
                "::kestrel::emu::dynamicShared());" % (t, name, t))

    return EXTERN_SHARED.sub(shared, text)


def main():
    src_path, out_path = sys.argv[1], sys.argv[2]
    with open(src_path) as f:
        src = f.read()
    text = '#line 1 "%s"\n' % src_path + rewrite(src, src_path)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
