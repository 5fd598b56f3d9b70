// Conv (kestrel.conv): 1-D with dynamic frames, a patch embedding with
// dynamic spatial dims, grouped/dilated/asymmetric pads, depthwise with
// auto_pad; computes what ONNX Runtime computes on fresh random inputs.
// RUN: %onnx_model convs %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.conv %{{.+}}, %{{.+}}, %{{.+}} {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 1, 1>, strides = array<i64: 1>} : (tensor<?x8x?xf32>, tensor<16x8x3xf32>, tensor<16xf32>) -> tensor<?x16x?xf32>
// GRAPH: kestrel.conv {{.+}} {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 1, 1>, strides = array<i64: 2>} : (tensor<?x16x?xf32>, tensor<16x16x3xf32>, tensor<16xf32>) -> tensor<?x16x?xf32>
// GRAPH: kestrel.conv {{.+}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 4, 4>} : (tensor<?x3x?x?xf32>, tensor<32x3x4x4xf32>, tensor<32xf32>) -> tensor<?x32x?x?xf32>
// GRAPH: kestrel.conv {{.+}} {dilations = array<i64: 1, 2>, group = 2 : i64, pads = array<i64: 1, 0, 1, 2>, strides = array<i64: 2, 1>} : (tensor<2x6x9x7xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x5x5xf32>
// GRAPH: kestrel.conv {{.+}} {dilations = array<i64: 1, 1>, group = 6 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x6x9x7xf32>, tensor<6x1x3x3xf32>, tensor<6xf32>) -> tensor<2x6x9x7xf32>
// GRAPH: kestrel.conv {{.+}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 2, 0, 1>, strides = array<i64: 2, 2>} : (tensor<2x6x9x7xf32>, tensor<5x6x2x4xf32>) -> tensor<2x5x5x4xf32>
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name convs > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 frames=13 h=16 w=12 | FileCheck %s
// CHECK-DAG: c2: shape [2, 16, 7] f32; {{.+}}: ok
// CHECK-DAG: patches: shape [2, 32, 4, 3] f32; {{.+}}: ok
// CHECK-DAG: grouped: shape [2, 4, 5, 5] f32; {{.+}}: ok
// CHECK-DAG: depthwise: shape [2, 6, 9, 7] f32; {{.+}}: ok
// CHECK-DAG: same_lower: shape [2, 5, 5, 4] f32; {{.+}}: ok
// RUN: %onnx_model conv_dynamic_channels %t.dyn.onnx
// RUN: not kestrelc --emit=graph %t.dyn.onnx 2>&1 | FileCheck %s --check-prefix=DYN
// DYN: error: node 'y': 'kestrel.conv' op the input's channel dim (1) must be static
