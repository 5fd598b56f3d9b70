"""ONNX node tests through the CPU backend, numerically.

kestrel-onnx-conformance imports every node test whose ops Kestrel supports
and emits each as C++ (--emit-cpu, for kestrelc's default CPU level,
x86-64-v3); this script compiles them all for that level into one shared
library with the runtime archive and that level's kernel archive, as kestrelc
links a model, then runs every test through the C
API (ctypes) on its test_data_set_0 inputs and compares the outputs with the
expected ones: floats with ONNX's backend-test tolerance (rtol 1e-3) and an
absolute floor, integers and booleans exactly, shapes and element types
exactly, NaN only where NaN is expected.

With --emulator the tests are compiled for the CUDA target instead (f32
storage; kestrel-onnx-conformance --cuda) and run on the CUDA emulator, as
kestrelc --target=cuda-emu builds a model: the generated kernels rewritten
for the emulator and compiled with its prelude, the library linked with the
runtime's emulated CUDA side, the emulated kernel library and the CPU
kernels.

usage: run_node_cpu.py --tool kestrel-onnx-conformance --archive libkestrel_rt.a
                       --kernels libkestrel_cpu_kernels-x86-64-v3.a
                       --work DIR [--xfail FILE] [--cxx c++] [-v]
                       [--emulator --cuda-rt libkestrel_cuda_rt_emu.a
                        --cuda-kernels libkestrel_cuda_emu.a --emu-dir DIR
                        --cuda-include DIR] DATA_DIR
Exit 0 when every imported test passes or is listed in --xfail (with its
reason), 1 otherwise (an unexpected failure or an unexpected pass).
"""

import argparse
import concurrent.futures
import ctypes
import glob
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

try:
    import ml_dtypes
except ImportError:  # pragma: no cover - pinned in requirements.txt
    ml_dtypes = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DTYPES = {np.dtype(np.float32): 1, np.dtype(np.float16): 2,
          np.dtype(np.int64): 5, np.dtype(np.int32): 6, np.dtype(np.bool_): 7}
if ml_dtypes is not None:
    DTYPES[np.dtype(ml_dtypes.bfloat16)] = 3
    DTYPES[np.dtype(ml_dtypes.float8_e4m3fn)] = 4
NUMPY = {v: k for k, v in DTYPES.items()}


class KestrelOptions(ctypes.Structure):
    """kestrel_options of kestrel/runtime.h."""
    _fields_ = [("struct_size", ctypes.c_uint32),
                ("num_threads", ctypes.c_int32),
                ("verify_checksum", ctypes.c_int32),
                ("device_id", ctypes.c_int32),
                ("use_cuda_graph", ctypes.c_int32)]

class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_size_t), ("dims", ctypes.POINTER(ctypes.c_int64)),
                ("dim_names", ctypes.POINTER(ctypes.c_char_p)),
                ("dim_min", ctypes.POINTER(ctypes.c_int64)),
                ("dim_max", ctypes.POINTER(ctypes.c_int64))]


EMULATION = os.path.join(ROOT, "kernels", "cuda", "emulation")


def compile_kernels(work, cxx, jobs, emu):
    """The generated CUDA kernels under WORK/kernels (each once: tests that
    share a kernel share its file), rewritten for the emulator and compiled
    with its prelude, as kestrelc --target=cuda-emu does."""
    sources = sorted(glob.glob(os.path.join(work, "kernels", "*.cu")))
    os.makedirs(os.path.join(work, "kernels-emu"), exist_ok=True)

    def compile_one(src):
        stem = os.path.splitext(os.path.basename(src))[0]
        rewritten = os.path.join(work, "kernels-emu", stem + ".cpp")
        obj = os.path.join(work, "kernels-emu", stem + ".o")
        run = subprocess.run([sys.executable,
                              os.path.join(EMULATION, "rewrite_shared.py"),
                              src, rewritten], capture_output=True, text=True)
        if run.returncode != 0:
            return None, f"rewriting {src}: {run.stderr[-2000:]}"
        args = [cxx, "-std=c++17", "-O1", "-fPIC", "-fvisibility=hidden",
                "-DKESTREL_CUDA_EMULATOR=1", "-include",
                os.path.join(EMULATION, "CudaEmulation.h"),
                "-I" + emu["dir"], "-I" + ROOT,
                "-I" + os.path.join(ROOT, "runtime", "include")]
        args += ["-isystem" + d for d in emu["include"].split(";") if d]
        run = subprocess.run(args + ["-c", rewritten, "-o", obj],
                             capture_output=True, text=True)
        return (obj, None) if run.returncode == 0 else (
            None, f"compiling {os.path.basename(src)}: {run.stderr[-2000:]}")

    objs = []
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for obj, err in pool.map(compile_one, sources):
            if err:
                sys.exit("a generated kernel does not build for the "
                         "emulator: " + err)
            objs.append(obj)
    return objs


