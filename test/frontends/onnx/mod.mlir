// ONNX Mod: fmod = 0 is kestrel.mod (floored, the divisor's sign), fmod = 1
// kestrel.fmod (truncated, the dividend's sign). The library
// built from the model computes what ONNX Runtime computes on fresh random
// inputs, dividends and divisors of both signs. (A float Mod with fmod = 0,
// which ONNX's node tests define and ONNX Runtime rejects, is checked by the
// node tests test_mod_float*_fmod_0.)
// RUN: %onnx_model mod %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.mod %{{.+}}, %{{.+}} : (tensor<?x6xi64>, tensor<6xi64>) -> tensor<?x6xi64>
// GRAPH: kestrel.fmod %{{.+}}, %{{.+}} : (tensor<?x6xi64>, tensor<6xi64>) -> tensor<?x6xi64>
// GRAPH: kestrel.fmod %{{.+}}, %{{.+}} : (tensor<?x6xf32>, tensor<6xf32>) -> tensor<?x6xf32>
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name mod > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=5 int_high=100 | FileCheck %s
// CHECK-DAG: floored: shape [5, 6] i64; {{.+}}: ok
// CHECK-DAG: truncated: shape [5, 6] i64; {{.+}}: ok
// CHECK-DAG: fmod: shape [5, 6] f32; {{.+}}: ok

// fmod outside {0, 1}: a clear error.
// RUN: %onnx_model mod_bad_fmod %t.bad.onnx
// RUN: not kestrelc --emit=graph %t.bad.onnx 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: node 'y': Mod: fmod must be 0 or 1, got 2
