// RUN: kestrel-opt %s -kestrel-fold-transposes -split-input-file | FileCheck %s
// RUN: kestrel-opt %s -kestrel-fold-transposes=report=true -split-input-file -verify-diagnostics -o /dev/null

// A Llama layer's attention as the exporters leave it: the projections
// reshaped to [B, S, H, D], moved to [B, H, S, D], rotated, attended and
// moved back. The transposes pass through the ropes (cos and sin turn from
// [1, 1, S, D/2] into [1, S, 1, D/2] by a reshape) and fold into attention's
// bshd layout; none is left.
// CHECK-LABEL: func.func @llama_attention(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<?x?x4x8xf32>, %[[K:[^:]+]]: tensor<?x?x2x8xf32>, %[[V:[^:]+]]: tensor<?x?x2x8xf32>, %[[COS:[^:]+]]: tensor<1x1x?x4xf32>, %[[SIN:[^:]+]]: tensor<1x1x?x4xf32>
// CHECK-NOT: kestrel.transpose
// CHECK-DAG: %[[C:.+]] = kestrel.reshape %[[COS]] : (tensor<1x1x?x4xf32>) -> tensor<1x?x1x4xf32>
// CHECK-DAG: %[[S:.+]] = kestrel.reshape %[[SIN]] : (tensor<1x1x?x4xf32>) -> tensor<1x?x1x4xf32>
// CHECK-DAG: %[[RQ:.+]] = kestrel.rope %[[Q]], %[[C]], %[[S]] : (tensor<?x?x4x8xf32>, tensor<1x?x1x4xf32>, tensor<1x?x1x4xf32>) -> tensor<?x?x4x8xf32>
// CHECK-DAG: %[[RK:.+]] = kestrel.rope %[[K]], %{{.+}}, %{{.+}} : (tensor<?x?x2x8xf32>, tensor<1x?x1x4xf32>, tensor<1x?x1x4xf32>) -> tensor<?x?x2x8xf32>
// CHECK: %[[O:.+]] = kestrel.attention %[[RQ]], %[[RK]], %[[V]] {causal = true, layout = "bshd", num_heads = 4 : i64, num_kv_heads = 2 : i64} : (tensor<?x?x4x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x4x8xf32>
// CHECK-NOT: kestrel.transpose
// CHECK: return %[[O]]
func.func @llama_attention(%q: tensor<?x?x4x8xf32>, %k: tensor<?x?x2x8xf32>, %v: tensor<?x?x2x8xf32>, %cos: tensor<1x1x?x4xf32>, %sin: tensor<1x1x?x4xf32>) -> tensor<?x?x4x8xf32> {
  %qt = kestrel.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
  %kt = kestrel.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x2x8xf32>) -> tensor<?x2x?x8xf32>
  %vt = kestrel.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x2x8xf32>) -> tensor<?x2x?x8xf32>
  %qr = kestrel.rope %qt, %cos, %sin : (tensor<?x4x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<?x4x?x8xf32>
  %kr = kestrel.rope %kt, %cos, %sin : (tensor<?x2x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<?x2x?x8xf32>
  // expected-remark @+1 {{attention in the bshd layout: 4 transposes removed}}
  %o = kestrel.attention %qr, %kr, %vt {causal = true, num_heads = 4 : i64, num_kv_heads = 2 : i64} : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32>
  %ot = kestrel.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x8xf32>) -> tensor<?x?x4x8xf32>
  return %ot : tensor<?x?x4x8xf32>
}

// -----

// The decode form's key is also a present output: its transpose stays for
// that user, and attention's output, read as it is, gets a transpose back.
// Two of the four go (query's and value's), one comes: still a gain. The
// mask keeps its [B, H, Sq, Skv] broadcast.
// CHECK-LABEL: func.func @shared_key(
// CHECK: %[[KT:.+]] = kestrel.transpose %{{.+}} {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x8xf32>) -> tensor<2x2x5x8xf32>
// CHECK: %[[O:.+]] = kestrel.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {layout = "bshd"} : (tensor<2x5x4x8xf32>, tensor<2x5x2x8xf32>, tensor<2x5x2x8xf32>, tensor<2x1x5x5xf32>) -> tensor<2x5x4x8xf32>
// CHECK: %[[OT:.+]] = kestrel.transpose %[[O]] {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x4x8xf32>) -> tensor<2x4x5x8xf32>
// CHECK: return %[[OT]], %[[KT]]
func.func @shared_key(%q: tensor<2x5x4x8xf32>, %k: tensor<2x5x2x8xf32>, %v: tensor<2x5x2x8xf32>, %m: tensor<2x1x5x5xf32>) -> (tensor<2x4x5x8xf32>, tensor<2x2x5x8xf32>) {
  %qt = kestrel.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x4x8xf32>) -> tensor<2x4x5x8xf32>
  %kt = kestrel.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x8xf32>) -> tensor<2x2x5x8xf32>
  %vt = kestrel.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x8xf32>) -> tensor<2x2x5x8xf32>
  // expected-remark @+1 {{attention in the bshd layout: 1 transpose removed}}
  %o = kestrel.attention %qt, %kt, %vt, %m : (tensor<2x4x5x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x8xf32>, tensor<2x1x5x5xf32>) -> tensor<2x4x5x8xf32>
  return %o, %kt : tensor<2x4x5x8xf32>, tensor<2x2x5x8xf32>
}

// -----

