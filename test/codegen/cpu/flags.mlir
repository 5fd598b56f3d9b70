// kestrelc's compile flags: wrong values give a clear error and exit 1.
// RUN: not kestrelc %s --emit=lib 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: kestrelc: error: --emit=lib needs an output directory: -o OUTDIR
// RUN: not kestrelc %s -o %t --name 9lives 2>&1 | FileCheck %s --check-prefix=NAME
// NAME: kestrelc: error: --name '9lives' is not a C identifier
// RUN: not kestrelc %s -o %t --target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: kestrelc: error: --target=tpu is not a target (cpu, or cuda[:sm_80,sm_90a,...])
// RUN: not kestrelc %s -o %t --target=cuda:sm_75 2>&1 | FileCheck %s --check-prefix=ARCH
// ARCH: kestrelc: error: --target=cuda:sm_75: unsupported CUDA architecture 'sm_75' (Kestrel's kernels need tensor cores of sm_80 or newer: sm_80, sm_86, sm_87, sm_89, sm_90, sm_90a)
// RUN: not kestrelc %s -o %t --target=cuda --precision=fp8 2>&1 | FileCheck %s --check-prefix=PREC
// PREC: kestrelc: error: --precision=fp8 is not one of bf16, f16, f32
// RUN: not kestrelc %s -o %t --target=cuda-emu --emit=source 2>&1 | FileCheck %s --check-prefix=EMUSRC
// EMUSRC: kestrelc: error: --target=cuda-emu builds a library; for sources use --target=cuda --emit=source
// RUN: not kestrelc %s -o %t --precision=bf16 2>&1 | FileCheck %s --check-prefix=CPUPREC
// CPUPREC: kestrelc: error: --precision=bf16 applies to --target=cuda; the CPU backend computes in the model's own types
// RUN: not kestrelc %s -o %t --dim-range seq=9:1 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: kestrelc: error: --dim-range expects NAME=MIN:MAX with 0 <= MIN <= MAX, got 'seq=9:1'
// RUN: not kestrelc %s -o %t --dim-range batch=1:4 2>&1 | FileCheck %s --check-prefix=NODIM
// NODIM: error: --dim-range names 'batch', which is no symbolic dim of the model's inputs
// RUN: not kestrelc %s -o %t --input-shape x=4 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: kestrelc: error: --input-shape applies to ONNX models, not to .mlir input
// RUN: not kestrelc %s -o %t --cpu=x86-64-v5 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: kestrelc: error: --cpu=x86-64-v5 is not a CPU level (x86-64, x86-64-v2, x86-64-v3, x86-64-v4 or native; kestrelc --print-cpu lists what this machine runs)
// RUN: kestrelc --print-cpu | FileCheck %s --check-prefix=PRINTCPU
// PRINTCPU: cpu: {{.+}}
// PRINTCPU-NEXT: native: x86-64{{(-v[234])?}}
// PRINTCPU-NEXT: levels:
// PRINTCPU-NEXT: {{^  x86-64  +runs$}}
// PRINTCPU-NEXT: {{^  x86-64-v2 +(runs|lacks .+)$}}
// PRINTCPU-NEXT: {{^  x86-64-v3 +(runs|lacks .+)$}}
// PRINTCPU-NEXT: {{^  x86-64-v4 +(runs|lacks .+)$}}
// The emitted library records its level, in the code and in the header.
// RUN: rm -rf %t.v2 && kestrelc %s -o %t.v2 --emit=source --name m --cpu=x86-64-v2
// RUN: FileCheck %s --check-prefix=SRC < %t.v2/m.cpp
// SRC: // Built for the x86-64 level x86-64-v2 (kestrelc --cpu): compile it with -march=x86-64-v2
// SRC: 2, // x86-64-v2
// RUN: FileCheck %s --check-prefix=HDR < %t.v2/m.h
// HDR: Its CPU code is built for x86-64-v2 (kestrelc --cpu): opening it on a CPU without
// HDR-NEXT: that level fails with KESTREL_ERROR_UNSUPPORTED_CPU.
// RUN: kestrelc --help | FileCheck %s --check-prefix=HELP
// HELP-DAG: --emit=<value>
// HELP-DAG: --target=<target>
// HELP-DAG: --name=<NAME>
// HELP-DAG: --stats
// HELP-DAG: --dim-range=<name=min:max>
// HELP-DAG: --cxx=<path>
// HELP-DAG: --cpu=<level>
// HELP-DAG: --print-cpu
// HELP-DAG: --no-weight-data
// HELP-DAG: --precision=<bf16|f16|f32>
// HELP-DAG: --nvcc=<path>
// HELP-DAG: --cache-dir=<dir>
// HELP-DAG: --no-cache
// HELP-DAG: -o <path>

module {
  func.func @main(%x: tensor<?xf32> {kestrel.name = "x", kestrel.dim_names = ["seq"]}) -> (tensor<?xf32> {kestrel.name = "y"}) {
    %y = kestrel.exp %x : (tensor<?xf32>) -> tensor<?xf32>
    return %y : tensor<?xf32>
  }
}
