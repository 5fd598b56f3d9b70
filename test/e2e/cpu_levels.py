#!/usr/bin/env python3
"""A model compiled for each x86-64 level (kestrelc --cpu) runs correctly on
every CPU that has the level and refuses to open, with a clear error and no
illegal instruction, on every CPU that lacks it.

    cpu_levels.py KESTRELC KESTREL_RUN BUILD_DIR OUT_DIR

- Natively: every level this CPU runs matches the fixture's references;
  each level above it is refused with KESTREL_ERROR_UNSUPPORTED_CPU.
- Under qemu-x86_64 (user-mode emulation; TCG implements up to AVX2, not
  AVX-512), on emulated CPUs of levels 1 to 3 (qemu64, Nehalem, Haswell):
  each library runs correctly where the CPU has its level, and is refused
  with a message naming the missing features and the CPU's own level where
  it does not. Any SIGILL fails the test.
- Statically: no code built for a level (the kernel archives, a model's
  own object) has dynamic initializers, which would run when the library
  loads, before the runtime's check.
"""
import os
import shutil
import subprocess
import sys

kestrelc, kestrel_run, build, out = sys.argv[1:5]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
fixture = os.path.join(root, "test/models/fixtures/llama-opset17")
levels = ["x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4"]
# qemu's CPU models and the level each has (checked below through the
# runtime's own message).
qemu_cpus = {"qemu64": "x86-64", "Nehalem": "x86-64-v2", "Haswell": "x86-64-v3"}
failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def rank(level):
    return levels.index(level)


# The host's level, as kestrelc sees it.
report = run([kestrelc, "--print-cpu"]).stdout
host = next(line.split(": ", 1)[1] for line in report.splitlines()
            if line.startswith("native: "))
print(report.rstrip())

shutil.rmtree(out, ignore_errors=True)
libs = {}
for level in levels:
    libs[level] = os.path.join(out, level)
    r = run([kestrelc, os.path.join(fixture, "model.onnx"), "-o", libs[level],
             "--name", "llama", "--cpu=" + level])
    if r.returncode != 0:
        sys.exit(f"kestrelc --cpu={level} failed:\n{r.stderr}")
src = os.path.join(out, "source")
r = run([kestrelc, os.path.join(fixture, "model.onnx"), "-o", src, "--name",
         "llama", "--emit=source", "--cpu=x86-64-v4"])
if r.returncode != 0:
    sys.exit(f"kestrelc --emit=source failed:\n{r.stderr}")

data = os.path.join(fixture, "data/1x8")
run_args = ["--input", f"input_ids={data}/input_ids.npy",
            "--expect", f"output={data}/output.npy"]


def expect_runs(prefix, lib, where):
    r = run(prefix + [kestrel_run, lib] + run_args)
    check(r.returncode == 0 and "ok" in r.stdout,
          f"{os.path.basename(lib)} library runs correctly {where}"
          + ("" if r.returncode == 0 else f" (exit {r.returncode}: "
             f"{(r.stdout + r.stderr).strip()[-300:]})"))


def expect_refused(prefix, level, cpu_level, where):
    r = run(prefix + [kestrel_run, libs[level]] + run_args)
    text = r.stdout + r.stderr
    missing = {"x86-64-v2": "SSE4_2", "x86-64-v3": "AVX2",
               "x86-64-v4": "AVX512F"}[level]
    ok = (r.returncode == 1 and "KESTREL_ERROR_UNSUPPORTED_CPU" in text
          and f"was compiled for {level}" in text and missing in text
          and f"recompile it with --cpu={cpu_level} or lower" in text)
    check(ok, f"{level} library refused {where}"
          + ("" if ok else f" (exit {r.returncode}: {text.strip()[-400:]})"))


for level in levels:
    if rank(level) <= rank(host):
        expect_runs([], libs[level], f"on this CPU ({host})")
    else:
        expect_refused([], level, host, f"on this CPU ({host})")

qemu = shutil.which("qemu-x86_64")
if qemu is None:
    check(False, "qemu-x86_64 is installed (scripts/install-deps.sh)")
else:
    for cpu, cpu_level in qemu_cpus.items():
        for level in levels:
            where = f"under qemu -cpu {cpu} ({cpu_level})"
            if rank(level) <= rank(cpu_level):
                expect_runs([qemu, "-cpu", cpu], libs[level], where)
            else:
                expect_refused([qemu, "-cpu", cpu], level, cpu_level, where)

# No dynamic initializers in code built for a level.
objects = [os.path.join(build, "lib", f"libkestrel_cpu_kernels-{level}.a")
           for level in levels]
model_object = os.path.join(out, "llama.o")
cxx = os.environ.get("CXX", "c++")
r = run([cxx, "-std=c++17", "-O2", "-march=x86-64-v4", "-fPIC",
         "-I" + root, "-I" + os.path.join(root, "runtime/include"), "-c",
         os.path.join(src, "llama.cpp"), "-o", model_object])
if r.returncode != 0:
    sys.exit(f"compiling the emitted llama.cpp failed:\n{r.stderr}")
objects.append(model_object)
for obj in objects:
    sections = run(["readelf", "-SW", obj]).stdout
    inits = [s for s in (".init_array", ".ctors") if s in sections]
    check(not inits, f"{os.path.basename(obj)} has no dynamic initializers"
          + (f" (found {', '.join(inits)})" if inits else ""))

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
