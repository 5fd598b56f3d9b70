// NonZero: the length of its result depends on the input's values, so the
// ops that read it run in a second stage of the emitted model, planned once
// the first has run. Imported as kestrel.nonzero; the library computes what
// ONNX Runtime computes on fresh random inputs, for the raw indices (an
// output), the reference MoE loop's dispatch after them (gather, project,
// scatter-add back) and the shape of the indices (host arithmetic of the
// second stage).
// RUN: %onnx_model nonzeros %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.nonzero %{{.+}} : (tensor<?x5x3xf32>) -> tensor<3x?xi64>
// GRAPH: kestrel.nonzero %{{.+}} : (tensor<?x2xi1>) -> tensor<2x?xi64>
// RUN: kestrelc --emit=mlir %t.onnx | FileCheck %s --check-prefix=PLAN
// PLAN: kestrel.num_stages = 2
// PLAN-DAG: kestrel.gather {{.+}}kestrel.stage = 1
// PLAN-DAG: kestrel.scatter_nd {{.+}}kestrel.stage = 1
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name nonzeros > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=4 tokens=16 | FileCheck %s
// CHECK-DAG: nz: shape [3, {{[0-9]+}}] i64; {{.+}}: ok
// CHECK-DAG: moe: shape [16, 8] f32; {{.+}}: ok
// CHECK-DAG: wshape: shape [2] i64; {{.+}}: ok
// CHECK-DAG: untouched: shape [16, 8] f32; {{.+}}: ok

// A count the file declares holds for one input's values only: it stays
// dynamic, in the result and in what it decides.
// RUN: %onnx_model nonzero_declared %t.declared.onnx
// RUN: kestrelc --emit=graph %t.declared.onnx | FileCheck %s --check-prefix=DECLARED
// DECLARED: kestrel.nonzero %{{.+}} : (tensor<2x2xi1>) -> tensor<2x?xi64>
// DECLARED: kestrel.transpose %{{.+}} : (tensor<2x?xi64>) -> tensor<?x2xi64>
