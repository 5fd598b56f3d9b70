// Every kestrel folder, through the canonicalizer.
// RUN: kestrel-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @reshape_of_reshape(
// CHECK-SAME: %[[X:.+]]: tensor<2x3x4xf32>
// CHECK-NEXT: %[[R:.+]] = kestrel.reshape %[[X]] : (tensor<2x3x4xf32>) -> tensor<24xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_of_reshape(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = kestrel.reshape %x : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %1 = kestrel.reshape %0 : (tensor<6x4xf32>) -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// -----

// A reshape back to the input's type disappears with the one before it.
// CHECK-LABEL: func.func @reshape_round_trip(
// CHECK-SAME: %[[X:.+]]: tensor<?x4096xf32>
// CHECK-NEXT: return %[[X]]
func.func @reshape_round_trip(%x: tensor<?x4096xf32>) -> tensor<?x4096xf32> {
  %0 = kestrel.reshape %x : (tensor<?x4096xf32>) -> tensor<?x32x128xf32>
  %1 = kestrel.reshape %0 : (tensor<?x32x128xf32>) -> tensor<?x4096xf32>
  return %1 : tensor<?x4096xf32>
}

// -----

// With a runtime shape operand and dynamic dims the reshape is not an identity.
// CHECK-LABEL: func.func @reshape_dynamic_kept(
// CHECK: kestrel.reshape
func.func @reshape_dynamic_kept(%x: tensor<?x?xf32>, %s: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = kestrel.reshape %x, %s : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_constant(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi64>
// CHECK-NEXT: return %[[C]]
func.func @reshape_constant() -> tensor<2x2xi64> {
  %0 = kestrel.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %1 = kestrel.reshape %0 : (tensor<4xi64>) -> tensor<2x2xi64>
  return %1 : tensor<2x2xi64>
}

// -----

// CHECK-LABEL: func.func @transpose_identity(
// CHECK-SAME: %[[X:.+]]: tensor<2x3xf32>
// CHECK-NEXT: return %[[X]]
func.func @transpose_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = kestrel.transpose %x {permutation = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_of_transpose_cancels(
// CHECK-SAME: %[[X:.+]]: tensor<2x3x4x5xf32>
// CHECK-NEXT: return %[[X]]
func.func @transpose_of_transpose_cancels(%x: tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32> {
  %0 = kestrel.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x3x5xf32>
  %1 = kestrel.transpose %0 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x4x3x5xf32>) -> tensor<2x3x4x5xf32>
  return %1 : tensor<2x3x4x5xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_of_transpose_composes(
// CHECK-SAME: %[[X:.+]]: tensor<2x3x4xf32>
// CHECK-NEXT: %[[T:.+]] = kestrel.transpose %[[X]] {permutation = array<i64: 2, 1, 0>} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_of_transpose_composes(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = kestrel.transpose %x {permutation = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = kestrel.transpose %0 {permutation = array<i64: 1, 0, 2>} : (tensor<3x4x2xf32>) -> tensor<4x3x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_splat(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<2.000000e+00> : tensor<3x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @transpose_splat() -> tensor<3x2xf32> {
  %0 = kestrel.constant dense<2.0> : tensor<2x3xf32>
  %1 = kestrel.transpose %0 {permutation = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func.func @cast_identity(
// CHECK-SAME: %[[X:.+]]: tensor<?x8xbf16>
// CHECK-NEXT: return %[[X]]
func.func @cast_identity(%x: tensor<?x8xbf16>) -> tensor<?x8xbf16> {
  %0 = kestrel.cast %x : (tensor<?x8xbf16>) -> tensor<?x8xbf16>
  return %0 : tensor<?x8xbf16>
}

// -----

// A cast that changes the element type stays.
// CHECK-LABEL: func.func @cast_kept(
// CHECK: kestrel.cast
func.func @cast_kept(%x: tensor<?x8xbf16>) -> tensor<?x8xf32> {
  %0 = kestrel.cast %x : (tensor<?x8xbf16>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @expand_identity(
// CHECK-SAME: %[[X:.+]]: tensor<4x8xf32>
// CHECK-NEXT: return %[[X]]
func.func @expand_identity(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = kestrel.expand %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @concat_single(
// CHECK-SAME: %[[X:.+]]: tensor<4x8xf32>
// CHECK-NEXT: return %[[X]]
func.func @concat_single(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = kestrel.concat %x {axis = 1 : i64} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @slice_full(
// CHECK-SAME: %[[X:.+]]: tensor<4x8xf32>
// CHECK-NEXT: return %[[X]]
func.func @slice_full(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = kestrel.slice %x {starts = array<i64: 0, 0>, ends = array<i64: 9223372036854775807, 8>, steps = array<i64: 1, 1>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Equal constants merge; an unused (pure) weight reference goes away.
// CHECK-LABEL: func.func @constants_and_weights(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-NEXT: %[[W:.+]] = kestrel.weight "w" : tensor<4xf32>
// CHECK-NEXT: kestrel.add %[[C]], %[[C]]
// CHECK-NEXT: kestrel.add %[[W]], %[[W]]
func.func @constants_and_weights() -> (tensor<4xf32>, tensor<4xf32>) {
  %c0 = kestrel.constant dense<1.0> : tensor<4xf32>
  %c1 = kestrel.constant dense<1.0> : tensor<4xf32>
  %w = kestrel.weight "w" : tensor<4xf32>
  %unused = kestrel.weight "unused" : tensor<4xf32>
  %0 = kestrel.add %c0, %c1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = kestrel.add %w, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}
