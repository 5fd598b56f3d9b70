// RUN: kestrel-opt %s -kestrel-fuse-elementwise -split-input-file | FileCheck %s

// Llama's MLP activation as exporters write it, silu(g) * u with the SiLU
// spelled out: three ops, one body. The sigmoid is computed in f32.
// CHECK-LABEL: func.func @silu_times_up(
// CHECK-SAME: %[[G:[^:]+]]: tensor<?x64xf32>, %[[U:[^:]+]]: tensor<?x64xf32>
// CHECK: %[[Y:.+]] = kestrel.fused_elementwise ins(%[[G]], %[[U]] : tensor<?x64xf32>, tensor<?x64xf32>) {
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32):
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[N:.+]] = arith.negf %[[A]] : f32
// CHECK-NEXT: %[[E:.+]] = math.exp %[[N]] : f32
// CHECK-NEXT: %[[D:.+]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK-NEXT: %[[S:.+]] = arith.divf %[[ONE]], %[[D]] : f32
// CHECK-NEXT: %[[GS:.+]] = arith.mulf %[[A]], %[[S]] : f32
// CHECK-NEXT: %[[R:.+]] = arith.mulf %[[GS]], %[[B]] : f32
// CHECK-NEXT: kestrel.yield %[[R]] : f32
// CHECK-NEXT: } -> tensor<?x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @silu_times_up(%g: tensor<?x64xf32>, %u: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = kestrel.sigmoid %g : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %a = kestrel.mul %g, %s : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %y = kestrel.mul %a, %u : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// GPT-2's tanh GELU written out: the scalar constants move into the body,
// x^3 becomes two multiplies, and only x is an input.
// CHECK-LABEL: func.func @gelu_tanh_written_out(
// CHECK: kestrel.fused_elementwise ins(%{{.+}} : tensor<2x8xf32>) {
// CHECK-NOT: math.powf
// CHECK: math.tanh
// CHECK: kestrel.yield
// CHECK-NOT: kestrel.mul
// CHECK-NOT: kestrel.add
func.func @gelu_tanh_written_out(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %half = kestrel.constant dense<0.5> : tensor<f32>
  %three = kestrel.constant dense<3.0> : tensor<f32>
  %c = kestrel.constant dense<0.044715> : tensor<f32>
  %k = kestrel.constant dense<0.797884583> : tensor<f32>
  %one = kestrel.constant dense<1.0> : tensor<f32>
  %h = kestrel.mul %x, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %p = kestrel.pow %x, %three : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %cp = kestrel.mul %p, %c : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %s = kestrel.add %x, %cp : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %ks = kestrel.mul %s, %k : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %t = kestrel.tanh %ks : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %t1 = kestrel.add %t, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %y = kestrel.mul %h, %t1 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// A mask built in the graph: a comparison feeding a where, then an add.
// The i1 stays inside the body; the bias broadcasts as an input.
// CHECK-LABEL: func.func @compare_where_add(
// CHECK-SAME: %[[X:[^:]+]]: tensor<4x8xf32>, %[[B:[^:]+]]: tensor<8xf32>
// CHECK: kestrel.fused_elementwise ins(%[[X]], %[[B]] : tensor<4x8xf32>, tensor<8xf32>) {
// CHECK: %[[C:.+]] = arith.cmpf ogt
// CHECK: arith.select %[[C]]
// CHECK: arith.addf
// CHECK-NOT: kestrel.where
func.func @compare_where_add(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %zero = kestrel.constant dense<0.0> : tensor<f32>
  %c = kestrel.greater %x, %zero : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi1>
  %w = kestrel.where %c, %x, %zero : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %y = kestrel.add %w, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A bf16 chain with casts: the body keeps bf16 where the tensors are bf16,
// and the cast to f32 becomes an extf.
// CHECK-LABEL: func.func @bf16_cast(
// CHECK: kestrel.fused_elementwise ins(%{{.+}}, %{{.+}} : tensor<8xbf16>, tensor<8xbf16>) {
// CHECK-NEXT: ^bb0(%[[A:.+]]: bf16, %[[B:.+]]: bf16):
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[A]], %[[B]] : bf16
// CHECK-NEXT: %[[E:.+]] = arith.extf %[[S]] : bf16 to f32
// CHECK-NEXT: %[[X:.+]] = math.exp %[[E]] : f32
// CHECK-NEXT: kestrel.yield %[[X]] : f32
// CHECK-NEXT: } -> tensor<8xf32>
func.func @bf16_cast(%a: tensor<8xbf16>, %b: tensor<8xbf16>) -> tensor<8xf32> {
  %s = kestrel.add %a, %b : (tensor<8xbf16>, tensor<8xbf16>) -> tensor<8xbf16>
  %f = kestrel.cast %s : (tensor<8xbf16>) -> tensor<8xf32>
  %e = kestrel.exp %f : (tensor<8xf32>) -> tensor<8xf32>
  return %e : tensor<8xf32>
}

// -----

// Not fused into one: %s has a user outside the chain (it is returned), so
// it stays materialized; the two ops after it form their own group.
// CHECK-LABEL: func.func @shared_producer(
// CHECK: %[[S:.+]] = kestrel.add
// CHECK: %[[Y:.+]] = kestrel.fused_elementwise ins(%[[S]] : tensor<8xf32>)
// CHECK: math.exp
// CHECK: math.tanh
// CHECK: return %[[S]], %[[Y]]
func.func @shared_producer(%a: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %s = kestrel.add %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %e = kestrel.exp %s : (tensor<8xf32>) -> tensor<8xf32>
  %t = kestrel.tanh %e : (tensor<8xf32>) -> tensor<8xf32>
  return %s, %t : tensor<8xf32>, tensor<8xf32>
}

// -----

// Not fused: the producer is smaller than the consumer (a [8] bias computed
// from two vectors, then broadcast over [4, 8]); fusing would recompute it
// for every row. The add of the vectors stays, the consumer alone is left
// as it is (a group of one).
// CHECK-LABEL: func.func @no_broadcast_recompute(
// CHECK: kestrel.add %{{.+}}, %{{.+}} : (tensor<8xf32>, tensor<8xf32>)
// CHECK: kestrel.mul %{{.+}}, %{{.+}} : (tensor<4x8xf32>, tensor<8xf32>)
// CHECK-NOT: kestrel.fused_elementwise
func.func @no_broadcast_recompute(%x: tensor<4x8xf32>, %a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %s = kestrel.add %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = kestrel.mul %x, %s : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Not fused: integer arithmetic (shape computations run on the host) and a
// lone op.
// CHECK-LABEL: func.func @integers_and_singles(
// CHECK: kestrel.add %{{.+}} : (tensor<2xi64>, tensor<2xi64>)
// CHECK: kestrel.mul %{{.+}} : (tensor<2xi64>, tensor<2xi64>)
// CHECK: kestrel.exp
// CHECK-NOT: kestrel.fused_elementwise
func.func @integers_and_singles(%a: tensor<2xi64>, %x: tensor<8xf32>) -> (tensor<2xi64>, tensor<8xf32>) {
  %s = kestrel.add %a, %a : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %m = kestrel.mul %s, %a : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %e = kestrel.exp %x : (tensor<8xf32>) -> tensor<8xf32>
  return %m, %e : tensor<2xi64>, tensor<8xf32>
}

// -----

// Not inlined: a one-element constant that widens the op it feeds (rank 3
// against rank 1) stays an input, so the result keeps its rank.
// CHECK-LABEL: func.func @widening_constant(
// CHECK: %[[C:.+]] = kestrel.constant dense<2.000000e+00> : tensor<1x1x1xf32>
// CHECK: kestrel.fused_elementwise ins(%{{.+}}, %[[C]] : tensor<8xf32>, tensor<1x1x1xf32>)
// CHECK: } -> tensor<1x1x8xf32>
func.func @widening_constant(%x: tensor<8xf32>) -> tensor<1x1x8xf32> {
  %c = kestrel.constant dense<2.0> : tensor<1x1x1xf32>
  %m = kestrel.mul %x, %c : (tensor<8xf32>, tensor<1x1x1xf32>) -> tensor<1x1x8xf32>
  %y = kestrel.exp %m : (tensor<1x1x8xf32>) -> tensor<1x1x8xf32>
  return %y : tensor<1x1x8xf32>
}

// -----

// Not fused: the chain reads only one-element constants (they would all
// move into the body, leaving a fused op without inputs).
// CHECK-LABEL: func.func @constants_only(
// CHECK: kestrel.sqrt
// CHECK: kestrel.exp
// CHECK-NOT: kestrel.fused_elementwise
func.func @constants_only() -> tensor<f32> {
  %c = kestrel.constant dense<2.0> : tensor<f32>
  %d = kestrel.constant dense<3.0> : tensor<f32>
  %s = kestrel.add %c, %d : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %q = kestrel.sqrt %s : (tensor<f32>) -> tensor<f32>
  %e = kestrel.exp %q : (tensor<f32>) -> tensor<f32>
  return %e : tensor<f32>
}