def compile_all(entries, work, archive, kernels, cxx, jobs, batch=40,
                emu=None):
    """Every emitted model into one libnodetests.so. The emitted sources
    share translation units (batch of them #included in one file) to spend
    the C++ compiler's time on code rather than on parsing headers."""
    batches = [entries[i:i + batch] for i in range(0, len(entries), batch)]

    def compile_batch(k):
        src = os.path.join(work, f"batch{k}.cpp")
        with open(src, "w") as f:
            for e in batches[k]:
                f.write(f'#include "{e["name"]}.cpp"\n')
        obj = os.path.join(work, f"batch{k}.o")
        run = subprocess.run([cxx, "-std=c++17", "-O1", "-march=x86-64-v3", "-fPIC",
                              "-fvisibility=hidden",
                              "-I" + ROOT, "-I" + os.path.join(ROOT, "runtime", "include"),
                              "-c", src, "-o", obj], capture_output=True, text=True)
        return obj, (None if run.returncode == 0 else run.stderr[-3000:])

    errors, objs = {}, []
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for k, (obj, err) in enumerate(pool.map(compile_batch, range(len(batches)))):
            if err:
                for e in batches[k]:
                    errors[e["test"]] = "c++ (batch of " + str(len(batches[k])) + "): " + err
            else:
                objs.append(obj)
    lib = os.path.join(work, "libnodetests.so")
    # The runtime first, as kestrelc links (docs/portability.md); over the
    # emulator, its CUDA side and the CUDA kernels before the CPU kernels.
    extra = [kernels]
    if emu:
        objs += compile_kernels(work, cxx, jobs, emu)
        extra = [emu["runtime"], emu["kernels"], kernels]
    run = subprocess.run([cxx, "-shared", "-o", lib,
                          "-Wl,--whole-archive", archive, "-Wl,--no-whole-archive"]
                         + objs + extra + ["-lpthread", "-ldl"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit("linking the node tests failed:\n" + run.stderr[-4000:])
    return lib, errors


def load_pb(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def compare(got, want, dtype_code):
    if got.shape != want.shape:
        return f"shape {list(got.shape)}, expected {list(want.shape)}"
    if dtype_code in (5, 6, 7):
        bad = int(np.count_nonzero(got != want))
        return f"{bad} of {want.size} elements differ" if bad else None
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    nan_w, nan_g = np.isnan(w), np.isnan(g)
    if np.any(nan_w != nan_g):
        return f"NaN at {int(np.count_nonzero(nan_w != nan_g))} positions where the reference differs"
    g, w = np.where(nan_w, 0, g), np.where(nan_w, 0, w)
    rtol = {1: 1e-3, 2: 4e-3, 3: 2e-2, 4: 1.3e-1}[dtype_code]
    atol = {1: 1e-5, 2: 1e-3, 3: 1e-2, 4: 1e-1}[dtype_code]
    inf = np.isinf(w)
    if np.any(np.isinf(g) != inf) or np.any(g[inf] != w[inf]):
        return "infinities differ"
    diff = np.abs(g - w)[~inf]
    limit = (atol + rtol * np.abs(w))[~inf]
    if np.any(diff > limit):
        i = int(np.argmax(diff - limit))
        return (f"max abs error {diff.max():.3g} (worst element {i}: got "
                f"{g[~inf].flat[i]:.6g}, expected {w[~inf].flat[i]:.6g})")
    return None


class Runtime:
    def __init__(self, lib_path):
        self.lib = ctypes.CDLL(lib_path, mode=ctypes.RTLD_LOCAL)
        L = self.lib
        L.kestrel_last_error.restype = ctypes.c_char_p
        L.kestrel_model_open.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                         ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
        L.kestrel_model_release.argtypes = [ctypes.c_void_p]
        L.kestrel_model_num_inputs.argtypes = [ctypes.c_void_p]
        L.kestrel_model_num_inputs.restype = ctypes.c_size_t
        L.kestrel_model_num_outputs.argtypes = [ctypes.c_void_p]
        L.kestrel_model_num_outputs.restype = ctypes.c_size_t
        for f in (L.kestrel_model_input_info, L.kestrel_model_output_info):
            f.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(TensorInfo)]
        L.kestrel_session_create.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
        L.kestrel_session_release.argtypes = [ctypes.c_void_p]
        L.kestrel_session_set_input.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
            ctypes.POINTER(ctypes.c_int64), ctypes.c_size_t, ctypes.c_void_p,
            ctypes.c_size_t]
        L.kestrel_session_run.argtypes = [ctypes.c_void_p]
        L.kestrel_session_get_output.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.POINTER(ctypes.c_int64)),
            ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_size_t)]

    def error(self):
        return self.lib.kestrel_last_error().decode(errors="replace")

    def run_test(self, entry, work):
        L = self.lib
        getter = getattr(L, entry["name"] + "_model")
        getter.restype = ctypes.c_void_p
        options = KestrelOptions()
        L.kestrel_options_init(ctypes.byref(options))
        options.num_threads = 1
        model = ctypes.c_void_p()
        weights = os.path.join(work, entry["name"] + ".kweights").encode()
        if L.kestrel_model_open(getter(), weights, ctypes.addressof(options),
                                ctypes.byref(model)):
            return "open: " + self.error()
        session = ctypes.c_void_p()
        try:
            if L.kestrel_session_create(model, ctypes.byref(session)):
                return "session: " + self.error()
            data_dir = os.path.join(entry["dir"], "test_data_set_0")
            if not os.path.exists(os.path.join(data_dir, "output_0.pb")):
                return "SKIP: the test has no reference data"
            keep = []
            for i, index in enumerate(entry["inputs"]):
                if not os.path.exists(os.path.join(data_dir,
                                                   f"input_{index}.pb")):
                    return f"SKIP: the test data has no input_{index}.pb"
                info = TensorInfo()
                L.kestrel_model_input_info(model, i, ctypes.byref(info))
                # np.array keeps a rank-0 input rank 0 (ascontiguousarray
                # would make it [1]).
                array = np.array(
                    load_pb(os.path.join(data_dir, f"input_{index}.pb")),
                    order="C")
                if info.dtype == 3 and array.dtype == np.uint16 and ml_dtypes:
                    # Older test data stores bfloat16 as its uint16 bits.
                    array = array.view(ml_dtypes.bfloat16)
                code = DTYPES.get(array.dtype)
                if code is None:
                    return f"input dtype {array.dtype} has no Kestrel type"
                keep.append(array)
                shape = (ctypes.c_int64 * max(array.ndim, 1))(*array.shape)
                if L.kestrel_session_set_input(session, info.name, code, shape,
                                               array.ndim, array.ctypes.data,
                                               array.nbytes):
                    return "set_input: " + self.error()
            if L.kestrel_session_run(session):
                return "run: " + self.error()
            for j in range(L.kestrel_model_num_outputs(model)):
                info = TensorInfo()
                L.kestrel_model_output_info(model, j, ctypes.byref(info))
                want = load_pb(os.path.join(data_dir, f"output_{j}.pb"))
                dtype = ctypes.c_int()
                shape_p = ctypes.POINTER(ctypes.c_int64)()
                rank, nbytes = ctypes.c_size_t(), ctypes.c_size_t()
                data = ctypes.c_void_p()
                if L.kestrel_session_get_output(
                        session, info.name, ctypes.byref(dtype), ctypes.byref(shape_p),
                        ctypes.byref(rank), ctypes.byref(data), ctypes.byref(nbytes)):
                    return "get_output: " + self.error()
                shape = tuple(shape_p[k] for k in range(rank.value))
                np_dtype = NUMPY[dtype.value]
                if dtype.value == 3 and want.dtype == np.uint16 and ml_dtypes:
                    want = want.view(ml_dtypes.bfloat16)
                if DTYPES.get(want.dtype) != dtype.value:
                    return (f"output {j} is {np_dtype}, expected {want.dtype}")
                raw = ctypes.string_at(data, nbytes.value) if nbytes.value else b""
                got = np.frombuffer(raw, dtype=np_dtype).reshape(shape)
                problem = compare(got, want, dtype.value)
                if problem:
                    return f"output {j} ({info.name.decode()}): {problem}"
            return None
        finally:
            L.kestrel_session_release(session)
            L.kestrel_model_release(model)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data", nargs="+")
    p.add_argument("--tool", required=True)
    p.add_argument("--archive", required=True)
    p.add_argument("--kernels", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--xfail")
    p.add_argument("--cxx", default=os.environ.get("KESTREL_CXX", "c++"))
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("-v", action="store_true")
    p.add_argument("--emulator", action="store_true",
                   help="compile for the CUDA target and run on the emulator")
    p.add_argument("--cuda-rt", help="libkestrel_cuda_rt_emu.a")
    p.add_argument("--cuda-kernels", help="libkestrel_cuda_emu.a")
    p.add_argument("--emu-dir", help="the emulator's rewritten sources")
    p.add_argument("--cuda-include", default="/usr/local/cuda/include")
    args = p.parse_args()
    emu = None
    if args.emulator:
        if not (args.cuda_rt and args.cuda_kernels and args.emu_dir):
            p.error("--emulator needs --cuda-rt, --cuda-kernels and --emu-dir")
        emu = {"runtime": args.cuda_rt, "kernels": args.cuda_kernels,
               "dir": args.emu_dir, "include": args.cuda_include}
    backend = "the CUDA emulator" if emu else "the CPU backend"

    allowed = {}
    if args.xfail:
        for line in open(args.xfail):
            name, _, reason = line.partition("#")
            if name.strip():
                allowed[name.strip()] = reason.strip()

    start = time.monotonic()
    os.makedirs(args.work, exist_ok=True)
    run = subprocess.run([args.tool, "--freeze-int-inputs", "--emit-cpu", args.work]
                         + (["--cuda"] if emu else []) + args.data,
                         capture_output=True, text=True)
    summary = [l for l in run.stdout.splitlines() if "node tests:" in l]
    print("import:", summary[-1] if summary else run.stdout[-2000:])
    entries = json.load(open(os.path.join(args.work, "manifest.json")))
    failures = {e["test"]: e["error"] for e in entries if not e["name"]}
    emitted = [e for e in entries if e["name"]]
    lib, compile_errors = compile_all(emitted, args.work, args.archive,
                                      args.kernels, args.cxx,
                                      args.jobs, emu=emu)
    failures.update(compile_errors)
    print(f"compiled {len(emitted) - len(compile_errors)} tests into {lib} "
          f"in {time.monotonic() - start:.0f} s")

    runtime = Runtime(lib)
    passed = skipped = 0
    for e in emitted:
        if e["test"] in failures:
            continue
        problem = runtime.run_test(e, args.work)
        if problem and problem.startswith("SKIP"):
            skipped += 1
            continue
        if problem:
            failures[e["test"]] = problem
        else:
            passed += 1
            if args.v:
                print("PASS", e["test"])

    unexpected = 0
    for test, why in sorted(failures.items()):
        if test in allowed:
            print(f"XFAIL {test}: {why}")
        else:
            unexpected += 1
            print(f"FAIL {test}: {why}")
    for test in sorted(allowed):
        if any(e["test"] == test for e in entries) and test not in failures:
            unexpected += 1
            print(f"UNEXPECTED PASS {test} (remove it from {args.xfail})")
    print(f"\n{len(entries)} imported node tests on {backend}: {passed} "
          f"passed, {len(failures)} failed ({len(failures) - sum(t in allowed for t in failures)}"
          f" unexpected), {skipped} without complete test data; "
          f"{time.monotonic() - start:.0f} s")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
