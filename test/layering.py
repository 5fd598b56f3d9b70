#!/usr/bin/env python3
"""What ships inside emitted libraries (runtime/, kernels/) includes nothing
of the compiler side and builds and links without LLVM or MLIR.

    layering.py SOURCE_DIR BUILD_DIR

1. Sources: no file under runtime/ or kernels/ includes a header of
   codegen/, passes/, dialects/, frontends/, tools/, or LLVM's or MLIR's.
2. Compile lines (compile_commands.json): no object of a target defined in
   runtime/ or kernels/ is compiled with LLVM's or MLIR's include
   directories or definitions on its command line.
3. Link level: the archives built there (the runtime, the CPU kernels of
   every level, the CUDA kernels, the runtime's CUDA side) reference no
   LLVM or MLIR symbol.
4. Code generation: the target-neutral emitter (codegen/host) includes no
   target's backend, and the backends (codegen/cpu, codegen/cuda) include
   each other's nothing.
"""
import glob
import json
import os
import re
import subprocess
import sys

source, build = sys.argv[1:3]
shipped = ("runtime", "kernels")
forbidden = re.compile(
    r'^\s*#\s*include\s*[<"]((codegen|passes|dialects|frontends|tools|mlir|'
    r'llvm|llvm-c)/[^">]*)[">]', re.M)
failures = []

# 1. Sources.
for part in shipped:
    for root, _, files in os.walk(os.path.join(source, part)):
        for f in files:
            if not f.endswith((".h", ".cpp", ".c", ".cu", ".cuh")):
                continue
            path = os.path.join(root, f)
            for m in forbidden.finditer(open(path, errors="replace").read()):
                failures.append(f"{os.path.relpath(path, source)} includes "
                                f"{m.group(1)}")

# 4. codegen/: the neutral emitter and the backends.
codegen_rules = {
    "codegen/host": ("codegen/cpu/", "codegen/cuda/"),
    "codegen/cpu": ("codegen/cuda/",),
    "codegen/cuda": ("codegen/cpu/",),
}
include = re.compile(r'^\s*#\s*include\s*"([^"]*)"', re.M)
for part, banned in codegen_rules.items():
    for root, _, files in os.walk(os.path.join(source, part)):
        for f in files:
            if not f.endswith((".h", ".cpp")):
                continue
            path = os.path.join(root, f)
            for m in include.finditer(open(path, errors="replace").read()):
                if m.group(1).startswith(banned):
                    failures.append(f"{os.path.relpath(path, source)} "
                                    f"includes {m.group(1)}")

# 2. Compile lines of the objects built by targets in runtime/ and kernels/.
llvm_flags = re.compile(r"(-I|-isystem\s*)\S*llvm|__STDC_CONSTANT_MACROS|"
                        r"_GLIBCXX_USE_CXX11_ABI")
commands = json.load(open(os.path.join(build, "compile_commands.json")))
checked = 0
for entry in commands:
    out = entry.get("output") or ""
    if not out:
        m = re.search(r"-o\s+(\S+)", entry["command"])
        out = m.group(1) if m else ""
    if not out.startswith(tuple(p + "/" for p in shipped)):
        continue
    checked += 1
    m = llvm_flags.search(entry["command"])
    if m:
        failures.append(f"{out} is compiled with '{m.group(0)}' "
                        f"(LLVM's flags leak into {out.split('/')[0]}/)")
if checked == 0:
    failures.append("no compile command of runtime/ or kernels/ found")

# 3. Undefined symbols of the archives.
archives = sorted(glob.glob(os.path.join(build, "lib", "libkestrel_*.a")))
if not any(a.endswith("libkestrel_rt.a") for a in archives):
    failures.append("lib/libkestrel_rt.a is missing")
for archive in archives:
    undefined = subprocess.run(["nm", "-u", "-C", archive],
                               capture_output=True, text=True).stdout
    bad = sorted({line.strip() for line in undefined.splitlines()
                  if re.search(r"\b(llvm|mlir)::", line)})
    if bad:
        failures.append(f"{os.path.basename(archive)} references "
                        f"{len(bad)} LLVM/MLIR symbols, e.g. {bad[0]}")

for f in failures:
    print("FAIL:", f)
print(f"{checked} compile commands and {len(archives)} archives checked; "
      f"{len(failures)} failures")
sys.exit(1 if failures else 0)
