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

// A shape operand whose 0 entries copy the intermediate's dims keeps the
// reshape chain: folded, they would copy x's dims instead.
// CHECK-LABEL: func.func @reshape_of_reshape_copying_dims(
// CHECK: %[[A:.+]] = kestrel.reshape %{{.+}}, %{{.+}} : (tensor<?x?x2x64xf32>, tensor<2xi64>) -> tensor<?x?xf32>
// CHECK: kestrel.reshape %[[A]], %{{.+}} : (tensor<?x?xf32>, tensor<3xi64>) -> tensor<?x?x1xf32>
func.func @reshape_of_reshape_copying_dims(%x: tensor<?x?x2x64xf32>, %s1: tensor<2xi64>) -> tensor<?x?x1xf32> {
  %s = kestrel.constant dense<[0, 0, 1]> : tensor<3xi64>
  %0 = kestrel.reshape %x, %s1 : (tensor<?x?x2x64xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %1 = kestrel.reshape %0, %s : (tensor<?x?xf32>, tensor<3xi64>) -> tensor<?x?x1xf32>
  return %1 : tensor<?x?x1xf32>
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
// CHECK-NEXT: kestrel.add %{{.+}}, %[[C]]
// CHECK-NEXT: kestrel.add %[[W]], %[[C]]
func.func @constants_and_weights(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %c0 = kestrel.constant dense<1.0> : tensor<4xf32>
  %c1 = kestrel.constant dense<1.0> : tensor<4xf32>
  %w = kestrel.weight "w" : tensor<4xf32>
  %unused = kestrel.weight "unused" : tensor<4xf32>
  %0 = kestrel.add %x, %c0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = kestrel.add %w, %c1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Shape arithmetic on constants folds, with broadcasting, for ints and floats.
// CHECK-LABEL: func.func @binary_constants(
// CHECK-DAG: kestrel.constant dense<[7, 9]> : tensor<2xi64>
// CHECK-DAG: kestrel.constant dense<[2, -2]> : tensor<2xi64>
// CHECK-DAG: kestrel.constant dense<[false, true]> : tensor<2xi1>
// CHECK-DAG: kestrel.constant dense<[1.250000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK-NOT: kestrel.add
// CHECK-NOT: kestrel.div
func.func @binary_constants() -> (tensor<2xi64>, tensor<2xi64>, tensor<2xi1>, tensor<2xf32>) {
  %a = kestrel.constant dense<[3, 5]> : tensor<2xi64>
  %b = kestrel.constant dense<4> : tensor<i64>
  %m = kestrel.constant dense<[5, -5]> : tensor<2xi64>
  %two = kestrel.constant dense<2> : tensor<i64>
  %0 = kestrel.add %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  // Integer division truncates toward zero.
  %1 = kestrel.div %m, %two : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %2 = kestrel.greater %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi1>
  %f = kestrel.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %g = kestrel.constant dense<8.0> : tensor<f32>
  %3 = kestrel.div %f, %g : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %0, %1, %2, %3 : tensor<2xi64>, tensor<2xi64>, tensor<2xi1>, tensor<2xf32>
}

// -----

// Division by zero is left for run time.
// CHECK-LABEL: func.func @div_by_zero_kept(
// CHECK: kestrel.div
func.func @div_by_zero_kept() -> tensor<i64> {
  %a = kestrel.constant dense<3> : tensor<i64>
  %z = kestrel.constant dense<0> : tensor<i64>
  %0 = kestrel.div %a, %z : (tensor<i64>, tensor<i64>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

// The exporters' Shape -> Gather -> Concat -> Reshape chain: static entries
// fold, so the reshape's shape operand disappears; a dynamic entry stays.
// CHECK-LABEL: func.func @shape_chain(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x16x64xf32>
// CHECK: %[[S:.+]] = kestrel.shape_of %[[X]]
// CHECK: %[[B:.+]] = kestrel.gather %[[S]]
// CHECK: %[[R:.+]] = kestrel.reshape %[[X]] : (tensor<?x16x64xf32>) -> tensor<?x16x4x16xf32>
// CHECK: return %[[R]], %[[B]]
func.func @shape_chain(%x: tensor<?x16x64xf32>) -> (tensor<?x16x4x16xf32>, tensor<1xi64>) {
  %s = kestrel.shape_of %x : (tensor<?x16x64xf32>) -> tensor<3xi64>
  %i0 = kestrel.constant dense<[0]> : tensor<1xi64>
  %i1 = kestrel.constant dense<[1]> : tensor<1xi64>
  %b = kestrel.gather %s, %i0 {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %t = kestrel.gather %s, %i1 {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %h = kestrel.constant dense<[4, 16]> : tensor<2xi64>
  %n = kestrel.constant dense<[-1]> : tensor<1xi64>
  %shape = kestrel.concat %n, %t, %h {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = kestrel.reshape %x, %shape : (tensor<?x16x64xf32>, tensor<4xi64>) -> tensor<?x16x4x16xf32>
  return %r, %b : tensor<?x16x4x16xf32>, tensor<1xi64>
}

// -----

// CHECK-LABEL: func.func @shape_of_static(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<[2, 3]> : tensor<2xi64>
// CHECK-NEXT: return %[[C]]
func.func @shape_of_static(%x: tensor<2x3xf32>) -> tensor<2xi64> {
  %0 = kestrel.shape_of %x : (tensor<2x3xf32>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @where_constants(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<[1, 20, 3]> : tensor<3xi64>
// CHECK-NEXT: return %[[C]]
func.func @where_constants() -> tensor<3xi64> {
  %c = kestrel.constant dense<[true, false, true]> : tensor<3xi1>
  %x = kestrel.constant dense<[1, 2, 3]> : tensor<3xi64>
  %y = kestrel.constant dense<20> : tensor<i64>
  %0 = kestrel.where %c, %x, %y : (tensor<3xi1>, tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// A splat condition selects one side even when it is not constant.
// CHECK-LABEL: func.func @where_splat_condition(
// CHECK-SAME: %[[X:[^:]+]]: tensor<4xf32>
// CHECK-NEXT: return %[[X]]
func.func @where_splat_condition(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %c = kestrel.constant dense<true> : tensor<4xi1>
  %0 = kestrel.where %c, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @gather_constant(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<{{\[}}[3, 1], [6, 4]]> : tensor<2x2xi32>
// CHECK-NEXT: return %[[C]]
func.func @gather_constant() -> tensor<2x2xi32> {
  %t = kestrel.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %i = kestrel.constant dense<[-1, 0]> : tensor<2xi64>
  %0 = kestrel.gather %t, %i {axis = 1 : i64} : (tensor<2x3xi32>, tensor<2xi64>) -> tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// -----

// CHECK-LABEL: func.func @cast_constants(
// CHECK-DAG: kestrel.constant dense<[1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: kestrel.constant dense<[2, -1]> : tensor<2xi32>
// CHECK-DAG: kestrel.constant dense<[true, false]> : tensor<2xi1>
func.func @cast_constants() -> (tensor<2xf32>, tensor<2xi32>, tensor<2xi1>) {
  %i = kestrel.constant dense<[1, -2]> : tensor<2xi64>
  %f = kestrel.constant dense<[2.7, -1.5]> : tensor<2xf32>
  %z = kestrel.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %0 = kestrel.cast %i : (tensor<2xi64>) -> tensor<2xf32>
  %1 = kestrel.cast %f : (tensor<2xf32>) -> tensor<2xi32>
  %2 = kestrel.cast %z : (tensor<2xf32>) -> tensor<2xi1>
  return %0, %1, %2 : tensor<2xf32>, tensor<2xi32>, tensor<2xi1>
}

// -----

// CHECK-LABEL: func.func @concat_constants(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<{{\[}}[1, 2, 5], [3, 4, 6]]> : tensor<2x3xi64>
// CHECK-NEXT: return %[[C]]
func.func @concat_constants() -> tensor<2x3xi64> {
  %a = kestrel.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %b = kestrel.constant dense<[[5], [6]]> : tensor<2x1xi64>
  %0 = kestrel.concat %a, %b {axis = 1 : i64} : (tensor<2x2xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func.func @slice_constant(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<[5, 3, 1]> : tensor<3xi64>
// CHECK-NEXT: return %[[C]]
func.func @slice_constant() -> tensor<3xi64> {
  %a = kestrel.constant dense<[0, 1, 2, 3, 4, 5]> : tensor<6xi64>
  %0 = kestrel.slice %a {starts = array<i64: -1>, ends = array<i64: -9223372036854775808>, steps = array<i64: -2>} : (tensor<6xi64>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// CHECK-LABEL: func.func @range_constant(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<[0, 3, 6]> : tensor<3xi64>
// CHECK-NEXT: return %[[C]]
func.func @range_constant() -> tensor<3xi64> {
  %s = kestrel.constant dense<0> : tensor<i64>
  %l = kestrel.constant dense<8> : tensor<i64>
  %d = kestrel.constant dense<3> : tensor<i64>
  %0 = kestrel.range %s, %l, %d : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// Float ranges fold in the element type (here f16: 1, 3 exactly).
// CHECK-LABEL: func.func @range_constant_f16(
// CHECK-NEXT: %[[C:.+]] = kestrel.constant dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf16>
// CHECK-NEXT: return %[[C]]
func.func @range_constant_f16() -> tensor<2xf16> {
  %s = kestrel.constant dense<1.0> : tensor<f16>
  %l = kestrel.constant dense<5.0> : tensor<f16>
  %d = kestrel.constant dense<2.0> : tensor<f16>
  %0 = kestrel.range %s, %l, %d : (tensor<f16>, tensor<f16>, tensor<f16>) -> tensor<2xf16>
  return %0 : tensor<2xf16>
}

// -----

// Identities fold to the other operand when it already has the result's
// type: x * 1, 1 * x, x / 1, x - (+0), x + (-0); for integers x + 0. Not
// x + (+0.0) (wrong for x = -0), not 1 / x, and not a 1 that broadcasts x.
// CHECK-LABEL: func.func @identities(
// CHECK-SAME: %[[X:[^:]+]]: tensor<4xf32>, %[[I:[^:]+]]: tensor<4xi64>
// CHECK-DAG: %[[PZ:.+]] = kestrel.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[ONE:.+]] = kestrel.constant dense<1.000000e+00> : tensor<2x4xf32>
// CHECK-DAG: %[[ONES:.+]] = kestrel.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[A:.+]] = kestrel.add %[[X]], %[[PZ]]
// CHECK-DAG: %[[B:.+]] = kestrel.div %[[ONES]], %[[X]]
// CHECK-DAG: %[[C:.+]] = kestrel.mul %[[X]], %[[ONE]]
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[I]], %[[A]], %[[B]], %[[C]]
func.func @identities(%x: tensor<4xf32>, %i: tensor<4xi64>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi64>, tensor<4xf32>, tensor<4xf32>, tensor<2x4xf32>) {
  %one = kestrel.constant dense<1.0> : tensor<f32>
  %pz = kestrel.constant dense<0.0> : tensor<f32>
  %nz = kestrel.constant dense<-0.0> : tensor<f32>
  %iz = kestrel.constant dense<0> : tensor<i64>
  %wide = kestrel.constant dense<1.0> : tensor<2x4xf32>
  %0 = kestrel.mul %x, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = kestrel.mul %one, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = kestrel.div %x, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = kestrel.sub %x, %pz : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %4 = kestrel.add %nz, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %5 = kestrel.add %i, %iz : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  %6 = kestrel.add %x, %pz : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %7 = kestrel.div %one, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %8 = kestrel.mul %x, %wide : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi64>, tensor<4xf32>, tensor<4xf32>, tensor<2x4xf32>
}
