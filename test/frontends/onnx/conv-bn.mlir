// BatchNormalization right after a Conv nothing else reads folds into the
// Conv's weight and bias at import (as ONNX Runtime's optimizer does): no
// normalization runs. A Conv another node also reads keeps its
// BatchNormalization. Both compute what ONNX Runtime computes.
// RUN: %onnx_model conv_bn %t.onnx
// RUN: kestrelc --emit=import %t.onnx | FileCheck %s --check-prefix=IMPORT
// IMPORT: kestrel.weight "n1.conv_weight" : tensor<4x3x3x3xf32>
// IMPORT: kestrel.weight "n1.conv_bias" : tensor<4xf32>
// IMPORT: kestrel.weight "nobias.conv_weight" : tensor<5x4x3x3xf32>
// IMPORT: kestrel.weight "nobias.conv_bias" : tensor<5xf32>
// IMPORT: kestrel.rsqrt
// IMPORT-NOT: kestrel.rsqrt
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH-COUNT-3: kestrel.conv
// GRAPH-NOT: kestrel.conv
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name convbn > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=2 | FileCheck %s
// CHECK-DAG: folded: shape [2, 4, 9, 9] f32; {{.+}}: ok
// CHECK-DAG: nobias: shape [2, 5, 4, 4] f32; {{.+}}: ok
// CHECK-DAG: shared: shape [2, 2, 9, 9] f32; {{.+}}: ok
