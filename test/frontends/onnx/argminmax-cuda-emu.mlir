// REQUIRES: cuda
// ArgMax/ArgMin (argminmax.mlir) through the CUDA target on the emulator:
// the same answers as ONNX Runtime, ties and select_last_index included
// (f32 storage: bf16 would round distinct random inputs into new ties).
// RUN: %onnx_model argminmax %t.onnx
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name argminmax --target=cuda-emu --precision=f32 > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=4 | FileCheck %s
// CHECK-DAG: amax: shape [4, 1, 7] i64; {{.+}}: ok
// CHECK-DAG: amin: shape [4, 5] i64; {{.+}}: ok
// CHECK-DAG: tfirst: shape [4] i64; {{.+}}: ok
// CHECK-DAG: tlast: shape [4, 1] i64; {{.+}}: ok
// CHECK-DAG: tminlast: shape [4] i64; {{.+}}: ok
