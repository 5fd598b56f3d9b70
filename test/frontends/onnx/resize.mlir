// ONNX Resize becomes kestrel.resize (scales or sizes over every dim, the
// roi expanded to every dim). The library built from the model computes
// what ONNX Runtime computes on fresh random inputs: linear, cubic with
// exclude_outside, nearest in two rounding modes, tf_crop_and_resize with
// extrapolation and keep_aspect_ratio_policy.
// RUN: %onnx_model resizes %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.resize %{{.+}} {mode = "linear", scales = array<f32: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>, sizes = array<i64: -1, -1, -1, -1>} : (tensor<?x3x6x7xf32>) -> tensor<?x3x12x14xf32>
// GRAPH: kestrel.resize %{{.+}} {coordinate_mode = "asymmetric", nearest_mode = "floor", scales = array<f32: 1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00>, sizes = array<i64: -1, -1, 9, 14>} : (tensor<?x3x6x7xf32>) -> tensor<?x3x9x14xf32>
// GRAPH: kestrel.resize %{{.+}} {coordinate_mode = "tf_crop_and_resize", extrapolation_value = -2.000000e+00 : f32, mode = "linear", roi = array<f32: 0.000000e+00, 0.000000e+00, 2.500000e-01, -2.500000e-01, 1.000000e+00, 1.000000e+00, 1.250000e+00, 7.500000e-01>
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name resizes > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 | FileCheck %s
// CHECK-DAG: linear: shape [2, 3, 12, 14] f32; {{.+}}: ok
// CHECK-DAG: cubic: shape [2, 3, 4, 10] f32; {{.+}}: ok
// CHECK-DAG: nearest: shape [2, 3, 9, 14] f32; {{.+}}: ok
// CHECK-DAG: nearceil: shape [2, 3, 12, 14] f32; {{.+}}: ok
// CHECK-DAG: crop: shape [2, 3, 9, 14] f32; {{.+}}: ok
// CHECK-DAG: keep: shape [2, 3, 12, 14] f32; {{.+}}: ok
//
// antialias is not supported: a clear error.
// RUN: %onnx_model resize_antialias %t.aa.onnx
// RUN: not kestrelc --emit=graph %t.aa.onnx 2>&1 | FileCheck %s --check-prefix=AA
// AA: node 'y': Resize: antialias = 1 is not supported
