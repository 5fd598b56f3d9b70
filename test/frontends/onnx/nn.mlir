// MatMul (NumPy semantics), Gemm, Einsum, norms, softmax, reductions, TopK.
// RUN: %onnx_model matmuls %t.matmuls.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.matmuls.onnx | FileCheck %s --check-prefix=MM
// RUN: %onnx_model einsum %t.einsum.onnx
// RUN: kestrelc --emit=graph %t.einsum.onnx | FileCheck %s --check-prefix=EINSUM
// RUN: %onnx_model norms %t.norms.onnx
// RUN: kestrelc --emit=graph %t.norms.onnx | FileCheck %s --check-prefix=NORMS
// RUN: %onnx_model rmsnorm23 %t.rms.onnx
// RUN: kestrelc --emit=graph %t.rms.onnx | FileCheck %s --check-prefix=RMS
// RUN: %onnx_model reductions %t.red.onnx
// RUN: kestrelc --emit=graph %t.red.onnx | FileCheck %s --check-prefix=RED
// RUN: %onnx_model reductions18 %t.red18.onnx
// RUN: kestrelc --emit=graph %t.red18.onnx | FileCheck %s --check-prefix=RED18
// RUN: %onnx_model topk %t.topk.onnx
// RUN: kestrelc --emit=graph %t.topk.onnx | FileCheck %s --check-prefix=TOPK
// RUN: %onnx_model cumsum %t.cumsum.onnx
// RUN: kestrelc --emit=graph %t.cumsum.onnx | FileCheck %s --check-prefix=CUMSUM
// RUN: %onnx_model cumsum_dynamic_axis %t.cumsum-dyn.onnx
// RUN: not kestrelc --emit=graph %t.cumsum-dyn.onnx 2>&1 | FileCheck %s --check-prefix=CUMSUM-DYN

// Initializers are weights (the IR holds no data).
// MM-DAG: %[[W:.+]] = kestrel.weight "w" : tensor<32x16xf32>
// MM-DAG: %[[A:.+]] = kestrel.weight "a" : tensor<4x32xf32>
// MM-DAG: %[[B:.+]] = kestrel.weight "b" : tensor<16x32xf32>
// MM: kestrel.matmul %{{.+}}, %[[W]] : (tensor<?x?x32xf32>, tensor<32x16xf32>) -> tensor<?x?x16xf32>
// A 1-D lhs becomes a row and is dropped after.
// MM: %[[ROW:.+]] = kestrel.reshape %{{.+}} : (tensor<32xf32>) -> tensor<1x32xf32>
// MM: %[[VM:.+]] = kestrel.matmul %[[ROW]], %[[W]]
// MM: kestrel.reshape %[[VM]] : (tensor<1x16xf32>) -> tensor<16xf32>
// A 1-D rhs becomes a column: [b, s, 1] -> [b, s] copies the leading dims.
// MM: %[[COL:.+]] = kestrel.reshape %{{.+}} : (tensor<32xf32>) -> tensor<32x1xf32>
// MM: %[[MV:.+]] = kestrel.matmul %{{.+}}, %[[COL]]
// MM: kestrel.reshape %[[MV]], %{{.+}} : (tensor<?x?x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
// Gemm: alpha * A * B^T + beta * C.
// MM: %[[G:.+]] = kestrel.matmul %[[A]], %[[B]] {transpose_b = true}
// MM: %[[GS:.+]] = kestrel.mul %[[G]], %{{.+}}
// MM: kestrel.add %[[GS]], %{{.+}} : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>

// EINSUM: kestrel.matmul %{{.+}}, %{{.+}} : (tensor<2x3x5xf32>, tensor<2x5x7xf32>) -> tensor<2x3x7xf32>
// Outer product i,j->ij: a column times a row.
// EINSUM: kestrel.matmul %{{.+}}, %{{.+}} : (tensor<3x1xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
// EINSUM: %[[KT:.+]] = kestrel.transpose %{{.+}} {permutation = array<i64: 0, 1, 3, 2>}
// EINSUM: kestrel.matmul %{{.+}}, %[[KT]] : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
// EINSUM: kestrel.transpose %{{.+}} {permutation = array<i64: 0, 2, 1>} : (tensor<2x3x5xf32>) -> tensor<2x5x3xf32>

// NORMS: kestrel.layer_norm %{{.+}}, %{{.+}}, %{{.+}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// NORMS: kestrel.softmax %{{.+}} {axis = 2 : i64}
// NORMS: kestrel.log_softmax %{{.+}} {axis = 1 : i64}

// RMS: kestrel.rms_norm %{{.+}}, %{{.+}} {axis = 2 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>

// Axes as attribute (opset 13 ReduceMean/Max) and as input (ReduceSum);
// no axes reduces everything.
// RED: kestrel.reduce_mean %{{.+}} {axes = array<i64: 2>} : (tensor<?x6x8xf32>) -> tensor<?x6x1xf32>
// RED: kestrel.reduce_max %{{.+}} {axes = array<i64: 1, 2>, keepdims = false} : (tensor<?x6x8xf32>) -> tensor<?xf32>
// RED: kestrel.reduce_sum %{{.+}} {axes = array<i64: 1>} : (tensor<?x6x8xf32>) -> tensor<?x1x8xf32>
// RED: kestrel.reduce_sum %{{.+}} {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<?x6x8xf32>) -> tensor<f32>

// Opset 18: axes as input for every reduction.
// RED18: kestrel.reduce_mean %{{.+}} {axes = array<i64: 2>} : (tensor<?x6x8xf32>) -> tensor<?x6x1xf32>
// RED18: kestrel.reduce_max %{{.+}} {axes = array<i64: 2>, keepdims = false}

// TOPK: %{{.+}}, %{{.+}} = kestrel.top_k %{{.+}} {axis = 1 : i64, k = 2 : i64} : (tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi64>)

// CumSum: a negative axis normalized, a rank-1 axis, exclusive and reverse.
// CUMSUM: kestrel.cumsum %{{.+}} {axis = 1 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi64>
// CUMSUM: kestrel.cumsum %{{.+}} {axis = 0 : i64, exclusive = true, reverse = true} : (tensor<3x5xf32>) -> tensor<3x5xf32>
// CUMSUM-DYN: CumSum{{.*}}axis
