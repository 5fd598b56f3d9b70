// REQUIRES: cuda
// MaxPool and AveragePool (pool.mlir) through the CUDA target on the
// emulator: the same answers as ONNX Runtime (f32 storage).
// RUN: %onnx_model pools %t.onnx
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name pools --target=cuda-emu --precision=f32 > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 | FileCheck %s
// CHECK-DAG: max: shape [2, 3, 5, 5] f32; {{.+}}: ok
// CHECK-DAG: maxceil: shape [2, 3, 4, 5] f32; {{.+}}: ok
// CHECK-DAG: avgpad: shape [2, 3, 10, 5] f32; {{.+}}: ok
// CHECK-DAG: avgceil: shape [2, 3, 5, 4] f32; {{.+}}: ok
// CHECK-DAG: max1d: shape [2, 4, 4] f32; {{.+}}: ok
// CHECK-DAG: avg3d: shape [2, 2, 4, 3, 4] f32; {{.+}}: ok
