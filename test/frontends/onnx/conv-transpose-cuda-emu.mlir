// REQUIRES: cuda
// ConvTranspose (conv-transpose.mlir) through the CUDA target on the
// emulator: the same answers as ONNX Runtime (f32 storage).
// RUN: %onnx_model conv_transposes %t.onnx
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name convt --target=cuda-emu --precision=f32 > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 | FileCheck %s
// CHECK-DAG: up: shape [2, 3, 10, 11] f32; {{.+}}: ok
// CHECK-DAG: grouped: shape [2, 6, 31] f32; {{.+}}: ok
// CHECK-DAG: shaped: shape [2, 3, 10, 13] f32; {{.+}}: ok
// CHECK-DAG: same: shape [2, 3, 10, 18] f32; {{.+}}: ok
