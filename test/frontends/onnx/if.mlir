// ONNX If whose condition is a constant at compile time imports the branch
// it takes inline (branches read outer values by name and may hold their
// own initializers); a condition known only at run time is a clear error.
// RUN: %onnx_model if_const %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: kestrel.add
// GRAPH: kestrel.mul
// GRAPH-NOT: kestrel.neg
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name ifs > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 | FileCheck %s
// CHECK-DAG: taken: shape [2, 5] f32; {{.+}}: ok
// CHECK-DAG: other: shape [2, 5] f32; {{.+}}: ok
//
// RUN: %onnx_model if_dynamic %t.dyn.onnx
// RUN: not kestrelc --emit=graph %t.dyn.onnx 2>&1 | FileCheck %s --check-prefix=DYN
// DYN: node 'y': If: the condition is not a constant at compile time; Kestrel compiles If only when its condition folds (no data-dependent control flow)
