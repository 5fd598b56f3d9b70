// ONNX MaxPool and AveragePool become kestrel.pool (auto_pad resolved into
// explicit pads). The library built from the model computes what ONNX
// Runtime computes on fresh random inputs: pads, strides, ceil_mode with
// dilations, count_include_pad, 1-D SAME_UPPER and 3-D windows.
// RUN: %onnx_model pools %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.pool %{{.+}} {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, kind = "max", pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x3x9x10xf32>) -> tensor<?x3x5x5xf32>
// GRAPH: kestrel.pool %{{.+}} {ceil_mode = true, dilations = array<i64: 2, 1>, kernel_shape = array<i64: 2, 3>, kind = "max", pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<?x3x9x10xf32>) -> tensor<?x3x4x5xf32>
// GRAPH: kestrel.pool %{{.+}} {count_include_pad = true, {{.+}} kind = "average"
// GRAPH: kestrel.pool %{{.+}} {dilations = array<i64: 1>, kernel_shape = array<i64: 4>, kind = "max", pads = array<i64: 1, 1>, strides = array<i64: 3>} : (tensor<?x4x11xf32>) -> tensor<?x4x4xf32>
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name pools > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 | FileCheck %s
// CHECK-DAG: max: shape [2, 3, 5, 5] f32; {{.+}}: ok
// CHECK-DAG: maxceil: shape [2, 3, 4, 5] f32; {{.+}}: ok
// CHECK-DAG: avgpad: shape [2, 3, 10, 5] f32; {{.+}}: ok
// CHECK-DAG: avgceil: shape [2, 3, 5, 4] f32; {{.+}}: ok
// CHECK-DAG: max1d: shape [2, 4, 4] f32; {{.+}}: ok
// CHECK-DAG: avg3d: shape [2, 2, 4, 3, 4] f32; {{.+}}: ok
//
// MaxPool's Indices output is not computed: a clear error.
// RUN: %onnx_model max_pool_indices %t.idx.onnx
// RUN: not kestrelc --emit=graph %t.idx.onnx 2>&1 | FileCheck %s --check-prefix=IDX
// IDX: node 'y': MaxPool: output 1 ('i') is not supported: MaxPool's Indices (argmax positions) are not computed
