# ===- rewrite_shared.py - CUDA sources -> emulator host sources -----------===#
#
# Copies a CUDA source (.cu / .cuh) for the CUDA emulator with its shared
# memory declarations rewritten, and nothing else (line numbers are kept):
#
#   extern __shared__ [__align__(N)] T name[];
#     -> T *const name = static_cast<T *>(::kestrel::emu::dynamicShared());
#   __shared__ [__align__(N)] T name[D1][D2]...;
#     -> static ::kestrel::emu::SharedArray<T[D1][D2]..., N> name;
#
# The SharedArray's element accesses go to the emulator's race checker (see
# Emulator.h), so plain loads and stores of static shared arrays are
# checked like cp.async and ldmatrix. Kernel launches need no rewriting:
# they go through KESTREL_LAUNCH (kernels/cuda/Launch.cuh); a
# `<<<` launch outside a line comment is an error here, so that there is
# one launch path.
#
# Usage: rewrite_shared.py INPUT OUTPUT
#
# ===-----------------------------------------------------------------------===#

import os
import re
import sys

EXTERN_SHARED = re.compile(
    r"extern\s+__shared__\s+(?:__align__\s*\(\s*\d+\s*\)\s+)?"
    r"([A-Za-z_][\w:\s<>,]*?)\s+([A-Za-z_]\w*)\s*\[\s*\]\s*;")


STATIC_SHARED = re.compile(
    r"(?<![\w])__shared__\s+(?:__align__\s*\(\s*(\d+)\s*\)\s+)?"
    r"([A-Za-z_][\w:<>, ]*?)\s+([A-Za-z_]\w*)\s*((?:\[[^\]]+\]\s*)+);")


def rewrite(src, path):
    for m in re.finditer(r"<<<", src):
        line_start = src.rfind("\n", 0, m.start()) + 1
        if "//" in src[line_start:m.start()]:
            continue
        # The macro's own definition (Launch.cuh): a #define, possibly
        # continued over several lines.
        start = line_start
        while start > 0 and src[:start - 1].rstrip(" ").endswith("\\"):
            start = src.rfind("\n", 0, start - 1) + 1
        if src[start:].lstrip().startswith("#define"):
            continue
        line = src.count("\n", 0, m.start()) + 1
        raise SystemExit("%s:%d: a <<<>>> launch; launch kernels with "
                         "KESTREL_LAUNCH (kernels/cuda/Launch.cuh)"
                         % (path, line))

    def extern_shared(m):
        t, name = m.group(1).strip(), m.group(2)
        return ("%s *const %s = static_cast<%s *>("
                "::kestrel::emu::dynamicShared());" % (t, name, t))

    def static_shared(m):
        align, t, name, dims = m.groups()
        dims = re.sub(r"\s+", "", dims)
        return "static ::kestrel::emu::SharedArray<%s%s%s> %s;" % (
            t.strip(), dims, ", " + align if align else "", name)

    text = EXTERN_SHARED.sub(extern_shared, src)
    return STATIC_SHARED.sub(static_shared, text)


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
