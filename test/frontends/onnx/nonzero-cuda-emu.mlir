// REQUIRES: cuda
// NonZero (nonzero.mlir) through the CUDA target on the emulator: the count
// is read back after the first stage, the second stage's shapes start from
// it, and the answers are ONNX Runtime's (f32 storage: bf16 would round the
// projection).
// RUN: %onnx_model nonzeros %t.onnx
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name nonzeros --target=cuda-emu --precision=f32 > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=4 tokens=16 | FileCheck %s
// CHECK-DAG: nz: shape [3, {{[0-9]+}}] i64; {{.+}}: ok
// CHECK-DAG: moe: shape [16, 8] f32; {{.+}}: ok
// CHECK-DAG: wshape: shape [2] i64; {{.+}}: ok
// CHECK-DAG: untouched: shape [16, 8] f32; {{.+}}: ok
