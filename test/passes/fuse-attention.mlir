// RUN: kestrel-opt %s -split-input-file -verify-diagnostics \
// RUN:   -pass-pipeline='builtin.module(func.func(kestrel-fuse-attention{report=true}),canonicalize)' \
// RUN:   | FileCheck %s

// The TorchScript form: kᵀ by transpose, the scale on the scores.
// CHECK-LABEL: func.func @scores_scaled(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<?x4x?x16xf32>, %[[K:[^:]+]]: tensor<?x4x?x16xf32>, %[[V:[^:]+]]: tensor<?x4x?x16xf32>
// CHECK-NEXT: %[[O:.+]] = kestrel.attention %[[Q]], %[[K]], %[[V]] {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 2.500000e-01 : f32}
// CHECK-NEXT: return %[[O]]
func.func @scores_scaled(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %c = kestrel.constant dense<0.25> : tensor<f32>
  %kt = kestrel.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x16xf32>) -> tensor<?x4x16x?xf32>
  %s = kestrel.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %t = kestrel.mul %s, %c : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  // expected-remark @below {{attention fused}}
  %p = kestrel.softmax %t {axis = 3 : i64} : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %o = kestrel.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// Division by sqrt(d), then torch's causal mask: where(j <= i, 0, finfo.min)
