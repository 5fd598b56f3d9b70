// ONNX ConvTranspose becomes kestrel.conv_transpose (output_shape and
// auto_pad resolved into explicit pads). The library built from the model
// computes what ONNX Runtime computes on fresh random inputs: strides, pads,
// output_padding, a bias, groups with dilations, output_shape, SAME_UPPER.
// RUN: %onnx_model conv_transposes %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.conv_transpose %{{.+}}, %{{.+}}, %{{.+}} {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 1, 0>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x4x5x6xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<?x3x10x11xf32>
// GRAPH: kestrel.conv_transpose %{{.+}}, %{{.+}} {dilations = array<i64: 2>, group = 2 : i64, output_padding = array<i64: 0>, pads = array<i64: 0, 0>, strides = array<i64: 3>} : (tensor<?x4x9xf32>, tensor<4x3x4xf32>) -> tensor<?x6x31xf32>
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name convt > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 | FileCheck %s
// CHECK-DAG: up: shape [2, 3, 10, 11] f32; {{.+}}: ok
// CHECK-DAG: grouped: shape [2, 6, 31] f32; {{.+}}: ok
// CHECK-DAG: shaped: shape [2, 3, 10, 13] f32; {{.+}}: ok
// CHECK-DAG: same: shape [2, 3, 10, 18] f32; {{.+}}: ok