// Near misses: a transpose that moves the rotated dim stays before the
// rope; attention whose value is not transposed keeps the bhsd layout.
// CHECK-LABEL: func.func @near_misses(
// CHECK: kestrel.transpose %{{.+}} {permutation = array<i64: 0, 1, 3, 2>}
// CHECK-NEXT: kestrel.rope
// CHECK: kestrel.attention
// CHECK-NOT: layout
// CHECK: return
func.func @near_misses(%x: tensor<1x2x8x3xf32>, %c: tensor<1x1x3x4xf32>, %q: tensor<1x3x2x8xf32>, %v: tensor<1x2x3x8xf32>) -> (tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) {
  %xt = kestrel.transpose %x {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x2x8x3xf32>) -> tensor<1x2x3x8xf32>
  %r = kestrel.rope %xt, %c, %c : (tensor<1x2x3x8xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>) -> tensor<1x2x3x8xf32>
  %qt = kestrel.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x3x2x8xf32>) -> tensor<1x2x3x8xf32>
  %o = kestrel.attention %qt, %qt, %v : (tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return %r, %o : tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>
}

// -----

// A tied embedding as onnxruntime-genai's builder writes it: rows gathered
// from the transposed LM head weight. The rows come from the weight as
// stored (axis 1) and only they are permuted; the table is not transposed.
// CHECK-LABEL: func.func @gather_transposed_weight(
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<?x?xi64>
// CHECK: %[[W:.+]] = kestrel.weight "lm_head" : tensor<16x50xf32>
// CHECK: %[[G:.+]] = kestrel.gather %[[W]], %[[IDS]] {axis = 1 : i64} : (tensor<16x50xf32>, tensor<?x?xi64>) -> tensor<16x?x?xf32>
// CHECK: %[[T:.+]] = kestrel.transpose %[[G]] {permutation = array<i64: 1, 2, 0>} : (tensor<16x?x?xf32>) -> tensor<?x?x16xf32>
// CHECK: return %[[T]]
func.func @gather_transposed_weight(%ids: tensor<?x?xi64>) -> tensor<?x?x16xf32> {
  %w = kestrel.weight "lm_head" : tensor<16x50xf32>
  %t = kestrel.transpose %w {permutation = array<i64: 1, 0>} : (tensor<16x50xf32>) -> tensor<50x16xf32>
  %e = kestrel.gather %t, %ids {axis = 0 : i64} : (tensor<50x16xf32>, tensor<?x?xi64>) -> tensor<?x?x16xf32>
  return %e : tensor<?x?x16xf32>
}

// -----

// A rank-3 weight permuted [2, 0, 1], gathered along axis 1 (w's dim 0).
// CHECK-LABEL: func.func @gather_transposed_weight_rank3(
// CHECK: %[[G:.+]] = kestrel.gather %{{.+}}, %{{.+}} {axis = 0 : i64} : (tensor<4x5x6xf32>, tensor<3xi64>) -> tensor<3x5x6xf32>
// CHECK: kestrel.transpose %[[G]] {permutation = array<i64: 2, 0, 1>} : (tensor<3x5x6xf32>) -> tensor<6x3x5xf32>
func.func @gather_transposed_weight_rank3(%ids: tensor<3xi64>) -> tensor<6x3x5xf32> {
  %w = kestrel.weight "w" : tensor<4x5x6xf32>
  %t = kestrel.transpose %w {permutation = array<i64: 2, 0, 1>} : (tensor<4x5x6xf32>) -> tensor<6x4x5xf32>
  %e = kestrel.gather %t, %ids {axis = 1 : i64} : (tensor<6x4x5xf32>, tensor<3xi64>) -> tensor<6x3x5xf32>
  return %e : tensor<6x3x5xf32>
}

// -----

// Near misses: a transposed activation (not a weight), and a transposed
// weight something else reads too, keep their transposes.
// CHECK-LABEL: func.func @gather_transposed_near_misses(
// CHECK: kestrel.transpose %arg0
// CHECK: kestrel.gather %{{.+}}, %arg1 {axis = 0 : i64} : (tensor<50x16xf32>
// CHECK: kestrel.transpose %{{.+}} {permutation = array<i64: 1, 0>} : (tensor<16x50xf32>) -> tensor<50x16xf32>
// CHECK: kestrel.gather %{{.+}}, %arg1 {axis = 0 : i64} : (tensor<50x16xf32>
func.func @gather_transposed_near_misses(%x: tensor<16x50xf32>, %ids: tensor<3xi64>) -> (tensor<3x16xf32>, tensor<3x16xf32>, tensor<50x16xf32>) {
  %xt = kestrel.transpose %x {permutation = array<i64: 1, 0>} : (tensor<16x50xf32>) -> tensor<50x16xf32>
  %a = kestrel.gather %xt, %ids {axis = 0 : i64} : (tensor<50x16xf32>, tensor<3xi64>) -> tensor<3x16xf32>
  %w = kestrel.weight "w" : tensor<16x50xf32>
  %wt = kestrel.transpose %w {permutation = array<i64: 1, 0>} : (tensor<16x50xf32>) -> tensor<50x16xf32>
  %b = kestrel.gather %wt, %ids {axis = 0 : i64} : (tensor<50x16xf32>, tensor<3xi64>) -> tensor<3x16xf32>
  return %a, %b, %wt : tensor<3x16xf32>, tensor<3x16xf32>, tensor<50x16xf32>
}
