// BatchNormalization (inference), InstanceNormalization, GroupNormalization
// and the global pools import as reductions and elementwise ops, with
// dynamic batch and spatial dims, and compute what ONNX Runtime computes on
// fresh random inputs.
// RUN: %onnx_model cnn_norms %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.reshape {{.+}} -> tensor<?x3x2x?x?xf32>
// GRAPH: kestrel.reduce_mean {{.+}} {axes = array<i64: 2, 3, 4>} : (tensor<?x3x2x?x?xf32>) -> tensor<?x3x1x1x1xf32>
// GRAPH: kestrel.reduce_max {{.+}} {axes = array<i64: 2, 3>} : (tensor<?x6x?x?xf32>) -> tensor<?x6x1x1xf32>
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name cnn > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 h=5 w=7 | FileCheck %s
// CHECK-DAG: gn: shape [2, 6, 5, 7] f32; {{.+}}: ok
// CHECK-DAG: avg: shape [2, 6, 1, 1] f32; {{.+}}: ok
// CHECK-DAG: mx: shape [2, 6, 1, 1] f32; {{.+}}: ok
