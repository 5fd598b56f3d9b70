// Shape sub-graphs and data movement.
// RUN: %onnx_model shape_chain_static %t.static.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.static.onnx | FileCheck %s --check-prefix=STATIC
// RUN: %onnx_model shape_chain_dynamic %t.dynamic.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.dynamic.onnx | FileCheck %s --check-prefix=DYNAMIC
// RUN: %onnx_model data_movement %t.move.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.move.onnx | FileCheck %s --check-prefix=MOVE
// RUN: %onnx_model constants %t.const.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.const.onnx | FileCheck %s --check-prefix=CONST
// RUN: %onnx_model causal_mask_dynamic %t.mask.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.mask.onnx | FileCheck %s --check-prefix=MASK

// Shape -> Gather -> Unsqueeze -> Concat -> Reshape folds away for static
// shapes: one reshape is left.
// STATIC: func.func @main(%[[X:.+]]: tensor<2x5x64xf32>
// STATIC-NEXT: %[[R:.+]] = kestrel.reshape %[[X]] : (tensor<2x5x64xf32>) -> tensor<2x5x4x16xf32>
// STATIC-NEXT: return %[[R]]

// With dynamic batch and sequence the chain stays as a run-time shape
// computation, with the static entries folded.
// DYNAMIC: func.func @main(%[[X:.+]]: tensor<?x?x64xf32>
// DYNAMIC-DAG: %[[HEADS:.+]] = kestrel.constant dense<[4, 16]> : tensor<2xi64>
// DYNAMIC: %[[S:.+]] = kestrel.shape_of %[[X]] : (tensor<?x?x64xf32>) -> tensor<3xi64>
// DYNAMIC: %[[B:.+]] = kestrel.gather %[[S]]
// DYNAMIC: %[[T:.+]] = kestrel.gather %[[S]]
// DYNAMIC: %[[BU:.+]] = kestrel.reshape %[[B]] : (tensor<i64>) -> tensor<1xi64>
// DYNAMIC: %[[TU:.+]] = kestrel.reshape %[[T]] : (tensor<i64>) -> tensor<1xi64>
// DYNAMIC: %[[SHAPE:.+]] = kestrel.concat %[[BU]], %[[TU]], %[[HEADS]] {axis = 0 : i64}
// DYNAMIC: kestrel.reshape %[[X]], %[[SHAPE]] : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>

// Unsqueeze then Squeeze of the same axis cancels; negative axes and steps
// follow ONNX.
// MOVE: %[[T:.+]] = kestrel.transpose %{{.+}} {permutation = array<i64: 0, 2, 1>} : (tensor<?x4x6xf32>) -> tensor<?x6x4xf32>
// MOVE: %[[P:.+]]:2 = kestrel.split %[[T]] {axis = 1 : i64, sizes = array<i64: 2, 4>}
// MOVE: %[[C:.+]] = kestrel.concat %[[P]]#1, %[[P]]#0 {axis = 1 : i64}
// MOVE: kestrel.slice %[[C]] {ends = array<i64: 9223372036854775807, 5, -100>, starts = array<i64: 0, 0, -1>, steps = array<i64: 1, 2, -1>} : (tensor<?x6x4xf32>) -> tensor<?x3x4xf32>
// MOVE: kestrel.reshape %{{.+}} : (tensor<?x4x6xf32>) -> tensor<?x24xf32>
// MOVE: kestrel.expand %{{.+}} : (tensor<1x3xf32>) -> tensor<2x1x3xf32>
// MOVE: kestrel.gather %{{.+}}, %{{.+}} {axis = 0 : i64} : (tensor<100x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>

// Constant, ConstantOfShape, Range and Trilu with static shapes all fold.
// CONST-DAG: kestrel.constant dense<[0, 2, 4, 6]> : tensor<4xi64>
// CONST-DAG: kestrel.constant dense<5.000000e-01> : tensor<2x3xf32>
// CONST-DAG: kestrel.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CONST-DAG: %[[LOWER:.+]] = kestrel.constant dense<{{\[}}[true, false, false], [true, true, false]]> : tensor<2x3xi1>
// CONST: kestrel.where %[[LOWER]]

// A dynamic Trilu builds its mask from ranges over the run-time sizes.
// MASK: %[[S:.+]] = kestrel.shape_of %{{.+}} : (tensor<?x?x?xf32>) -> tensor<3xi64>
// MASK: %[[N:.+]] = kestrel.gather %[[S]]
// MASK: kestrel.range %{{.+}}, %[[N]], %{{.+}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
// MASK: kestrel.less_equal
// MASK: kestrel.where

// RUN: %onnx_model gathers_and_tiles %t.gt.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.gt.onnx | FileCheck %s --check-prefix=GT
// GT: kestrel.gather_elements %{{.+}}, %{{.+}} {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?x2xi64>) -> tensor<?x2xf32>
// GT: kestrel.gather_nd %{{.+}}, %{{.+}} : (tensor<4x3xf32>, tensor<?x1xi64>) -> tensor<?x3xf32>
// Tile is reshape -> expand -> reshape; constant repeats keep static sizes
// and give only the repeated dims a unit axis.
// GT: %[[SPREAD:.+]] = kestrel.reshape %{{.+}} : (tensor<?x8xf32>) -> tensor<1x?x8xf32>
// GT: %[[GROWN:.+]] = kestrel.expand %[[SPREAD]], %{{.+}} : (tensor<1x?x8xf32>, tensor<3xi64>) -> tensor<2x?x8xf32>
// GT: kestrel.reshape %[[GROWN]] : (tensor<2x?x8xf32>) -> tensor<?x8xf32>
// Run-time repeats: the sizes are shape_of(x) * repeats.
// GT: %[[S:.+]] = kestrel.shape_of
// GT: %[[N:.+]] = kestrel.mul %[[S]], %{{.+}} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
// GT: kestrel.reshape %{{.+}}, %[[N]] : (tensor<?x?x?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
// OneHot wraps negative classes and compares with the class range.
// GT: kestrel.less
// GT: kestrel.where
// GT: kestrel.equal %{{.+}}, %{{.+}} : (tensor<?x1xi64>, tensor<1x5xi64>) -> tensor<?x5xi1>
// GT: kestrel.where %{{.+}}, %{{.+}}, %{{.+}} : (tensor<?x5xi1>, tensor<f32>, tensor<f32>) -> tensor<?x5xf32>
// IsNaN is x != x.
// GT: kestrel.not_equal %[[X:.+]], %[[X]] : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xi1>

// RUN: %onnx_model dynamic_slice %t.ds.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.ds.onnx | FileCheck %s --check-prefix=DSLICE
// Bounds from the run-time sequence length: a dynamic_slice over the
// constant mask; Flatten of two dynamic sizes multiplies them at run time.
// DSLICE: %[[ENDS:.+]] = kestrel.concat %{{.+}}, %{{.+}}, %{{.+}} {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
// DSLICE: kestrel.dynamic_slice %{{.+}}, %{{.+}}, %[[ENDS]], %{{.+}} : (tensor<1x1x16x16xf32>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>) -> tensor<1x1x?x?xf32>
// DSLICE: kestrel.reshape %{{.+}}, %{{.+}} : (tensor<?x?x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
