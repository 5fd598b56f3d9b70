// REQUIRES: cuda
// Resize (resize.mlir) through the CUDA target on the emulator: the same
// answers as ONNX Runtime in every mode (f32 storage).
// RUN: %onnx_model resizes %t.onnx
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name resizes --target=cuda-emu --precision=f32 > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 | FileCheck %s
// CHECK-DAG: linear: shape [2, 3, 12, 14] f32; {{.+}}: ok
// CHECK-DAG: cubic: shape [2, 3, 4, 10] f32; {{.+}}: ok
// CHECK-DAG: nearest: shape [2, 3, 9, 14] f32; {{.+}}: ok
// CHECK-DAG: nearceil: shape [2, 3, 12, 14] f32; {{.+}}: ok
// CHECK-DAG: crop: shape [2, 3, 9, 14] f32; {{.+}}: ok
// CHECK-DAG: keep: shape [2, 3, 12, 14] f32; {{.+}}: ok
