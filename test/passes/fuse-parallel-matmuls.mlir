// RUN: kestrel-opt %s -kestrel-fuse-parallel-matmuls -split-input-file | FileCheck %s
// RUN: kestrel-opt %s -kestrel-fuse-parallel-matmuls=report=true -split-input-file -verify-diagnostics -o /dev/null

// Attention's Q, K and V projections of one normalized input (GQA widths):
// one GEMM with a result per projection, at the first projection, whose
// users read the matching result.
// CHECK-LABEL: func.func @qkv(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x64xf32>
// CHECK: %[[WQ:.+]] = kestrel.weight "q"
// CHECK: %[[WK:.+]] = kestrel.weight "k"
// CHECK: %[[WV:.+]] = kestrel.weight "v"
// CHECK-NEXT: %[[R:.+]]:3 = kestrel.multi_matmul %[[X]], %[[WQ]], %[[WK]], %[[WV]] : (tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<64x16xf32>, tensor<64x16xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>)
// CHECK-NEXT: %[[E:.+]] = kestrel.exp %[[R]]#0
// CHECK-NEXT: return %[[E]], %[[R]]#1, %[[R]]#2
func.func @qkv(%x: tensor<?x?x64xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) {
  %wq = kestrel.weight "q" : tensor<64x64xf32>
  // expected-remark @+1 {{3 matmuls of one input fused into one GEMM}}
  %q = kestrel.matmul %x, %wq : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %e = kestrel.exp %q : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %wk = kestrel.weight "k" : tensor<64x16xf32>
  %k = kestrel.matmul %x, %wk : (tensor<?x?x64xf32>, tensor<64x16xf32>) -> tensor<?x?x16xf32>
  %wv = kestrel.weight "v" : tensor<64x16xf32>
  %v = kestrel.matmul %x, %wv : (tensor<?x?x64xf32>, tensor<64x16xf32>) -> tensor<?x?x16xf32>
  return %e, %k, %v : tensor<?x?x64xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>
}

// -----

// Projections with biases (Qwen2's Q, K, V), nn.Linear's [N, K] weights:
// the biases go along, one per weight.
// CHECK-LABEL: func.func @biases_transposed(
// CHECK: kestrel.multi_matmul %{{.+}}, %{{.+}}, %{{.+}} biases %{{.+}}, %{{.+}} {transpose_b = true} : (tensor<4x32xf32>, tensor<32x32xf32>, tensor<8x32xf32>, tensor<32xf32>, tensor<8xf32>) -> (tensor<4x32xf32>, tensor<4x8xf32>)
// CHECK-NOT: kestrel.fused_matmul
func.func @biases_transposed(%x: tensor<4x32xf32>) -> (tensor<4x32xf32>, tensor<4x8xf32>) {
  %wq = kestrel.weight "q" : tensor<32x32xf32>
  %bq = kestrel.weight "bq" : tensor<32xf32>
  %wk = kestrel.weight "k" : tensor<8x32xf32>
  %bk = kestrel.weight "bk" : tensor<8xf32>
  // expected-remark @+1 {{2 matmuls of one input fused into one GEMM}}
  %q = kestrel.fused_matmul %x, %wq bias %bq {transpose_b = true} : (tensor<4x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<4x32xf32>
  %k = kestrel.fused_matmul %x, %wk bias %bk {transpose_b = true} : (tensor<4x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %q, %k : tensor<4x32xf32>, tensor<4x8xf32>
}

// -----

// The SwiGLU MLP: silu(x·Wg) * (x·Wu) is one GEMM with a gated epilogue;
// the mul is gone.
// CHECK-LABEL: func.func @swiglu(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x64xf32>
// CHECK: %[[G:.+]] = kestrel.multi_matmul %[[X]], %{{.+}}, %{{.+}} {activation = "silu", glu = true} : (tensor<?x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
// CHECK-NOT: kestrel.mul
// CHECK: return %[[G]]
func.func @swiglu(%x: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %wg = kestrel.weight "gate" : tensor<64x128xf32>
  %wu = kestrel.weight "up" : tensor<64x128xf32>
  %u = kestrel.matmul %x, %wu : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  // expected-remark @+1 {{gate and up matmuls fused into one GEMM with a SwiGLU epilogue}}
  %g = kestrel.fused_matmul %x, %wg {activation = "silu"} : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  %y = kestrel.mul %u, %g : (tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// GeGLU (Gemma: tanh GELU on the gate) next to projections of another
// input: only the pair merges.
// CHECK-LABEL: func.func @geglu(
// CHECK: kestrel.multi_matmul %{{.+}}, %{{.+}}, %{{.+}} {activation = "gelu_tanh", glu = true}
// CHECK: kestrel.matmul %{{.+}}, %{{.+}} :
func.func @geglu(%x: tensor<?x64xf32>, %z: tensor<?x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  %wg = kestrel.weight "gate" : tensor<64x128xf32>
  %wu = kestrel.weight "up" : tensor<64x128xf32>
  // expected-remark @+1 {{gate and up matmuls fused into one GEMM with a GeGLU epilogue}}
  %g = kestrel.fused_matmul %x, %wg {activation = "gelu_tanh"} : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  %u = kestrel.matmul %x, %wu : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  %y = kestrel.mul %g, %u : (tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x128xf32>
  %o = kestrel.matmul %z, %wu : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  return %y, %o : tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// Near misses, left as they are: a gate read elsewhere too (the pair is
// not a GLU, and the two epilogues differ), a residual (an epilogue a
// multi_matmul does not take), a rhs that is not a weight, a transposed
// lhs, and biases on one projection only.
// CHECK-LABEL: func.func @near_misses(
// CHECK-NOT: kestrel.multi_matmul
// CHECK: return
func.func @near_misses(%x: tensor<8x64xf32>, %r: tensor<8x16xf32>, %m: tensor<64x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<64x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) {
  %w1 = kestrel.weight "w1" : tensor<64x16xf32>
  %w2 = kestrel.weight "w2" : tensor<64x16xf32>
  %w3 = kestrel.weight "w3" : tensor<8x16xf32>
  %b = kestrel.weight "b" : tensor<16xf32>
  %g = kestrel.fused_matmul %x, %w1 {activation = "silu"} : (tensor<8x64xf32>, tensor<64x16xf32>) -> tensor<8x16xf32>
  %u = kestrel.fused_matmul %x, %w2 residual %r : (tensor<8x64xf32>, tensor<64x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %y = kestrel.mul %g, %u : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %n = kestrel.matmul %x, %m : (tensor<8x64xf32>, tensor<64x16xf32>) -> tensor<8x16xf32>
  %t = kestrel.matmul %x, %w3 {transpose_a = true} : (tensor<8x64xf32>, tensor<8x16xf32>) -> tensor<64x16xf32>
  %p = kestrel.fused_matmul %x, %w1 bias %b : (tensor<8x64xf32>, tensor<64x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  %q = kestrel.matmul %x, %w2 : (tensor<8x64xf32>, tensor<64x16xf32>) -> tensor<8x16xf32>
  return %g, %u, %y, %n, %r, %t, %p, %q : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<64x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>
}
