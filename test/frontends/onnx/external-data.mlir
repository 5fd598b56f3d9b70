// Initializers in an external data file import as weights; the data stays
// in the file. --onnx-op-stats prints the op histogram.
// RUN: %onnx_model external_data %t.ext.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.ext.onnx | FileCheck %s
// CHECK: module attributes {kestrel.source = "{{.+}}ext.onnx"}
// CHECK: %[[W:.+]] = kestrel.weight "w" : tensor<64x64xf32>
// CHECK: kestrel.matmul %{{.+}}, %[[W]]
// RUN: %onnx_model contrib_norms %t.stats.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.stats.onnx --onnx-op-stats | FileCheck %s --check-prefix=STATS
// STATS: domain           op                                   opset   count
// STATS-NEXT: ai.onnx          SimplifiedLayerNormalization            17       1
// STATS-NEXT: com.microsoft    FastGelu                                 1       1
// STATS-NEXT: com.microsoft    SkipLayerNormalization                   1       1
// STATS-NEXT: com.microsoft    SkipSimplifiedLayerNormalization         1       1
// STATS-NEXT: total                                                             4

// RUN: %onnx_model unsorted %t.unsorted.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.unsorted.onnx | FileCheck %s --check-prefix=UNSORTED
// UNSORTED: %[[A:.+]] = kestrel.neg %{{.+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// UNSORTED: kestrel.relu %[[A]] : (tensor<2x3xf32>) -> tensor<2x3xf32>
