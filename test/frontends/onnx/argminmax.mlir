// ArgMax and ArgMin become top_k with k = 1 (its indices); without keepdims
// the axis is reshaped away; select_last_index runs over the axis reversed
// and maps the index back. The library built from the model computes what
// ONNX Runtime computes on fresh random inputs: floats, and integers drawn
// from [0, 3), so most rows have ties that pick the first or the last.
// RUN: %onnx_model argminmax %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH: %{{.+}}, %[[AMAX:.+]] = kestrel.top_k %{{.+}} {axis = 1 : i64, k = 1 : i64} : (tensor<?x5x7xf32>) -> (tensor<?x1x7xf32>, tensor<?x1x7xi64>)
// GRAPH: %{{.+}}, %[[AMIN:.+]] = kestrel.top_k %{{.+}} {axis = 2 : i64, k = 1 : i64, largest = false} : (tensor<?x5x7xf32>) -> (tensor<?x5x1xf32>, tensor<?x5x1xi64>)
// GRAPH: kestrel.reshape %[[AMIN]]
// GRAPH-SAME: -> tensor<?x5xi64>
// GRAPH: %[[REV:.+]] = kestrel.slice %{{.+}} {ends = array<i64: 9223372036854775807, -9223372036854775807>, starts = array<i64: 0, -1>, steps = array<i64: 1, -1>} : (tensor<?x6xi64>) -> tensor<?x6xi64>
// GRAPH: %{{.+}}, %[[LAST:.+]] = kestrel.top_k %[[REV]] {axis = 1 : i64, k = 1 : i64} : (tensor<?x6xi64>) -> (tensor<?x1xi64>, tensor<?x1xi64>)
// GRAPH: kestrel.sub %{{.+}}, %[[LAST]]
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name argminmax > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=4 | FileCheck %s
// CHECK-DAG: amax: shape [4, 1, 7] i64; {{.+}}: ok
// CHECK-DAG: amin: shape [4, 5] i64; {{.+}}: ok
// CHECK-DAG: tfirst: shape [4] i64; {{.+}}: ok
// CHECK-DAG: tlast: shape [4, 1] i64; {{.+}}: ok
// CHECK-DAG: tminlast: shape [4] i64; {{.+}}: ok
