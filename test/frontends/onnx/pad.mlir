// ONNX Pad becomes kestrel.pad (pads and axes folded into one begin/end
// list, the constant value a rank-0 operand, 0 when absent). The library
// built from the model computes what ONNX Runtime computes on fresh random
// inputs in every mode, crops and pads wider than a dimension included.
// RUN: %onnx_model pads %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.pad %{{.+}}, %{{.+}} {pads = array<i64: 0, 1, 2, 3, 0, 0, 1, 4>} : (tensor<?x3x5x6xf32>, tensor<f32>) -> tensor<?x4x8x13xf32>
// GRAPH: kestrel.pad %{{.+}}, %{{.+}} {mode = "reflect", pads = array<i64: 0, 1, 2, 3, 0, 0, 1, 4>}
// GRAPH: kestrel.pad %{{.+}}, %{{.+}} {mode = "edge", pads = array<i64: 0, -1, 2, -2, 0, 1, -1, 3>} : (tensor<?x3x5x6xf32>, tensor<f32>) -> tensor<?x3x6x7xf32>
// GRAPH: kestrel.pad %{{.+}}, %{{.+}} {mode = "wrap", pads = array<i64: 0, 3, 0, 9>} : (tensor<?x7xi64>, tensor<i64>) -> tensor<?x19xi64>
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name pads > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 int_high=50 | FileCheck %s
// CHECK-DAG: constant: shape [2, 4, 8, 13] f32; {{.+}}: ok
// CHECK-DAG: zero: shape [2, 4, 8, 13] f32; {{.+}}: ok
// CHECK-DAG: reflect: shape [2, 4, 8, 13] f32; {{.+}}: ok
// CHECK-DAG: edge: shape [2, 3, 6, 7] f32; {{.+}}: ok
// CHECK-DAG: wrap: shape [2, 19] i64; {{.+}}: ok
// CHECK-DAG: tconst: shape [2, 19] i64; {{.+}}: ok
