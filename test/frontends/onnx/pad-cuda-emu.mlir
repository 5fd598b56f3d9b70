// REQUIRES: cuda
// Pad (pad.mlir) through the CUDA target on the emulator: the same answers
// as ONNX Runtime in every mode (f32 storage: bf16 would round the data).
// RUN: %onnx_model pads %t.onnx
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name pads --target=cuda-emu --precision=f32 > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 int_high=50 | FileCheck %s
// CHECK-DAG: constant: shape [2, 4, 8, 13] f32; {{.+}}: ok
// CHECK-DAG: zero: shape [2, 4, 8, 13] f32; {{.+}}: ok
// CHECK-DAG: reflect: shape [2, 4, 8, 13] f32; {{.+}}: ok
// CHECK-DAG: edge: shape [2, 3, 6, 7] f32; {{.+}}: ok
// CHECK-DAG: wrap: shape [2, 19] i64; {{.+}}: ok
// CHECK-DAG: tconst: shape [2, 19] i64; {{.+}}: ok
