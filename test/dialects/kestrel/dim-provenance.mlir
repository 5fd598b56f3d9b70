// A dimension read off a shape is read off the earliest value that has it
// (GatherOp's canonicalization, DimProvenance.cpp), so copies of one
// computation in every layer merge under CSE.
// RUN: kestrel-opt %s -canonicalize -cse -split-input-file | FileCheck %s

// Two layers take the sequence length from their own query (reshape with
// copied dims of a split of a norm): both read it off the input, and the
// rotary-table gathers that follow merge.
// CHECK-LABEL: func.func @layers_merge(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x64xf32>
// CHECK-DAG: %[[ONE:.+]] = kestrel.constant dense<1> : tensor<1xi64>
// CHECK-DAG: %[[S:.+]] = kestrel.shape_of %[[X]]
// CHECK: %[[LEN:.+]] = kestrel.gather %[[S]], %[[ONE]] {axis = 0 : i64}
// CHECK-NEXT: %[[END:.+]] = kestrel.reshape %[[LEN]]
// CHECK-NEXT: %[[POS:.+]] = kestrel.range %{{.+}}, %[[END]], %{{.+}}
// CHECK-NEXT: %[[COS:.+]] = kestrel.gather %{{.+}}, %[[POS]] {axis = 0 : i64}
// CHECK-NEXT: return %[[COS]], %[[COS]]
func.func @layers_merge(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>,
                        %table: tensor<128x8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %shape = kestrel.constant dense<[0, 0, 4, 8]> : tensor<4xi64>
  %one = kestrel.constant dense<1> : tensor<1xi64>
  %zero = kestrel.constant dense<0> : tensor<1xi64>
  %step = kestrel.constant dense<1> : tensor<1xi64>
  %n0 = kestrel.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-06 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %p0:2 = kestrel.split %n0 {axis = 2 : i64, sizes = array<i64: 32, 32>} : (tensor<?x?x64xf32>) -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>)
  %q0 = kestrel.reshape %p0#0, %shape : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x4x8xf32>
  %s0 = kestrel.shape_of %q0 : (tensor<?x?x4x8xf32>) -> tensor<4xi64>
  %l0 = kestrel.gather %s0, %one {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %z0 = kestrel.reshape %zero : (tensor<1xi64>) -> tensor<i64>
  %e0 = kestrel.reshape %l0 : (tensor<1xi64>) -> tensor<i64>
  %d0 = kestrel.reshape %step : (tensor<1xi64>) -> tensor<i64>
  %r0 = kestrel.range %z0, %e0, %d0 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %c0 = kestrel.gather %table, %r0 {axis = 0 : i64} : (tensor<128x8xf32>, tensor<?xi64>) -> tensor<?x8xf32>
  // The second layer: its query comes through a transpose pair.
  %n1 = kestrel.rms_norm %n0, %w {axis = 2 : i64, epsilon = 1.0e-06 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %t1 = kestrel.transpose %n1 {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %s1 = kestrel.shape_of %t1 : (tensor<?x?x64xf32>) -> tensor<3xi64>
  %zero1 = kestrel.constant dense<0> : tensor<1xi64>
  %l1 = kestrel.gather %s1, %zero1 {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %z1 = kestrel.reshape %zero : (tensor<1xi64>) -> tensor<i64>
  %e1 = kestrel.reshape %l1 : (tensor<1xi64>) -> tensor<i64>
  %d1 = kestrel.reshape %step : (tensor<1xi64>) -> tensor<i64>
  %r1 = kestrel.range %z1, %e1, %d1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %c1 = kestrel.gather %table, %r1 {axis = 0 : i64} : (tensor<128x8xf32>, tensor<?xi64>) -> tensor<?x8xf32>
  return %c0, %c1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Through an embedding gather to the ids, and a gather of a gather of a
// shape composes.
// CHECK-LABEL: func.func @through_gathers(
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<?x?xi64>
// CHECK-DAG: %[[S:.+]] = kestrel.shape_of %[[IDS]]
// CHECK-DAG: %[[I1:.+]] = kestrel.constant dense<1> : tensor<1xi64>
// CHECK-DAG: %[[I0:.+]] = kestrel.constant dense<0> : tensor<1xi64>
// CHECK-DAG: %[[A:.+]] = kestrel.gather %[[S]], %[[I1]]
// CHECK-DAG: %[[B:.+]] = kestrel.gather %[[S]], %[[I0]]
// CHECK: return %[[A]], %[[B]]
func.func @through_gathers(%ids: tensor<?x?xi64>, %table: tensor<100x16xf32>)
    -> (tensor<1xi64>, tensor<1xi64>) {
  %e = kestrel.gather %table, %ids {axis = 0 : i64} : (tensor<100x16xf32>, tensor<?x?xi64>) -> tensor<?x?x16xf32>
  %s = kestrel.shape_of %e : (tensor<?x?x16xf32>) -> tensor<3xi64>
  %one = kestrel.constant dense<1> : tensor<1xi64>
  %a = kestrel.gather %s, %one {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %perm = kestrel.constant dense<[1, 0, 2]> : tensor<3xi64>
  %p = kestrel.gather %s, %perm {axis = 0 : i64} : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %b = kestrel.gather %p, %one {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %a, %b : tensor<1xi64>, tensor<1xi64>
}

// -----

// Near misses: a dim a reshape computes (-1), one allow_zero makes 0, and
// a concatenation's own axis are not traced.
// CHECK-LABEL: func.func @near_misses(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x64xf32>
// CHECK: %[[R:.+]] = kestrel.reshape %[[X]], %{{.+}} : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
// CHECK: kestrel.shape_of %[[R]]
// CHECK: %[[Z:.+]] = kestrel.reshape %[[X]], %{{.+}} {allow_zero = true}
// CHECK: kestrel.shape_of %[[Z]]
// CHECK: %[[C:.+]] = kestrel.concat %[[X]], %[[X]] {axis = 1 : i64}
// CHECK: kestrel.shape_of %[[C]]
func.func @near_misses(%x: tensor<?x?x64xf32>)
    -> (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) {
  %one = kestrel.constant dense<1> : tensor<1xi64>
  %s8 = kestrel.constant dense<[0, -1, 8]> : tensor<3xi64>
  %r = kestrel.reshape %x, %s8 : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  %sr = kestrel.shape_of %r : (tensor<?x?x8xf32>) -> tensor<3xi64>
  %a = kestrel.gather %sr, %one {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s0 = kestrel.constant dense<[0, 0, 64]> : tensor<3xi64>
  %z = kestrel.reshape %x, %s0 {allow_zero = true} : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  %sz = kestrel.shape_of %z : (tensor<?x?x64xf32>) -> tensor<3xi64>
  %b = kestrel.gather %sz, %one {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %c = kestrel.concat %x, %x {axis = 1 : i64} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %sc = kestrel.shape_of %c : (tensor<?x?x64xf32>) -> tensor<3xi64>
  %d = kestrel.gather %sc, %one {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %a, %b, %d : tensor<1xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

// A reshape by its types alone ties its one dynamic dim to its input's only
// when the static dims hold elements: with a static 0 both are empty
// whatever the dynamic dims are.
// CHECK-LABEL: func.func @empty_reshape(
// CHECK-SAME: %[[Y:[^:]+]]: tensor<?x0xf32>
// CHECK: %[[R:.+]] = kestrel.reshape %[[Y]] : (tensor<?x0xf32>) -> tensor<0x?xf32>
// CHECK: kestrel.shape_of %[[R]]
func.func @empty_reshape(%y: tensor<?x0xf32>) -> tensor<1xi64> {
  %one = kestrel.constant dense<1> : tensor<1xi64>
  %r = kestrel.reshape %y : (tensor<?x0xf32>) -> tensor<0x?xf32>
  %s = kestrel.shape_of %r : (tensor<0x?xf32>) -> tensor<2xi64>
  %d = kestrel.gather %s, %one {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %d : tensor<1xi64>
}
