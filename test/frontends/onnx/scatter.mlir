// ScatterElements and ScatterND: imported with their reductions, and the
// library built from the model computes what ONNX Runtime computes, on fresh
// random inputs (repeated and negative indices: updates apply in index
// order, so `add` sums every repeat and `none` keeps the last).
// RUN: %onnx_model scatters %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.scatter_elements %{{.+}}, %{{.+}}, %{{.+}} {axis = 1 : i64, reduction = "add"} : (tensor<4x6xf32>, tensor<4x3xi64>, tensor<4x3xf32>) -> tensor<4x6xf32>
// GRAPH: kestrel.scatter_nd %{{.+}}, %{{.+}}, %{{.+}} : (tensor<5x6xf32>, tensor<3x1xi64>, tensor<3x6xf32>) -> tensor<5x6xf32>
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name scatters > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work | FileCheck %s
// CHECK-DAG: se: shape [4, 6] f32; {{.+}}: ok
// CHECK-DAG: sn: shape [5, 6] f32; {{.+}}: ok
