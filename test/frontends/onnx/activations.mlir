// Activations ONNX defines as formulas import as kestrel elementwise ops,
// which kestrel-fuse-elementwise makes one kernel each (13 ops, 13 fused
// kernels), and compute what ONNX Runtime computes on fresh random inputs.
// RUN: %onnx_model activations %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH-COUNT-13: kestrel.fused_elementwise
// GRAPH-NOT: kestrel.fused_elementwise
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name act > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work | FileCheck %s
// CHECK-COUNT-13: y{{[0-9]+}}: shape [2, 8] f32; {{.+}}: ok
// RUN: %onnx_model celu_zero_alpha %t.celu.onnx
// RUN: not kestrelc --emit=graph %t.celu.onnx 2>&1 | FileCheck %s --check-prefix=CELU
// CELU: error: node 'c': Celu: alpha must not be 0