// over two views of one arange, expanded to the batch. It becomes causal.
// CHECK-LABEL: func.func @div_scale_causal(
// CHECK: kestrel.attention %{{.+}}, %{{.+}}, %{{.+}} {causal = true, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f32}
// CHECK-NOT: kestrel.where
// CHECK-NOT: kestrel.range
func.func @div_scale_causal(%q: tensor<1x2x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x64xf32>, %n: tensor<i64>) -> tensor<1x2x?x64xf32> {
  %zero = kestrel.constant dense<0> : tensor<i64>
  %one = kestrel.constant dense<1> : tensor<i64>
  %d = kestrel.constant dense<8.0> : tensor<f32>
  %fzero = kestrel.constant dense<0.0> : tensor<f32>
  %min = kestrel.constant dense<-3.40282347E+38> : tensor<f32>
  %r = kestrel.range %zero, %n, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %row = kestrel.reshape %r : (tensor<?xi64>) -> tensor<1x1x?x1xi64>
  %col = kestrel.reshape %r : (tensor<?xi64>) -> tensor<1x1x1x?xi64>
  %keep = kestrel.less_equal %col, %row : (tensor<1x1x1x?xi64>, tensor<1x1x?x1xi64>) -> tensor<1x1x?x?xi1>
  %mask = kestrel.where %keep, %fzero, %min : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x?x?xf32>
  %kt = kestrel.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x2x?x64xf32>) -> tensor<1x2x64x?xf32>
  %s = kestrel.matmul %q, %kt : (tensor<1x2x?x64xf32>, tensor<1x2x64x?xf32>) -> tensor<1x2x?x?xf32>
  %t = kestrel.div %s, %d : (tensor<1x2x?x?xf32>, tensor<f32>) -> tensor<1x2x?x?xf32>
  %m = kestrel.add %t, %mask : (tensor<1x2x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x?xf32>
  // expected-remark @below {{attention fused (causal)}}
  %p = kestrel.softmax %m {axis = 3 : i64} : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  %o = kestrel.matmul %p, %v : (tensor<1x2x?x?xf32>, tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32>
  return %o : tensor<1x2x?x64xf32>
}

// -----

// The dynamo form: sqrt(sqrt(d)) on q and on kᵀ, kᵀ through a rank-3
// reshape/transpose/reshape whose shapes read k's own, GQA's repeat-kv on k
// and v (2 kv heads for 4 query heads), and the NaN guard after the softmax.
// CHECK-LABEL: func.func @dynamo_gqa(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<?x4x?x16xf32>, %[[K:[^:]+]]: tensor<?x2x?x16xf32>, %[[V:[^:]+]]: tensor<?x2x?x16xf32>
// CHECK: %[[O:.+]] = kestrel.attention %[[Q]], %[[K]], %[[V]] {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32}
// CHECK-NEXT: return %[[O]]
func.func @dynamo_gqa(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %half = kestrel.constant dense<0.5> : tensor<f32>
  %fzero = kestrel.constant dense<0.0> : tensor<f32>
  %minus1 = kestrel.constant dense<-1> : tensor<1xi64>
  %i0 = kestrel.constant dense<0> : tensor<1xi64>
  %i2 = kestrel.constant dense<2> : tensor<1xi64>
  %i1 = kestrel.constant dense<1> : tensor<1xi64>
  %i4 = kestrel.constant dense<4> : tensor<1xi64>
  %i16 = kestrel.constant dense<16> : tensor<1xi64>
  // repeat_kv(k), repeat_kv(v)
  %ks = kestrel.shape_of %k : (tensor<?x2x?x16xf32>) -> tensor<4xi64>
  %kb = kestrel.gather %ks, %i0 {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %kn = kestrel.gather %ks, %i2 {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s5 = kestrel.concat %kb, %i2, %i1, %kn, %i16 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
  %e5 = kestrel.concat %kb, %i2, %i2, %kn, %i16 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
  %m4 = kestrel.concat %kb, %i4, %kn, %i16 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %k5 = kestrel.reshape %k, %s5 : (tensor<?x2x?x16xf32>, tensor<5xi64>) -> tensor<?x2x1x?x16xf32>
  %kx = kestrel.expand %k5, %e5 : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %kr = kestrel.reshape %kx, %m4 : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %v5 = kestrel.reshape %v, %s5 : (tensor<?x2x?x16xf32>, tensor<5xi64>) -> tensor<?x2x1x?x16xf32>
  %vx = kestrel.expand %v5, %e5 : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %vr = kestrel.reshape %vx, %m4 : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  // kᵀ through rank 3
  %sh = kestrel.shape_of %kr : (tensor<?x4x?x16xf32>) -> tensor<4xi64>
  %last = kestrel.slice %sh {ends = array<i64: 9223372036854775807>, starts = array<i64: -1>, steps = array<i64: 1>} : (tensor<4xi64>) -> tensor<1xi64>
  %prev = kestrel.slice %sh {ends = array<i64: -1>, starts = array<i64: -2>, steps = array<i64: 1>} : (tensor<4xi64>) -> tensor<1xi64>
  %lead = kestrel.slice %sh {ends = array<i64: -2>, starts = array<i64: -9223372036854775808>, steps = array<i64: 1>} : (tensor<4xi64>) -> tensor<2xi64>
  %s3 = kestrel.concat %minus1, %prev, %last {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %k3 = kestrel.reshape %kr, %s3 : (tensor<?x4x?x16xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %k3t = kestrel.transpose %k3 {permutation = array<i64: 0, 2, 1>} : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %st = kestrel.concat %lead, %last, %prev {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %kt = kestrel.reshape %k3t, %st : (tensor<?x?x?xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %qs = kestrel.mul %q, %half : (tensor<?x4x?x16xf32>, tensor<f32>) -> tensor<?x4x?x16xf32>
  %kts = kestrel.mul %kt, %half : (tensor<?x?x?x?xf32>, tensor<f32>) -> tensor<?x?x?x?xf32>
  %s = kestrel.matmul %qs, %kts : (tensor<?x4x?x16xf32>, tensor<?x?x?x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-remark @below {{attention fused}}
  %p = kestrel.softmax %s {axis = 3 : i64} : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %nan = kestrel.not_equal %p, %p : (tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xi1>
  %g = kestrel.where %nan, %fzero, %p : (tensor<?x4x?x?xi1>, tensor<f32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %o = kestrel.matmul %g, %vr : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// A padding mask stays a mask operand; kᵀ through matmul's transpose_b.
// CHECK-LABEL: func.func @padding_mask_transpose_b(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<2x4x8x16xf32>, %[[K:[^:]+]]: tensor<2x4x8x16xf32>, %[[V:[^:]+]]: tensor<2x4x8x16xf32>, %[[M:[^:]+]]: tensor<2x1x1x8xf32>
// CHECK: kestrel.attention %[[Q]], %[[K]], %[[V]], %[[M]] {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 2.500000e-01 : f32}
func.func @padding_mask_transpose_b(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>, %mask: tensor<2x1x1x8xf32>) -> tensor<2x4x8x16xf32> {
  %c = kestrel.constant dense<0.25> : tensor<f32>
  %s = kestrel.matmul %q, %k {transpose_b = true} : (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x8xf32>
  %t = kestrel.mul %c, %s : (tensor<f32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %m = kestrel.add %mask, %t : (tensor<2x1x1x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  // expected-remark @below {{attention fused (with mask)}}
  %p = kestrel.softmax %m {axis = 3 : i64} : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = kestrel.matmul %p, %v : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// GPT-2's TorchScript form: where(keep, s, finfo.min) with a boolean mask
// that is not causal: the mask becomes the i1 mask operand.
// CHECK-LABEL: func.func @where_bool_mask(
// CHECK-SAME: %[[KEEP:[^:]+]]: tensor<1x1x8x8xi1>
// CHECK: kestrel.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[KEEP]] {num_heads
func.func @where_bool_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %keep: tensor<1x1x8x8xi1>) -> tensor<1x2x8x16xf32> {
  %min = kestrel.constant dense<-3.40282347E+38> : tensor<f32>
  %kt = kestrel.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x2x8x16xf32>) -> tensor<1x2x16x8xf32>
  %s = kestrel.matmul %q, %kt : (tensor<1x2x8x16xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x8x8xf32>
  %w = kestrel.where %keep, %s, %min : (tensor<1x1x8x8xi1>, tensor<1x2x8x8xf32>, tensor<f32>) -> tensor<1x2x8x8xf32>
  // expected-remark @below {{attention fused (with mask)}}
  %p = kestrel.softmax %w {axis = 3 : i64} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = kestrel.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A constant lower-triangular mask of -inf is causal; the head counts are
// not in the types, so the fused op leaves them to the run-time shapes.
// CHECK-LABEL: func.func @constant_causal_dynamic_heads(
// CHECK: kestrel.attention %{{.+}}, %{{.+}}, %{{.+}} {causal = true, scale = 2.500000e-01 : f32} : (tensor<?x?x4x16xf32>
func.func @constant_causal_dynamic_heads(%q: tensor<?x?x4x16xf32>, %k: tensor<?x?x4x16xf32>, %v: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  %c = kestrel.constant dense<0.25> : tensor<f32>
  %tri = kestrel.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %kt = kestrel.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x?x4x16xf32>) -> tensor<?x?x16x4xf32>
  %s = kestrel.matmul %q, %kt : (tensor<?x?x4x16xf32>, tensor<?x?x16x4xf32>) -> tensor<?x?x4x4xf32>
  %t = kestrel.mul %s, %c : (tensor<?x?x4x4xf32>, tensor<f32>) -> tensor<?x?x4x4xf32>
  %m = kestrel.add %t, %tri : (tensor<?x?x4x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4x4xf32>
  // expected-remark @below {{attention fused (causal)}}
  %p = kestrel.softmax %m {axis = 3 : i64} : (tensor<?x?x4x4xf32>) -> tensor<?x?x4x4xf32>
  %o = kestrel.matmul %p, %v : (tensor<?x?x4x4xf32>, tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  return %o : tensor<?x?x4x16xf32>
}

// -----

// Not attention: a router's softmax over experts (rank 2).
// CHECK-LABEL: func.func @router(
// CHECK: kestrel.softmax
func.func @router(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-remark @below {{attention not fused: the softmax is not over the last dim of a rank-4 tensor}}
  %p = kestrel.softmax %x {axis = 1 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %p : tensor<?x8xf32>
}

// -----

// Not fused: the probabilities are returned too (fusing would keep the S×S
// matrix anyway).
// CHECK-LABEL: func.func @probs_escape(
// CHECK-NOT: kestrel.attention
func.func @probs_escape(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %s = kestrel.matmul %q, %k {transpose_b = true} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  // expected-remark @below {{attention not fused: the probabilities have users other than one matmul}}
  %p = kestrel.softmax %s {axis = 3 : i64} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = kestrel.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o, %p : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}

// -----

// Not fused: the mask is added before the scale, softmax((s + m) * c); the
// fused op scales the scores only.
// CHECK-LABEL: func.func @mask_then_scale(
// CHECK-NOT: kestrel.attention
func.func @mask_then_scale(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %mask: tensor<1x1x8x8xf32>) -> tensor<1x2x8x16xf32> {
  %c = kestrel.constant dense<0.25> : tensor<f32>
  %s = kestrel.matmul %q, %k {transpose_b = true} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %m = kestrel.add %s, %mask : (tensor<1x2x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x2x8x8xf32>
  %t = kestrel.mul %m, %c : (tensor<1x2x8x8xf32>, tensor<f32>) -> tensor<1x2x8x8xf32>
  // expected-remark @below {{attention not fused: the softmax input is not a (scaled, masked) matmul}}
  %p = kestrel.softmax %t {axis = 3 : i64} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = kestrel.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Not fused: k is transposed over the wrong dims (heads with sequence).
// CHECK-LABEL: func.func @wrong_transpose(
// CHECK-NOT: kestrel.attention
func.func @wrong_transpose(%q: tensor<1x8x8x8xf32>, %k: tensor<1x8x8x8xf32>, %v: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %kt = kestrel.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %s = kestrel.matmul %q, %kt : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  // expected-remark @below {{attention not fused: the matmul's rhs is not a transposed key}}
  %p = kestrel.softmax %s {axis = 3 : i64} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %o = kestrel.matmul %p, %v : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %o : tensor<1x8x8x8xf32>
}

// -----

// Not fused: a negative scale (the fused kernels take a positive one).
// CHECK-LABEL: func.func @negative_scale(
// CHECK-NOT: kestrel.attention
func.func @negative_scale(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %c = kestrel.constant dense<-0.25> : tensor<f32>
  %s = kestrel.matmul %q, %k {transpose_b = true} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %t = kestrel.mul %s, %c : (tensor<1x2x8x8xf32>, tensor<f32>) -> tensor<1x2x8x8xf32>
  // expected-remark @below {{attention not fused: the combined scale is not positive and finite}}
  %p = kestrel.softmax %t {axis = 3 : i64} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = kestrel.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Not fused: a where on the scores that is not a -inf mask.
// CHECK-LABEL: func.func @where_not_mask(
// CHECK-NOT: kestrel.attention
func.func @where_not_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %c: tensor<1x1x8x8xi1>) -> tensor<1x2x8x16xf32> {
  %z = kestrel.constant dense<1.0> : tensor<f32>
  %s = kestrel.matmul %q, %k {transpose_b = true} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %w = kestrel.where %c, %s, %z : (tensor<1x1x8x8xi1>, tensor<1x2x8x8xf32>, tensor<f32>) -> tensor<1x2x8x8xf32>
  // expected-remark @below {{attention not fused: a where on the scores is not a mask of -inf}}
  %p = kestrel.softmax %w {axis = 3 : i64} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = kestrel.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// GPT-J's TorchScript form: kᵀ straight from the [B, S, H, D] projection
// with one transpose [0, 2, 3, 1]. The fused op gets k as [B, H, S, D].
// CHECK-LABEL: func.func @key_from_bshd(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<2x8x4x16xf32>, %[[K:[^:]+]]: tensor<2x8x4x16xf32>, %[[V:[^:]+]]: tensor<2x8x4x16xf32>
// CHECK-DAG: %[[QT:.+]] = kestrel.transpose %[[Q]] {permutation = array<i64: 0, 2, 1, 3>}
// CHECK-DAG: %[[KT:.+]] = kestrel.transpose %[[K]] {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
// CHECK-DAG: %[[VT:.+]] = kestrel.transpose %[[V]] {permutation = array<i64: 0, 2, 1, 3>}
// CHECK: kestrel.attention %[[QT]], %[[KT]], %[[VT]] {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 2.500000e-01 : f32}
func.func @key_from_bshd(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32> {
  %c = kestrel.constant dense<0.25> : tensor<f32>
  %qt = kestrel.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
  %kt = kestrel.transpose %k {permutation = array<i64: 0, 2, 3, 1>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x16x8xf32>
  %vt = kestrel.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
  %s = kestrel.matmul %qt, %kt : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %ss = kestrel.mul %s, %c : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  // expected-remark @below {{attention fused}}
  %p = kestrel.softmax %ss {axis = 3 : i64} : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = kestrel.matmul %p, %vt : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// repeat_interleave(k, 2, dim=1) as the TorchScript exporter writes it and
// the importer turns its Tile into: two reshapes to [B, KvH, 1, 1, S, D],
// an expand of the first unit dim, two reshapes back. It is repeat-kv: the
// fused op reads the two kv heads themselves.
// CHECK-LABEL: func.func @repeat_interleave_kv(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<1x4x5x16xf32>, %[[K:[^:]+]]: tensor<1x2x5x16xf32>
// CHECK: kestrel.attention %[[Q]], %[[K]], %[[K]] {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32}
func.func @repeat_interleave_kv(%q: tensor<1x4x5x16xf32>, %k: tensor<1x2x5x16xf32>) -> tensor<1x4x5x16xf32> {
  %c = kestrel.constant dense<0.25> : tensor<f32>
  %r = kestrel.constant dense<[1, 1, 2, 1, 1, 1]> : tensor<6xi64>
  %u5 = kestrel.reshape %k : (tensor<1x2x5x16xf32>) -> tensor<1x2x1x5x16xf32>
  %u6 = kestrel.reshape %u5 : (tensor<1x2x1x5x16xf32>) -> tensor<1x2x1x1x5x16xf32>
  %e = kestrel.expand %u6, %r : (tensor<1x2x1x1x5x16xf32>, tensor<6xi64>) -> tensor<1x2x2x1x5x16xf32>
  %t5 = kestrel.reshape %e : (tensor<1x2x2x1x5x16xf32>) -> tensor<1x2x2x5x16xf32>
  %kk = kestrel.reshape %t5 : (tensor<1x2x2x5x16xf32>) -> tensor<1x4x5x16xf32>
  %kt = kestrel.transpose %kk {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x4x5x16xf32>) -> tensor<1x4x16x5xf32>
  %s = kestrel.matmul %q, %kt : (tensor<1x4x5x16xf32>, tensor<1x4x16x5xf32>) -> tensor<1x4x5x5xf32>
  %ss = kestrel.mul %s, %c : (tensor<1x4x5x5xf32>, tensor<f32>) -> tensor<1x4x5x5xf32>
  // expected-remark @below {{attention fused}}
  %p = kestrel.softmax %ss {axis = 3 : i64} : (tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
  %o = kestrel.matmul %p, %kk : (tensor<1x4x5x5xf32>, tensor<1x4x5x16xf32>) -> tensor<1x4x5x16xf32>
  return %o : tensor<1x4x5x16xf32>
}
