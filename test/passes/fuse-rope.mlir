// RUN: kestrel-opt %s -kestrel-fuse-rope -split-input-file | FileCheck %s

// The HF rotate-half form: cos and sin of concat(freqs, freqs), reshaped to
// broadcast over heads. It becomes rope on their first halves.
// CHECK-LABEL: func.func @rotate_half(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x4x?x16xf32>
// CHECK-DAG: %[[CH:.+]] = kestrel.slice %[[C:[^ ]+]] {ends = array<i64: 9223372036854775807, 9223372036854775807, 9223372036854775807, 8>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x1x?x16xf32>) -> tensor<1x1x?x8xf32>
// CHECK-DAG: %[[SH:.+]] = kestrel.slice %[[S:[^ ]+]] {ends = array<i64: 9223372036854775807, 9223372036854775807, 9223372036854775807, 8>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x1x?x16xf32>) -> tensor<1x1x?x8xf32>
// CHECK: %[[Y:.+]] = kestrel.rope %[[X]], %[[CH]], %[[SH]] : (tensor<?x4x?x16xf32>, tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x16xf32>
// CHECK: return %[[Y]]
func.func @rotate_half(%x: tensor<?x4x?x16xf32>, %f: tensor<1x?x8xf32>) -> tensor<?x4x?x16xf32> {
  %emb = kestrel.concat %f, %f {axis = 2 : i64} : (tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x16xf32>
  %c3 = kestrel.cos %emb : (tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
  %s3 = kestrel.sin %emb : (tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
  %c = kestrel.reshape %c3 : (tensor<1x?x16xf32>) -> tensor<1x1x?x16xf32>
  %s = kestrel.reshape %s3 : (tensor<1x?x16xf32>) -> tensor<1x1x?x16xf32>
  %lo = kestrel.slice %x {ends = array<i64: 9223372036854775807, 9223372036854775807, 9223372036854775807, 8>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<?x4x?x16xf32>) -> tensor<?x4x?x8xf32>
  %hi = kestrel.slice %x {ends = array<i64: 9223372036854775807, 9223372036854775807, 9223372036854775807, 9223372036854775807>, starts = array<i64: 0, 0, 0, 8>, steps = array<i64: 1, 1, 1, 1>} : (tensor<?x4x?x16xf32>) -> tensor<?x4x?x8xf32>
  %n = kestrel.neg %hi : (tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %r = kestrel.concat %n, %lo {axis = 3 : i64} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x16xf32>
  %a = kestrel.mul %x, %c : (tensor<?x4x?x16xf32>, tensor<1x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %b = kestrel.mul %s, %r : (tensor<1x1x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %y = kestrel.add %b, %a : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Tables given as constants with equal halves (and scaled by a scalar, as
// attention_scaling does) fuse too.
// CHECK-LABEL: func.func @constant_tables(
// CHECK: kestrel.rope
// CHECK-NOT: kestrel.neg
func.func @constant_tables(%x: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %c = kestrel.constant dense<[[1.0, 0.5, 1.0, 0.5], [0.25, 0.75, 0.25, 0.75]]> : tensor<2x4xf32>
  %s = kestrel.constant dense<[[0.0, 0.5, 0.0, 0.5], [0.5, 0.25, 0.5, 0.25]]> : tensor<2x4xf32>
  %k = kestrel.constant dense<2.0> : tensor<f32>
  %cs = kestrel.mul %c, %k : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %lo = kestrel.slice %x {ends = array<i64: 1, 1, 2, 2>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x2x2xf32>
  %hi = kestrel.slice %x {ends = array<i64: 1, 1, 2, 4>, starts = array<i64: 0, 0, 0, -2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x2x2xf32>
  %n = kestrel.neg %hi : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %r = kestrel.concat %n, %lo {axis = 3 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32>
  %a = kestrel.mul %x, %cs : (tensor<1x1x2x4xf32>, tensor<2x4xf32>) -> tensor<1x1x2x4xf32>
  %b = kestrel.mul %r, %s : (tensor<1x1x2x4xf32>, tensor<2x4xf32>) -> tensor<1x1x2x4xf32>
  %y = kestrel.add %a, %b : (tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// Not fused: cos and sin are arguments, so nothing shows their halves are
// equal (the rope op reads only the first half).
// CHECK-LABEL: func.func @unknown_tables(
// CHECK-NOT: kestrel.rope
func.func @unknown_tables(%x: tensor<1x1x2x4xf32>, %c: tensor<2x4xf32>, %s: tensor<2x4xf32>) -> tensor<1x1x2x4xf32> {
  %lo = kestrel.slice %x {ends = array<i64: 1, 1, 2, 2>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x2x2xf32>
  %hi = kestrel.slice %x {ends = array<i64: 1, 1, 2, 4>, starts = array<i64: 0, 0, 0, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x2x2xf32>
  %n = kestrel.neg %hi : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %r = kestrel.concat %n, %lo {axis = 3 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32>
  %a = kestrel.mul %x, %c : (tensor<1x1x2x4xf32>, tensor<2x4xf32>) -> tensor<1x1x2x4xf32>
  %b = kestrel.mul %r, %s : (tensor<1x1x2x4xf32>, tensor<2x4xf32>) -> tensor<1x1x2x4xf32>
  %y = kestrel.add %a, %b : (tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// Not fused: the halves are swapped without the negation (not a rotation).
// CHECK-LABEL: func.func @no_negation(
// CHECK-NOT: kestrel.rope
func.func @no_negation(%x: tensor<1x1x2x4xf32>, %f: tensor<2x2xf32>) -> tensor<1x1x2x4xf32> {
  %emb = kestrel.concat %f, %f {axis = 1 : i64} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x4xf32>
  %c = kestrel.cos %emb : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %s = kestrel.sin %emb : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %lo = kestrel.slice %x {ends = array<i64: 1, 1, 2, 2>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x2x2xf32>
  %hi = kestrel.slice %x {ends = array<i64: 1, 1, 2, 4>, starts = array<i64: 0, 0, 0, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x2x2xf32>
  %r = kestrel.concat %hi, %lo {axis = 3 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32>
  %a = kestrel.mul %x, %c : (tensor<1x1x2x4xf32>, tensor<2x4xf32>) -> tensor<1x1x2x4xf32>
  %b = kestrel.mul %r, %s : (tensor<1x1x2x4xf32>, tensor<2x4xf32>) -> tensor<1x1x2x4xf32>
  %y = kestrel.add %a, %b : (tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// GPT-J's interleaved form as the dynamo export writes it:
// rotate_every_two(x) = flatten(stack(-x[..., 1::2], x[..., ::2])) through
// unsqueezes and a concat, and repeat_interleave(cos/sin, 2) as an expand of
// a unit dim then a flatten. It becomes rope {interleaved} on every other
// table entry.
// CHECK-LABEL: func.func @interleaved(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x4x8xf32>
// CHECK-DAG: %[[CH:.+]] = kestrel.slice %{{.+}} {ends = array<i64: 9223372036854775807, 9223372036854775807, 9223372036854775807, 9223372036854775807>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 2>} : (tensor<1x?x1x8xf32>) -> tensor<1x?x1x4xf32>
// CHECK-DAG: %[[SH:.+]] = kestrel.slice %{{.+}} {{.+}} : (tensor<1x?x1x8xf32>) -> tensor<1x?x1x4xf32>
// CHECK: %[[Y:.+]] = kestrel.rope %[[X]], %[[CH]], %[[SH]] {interleaved = true}
// CHECK: return %[[Y]]
func.func @interleaved(%x: tensor<?x?x4x8xf32>, %sin4: tensor<1x?x4xf32>, %cos4: tensor<1x?x4xf32>) -> tensor<?x?x4x8xf32> {
  %two = kestrel.constant dense<[1, 1, 1, 1, 2]> : tensor<5xi64>
  %unsq = kestrel.constant dense<[0, 0, 0, 4, 1]> : tensor<5xi64>
  %flat = kestrel.constant dense<[0, 0, 0, 8]> : tensor<4xi64>
  %s5 = kestrel.reshape %sin4 : (tensor<1x?x4xf32>) -> tensor<1x?x1x4x1xf32>
  %se = kestrel.expand %s5, %two : (tensor<1x?x1x4x1xf32>, tensor<5xi64>) -> tensor<1x?x1x4x2xf32>
  %sin = kestrel.reshape %se : (tensor<1x?x1x4x2xf32>) -> tensor<1x?x1x8xf32>
  %c5 = kestrel.reshape %cos4 : (tensor<1x?x4xf32>) -> tensor<1x?x1x4x1xf32>
  %ce = kestrel.expand %c5, %two : (tensor<1x?x1x4x1xf32>, tensor<5xi64>) -> tensor<1x?x1x4x2xf32>
  %cos = kestrel.reshape %ce : (tensor<1x?x1x4x2xf32>) -> tensor<1x?x1x8xf32>
  %even = kestrel.slice %x {ends = array<i64: 9223372036854775807, 9223372036854775807, 9223372036854775807, 9223372036854775807>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 2>} : (tensor<?x?x4x8xf32>) -> tensor<?x?x4x4xf32>
  %odd = kestrel.slice %x {ends = array<i64: 9223372036854775807, 9223372036854775807, 9223372036854775807, 9223372036854775807>, starts = array<i64: 0, 0, 0, 1>, steps = array<i64: 1, 1, 1, 2>} : (tensor<?x?x4x8xf32>) -> tensor<?x?x4x4xf32>
  %n = kestrel.neg %odd : (tensor<?x?x4x4xf32>) -> tensor<?x?x4x4xf32>
  %n5 = kestrel.reshape %n, %unsq : (tensor<?x?x4x4xf32>, tensor<5xi64>) -> tensor<?x?x4x4x1xf32>
  %e5 = kestrel.reshape %even, %unsq : (tensor<?x?x4x4xf32>, tensor<5xi64>) -> tensor<?x?x4x4x1xf32>
  %st = kestrel.concat %n5, %e5 {axis = 4 : i64} : (tensor<?x?x4x4x1xf32>, tensor<?x?x4x4x1xf32>) -> tensor<?x?x4x4x2xf32>
  %r = kestrel.reshape %st, %flat : (tensor<?x?x4x4x2xf32>, tensor<4xi64>) -> tensor<?x?x4x8xf32>
  %a = kestrel.mul %x, %cos : (tensor<?x?x4x8xf32>, tensor<1x?x1x8xf32>) -> tensor<?x?x4x8xf32>
  %b = kestrel.mul %r, %sin : (tensor<?x?x4x8xf32>, tensor<1x?x1x8xf32>) -> tensor<?x?x4x8xf32>
  %y = kestrel.add %a, %b : (tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>) -> tensor<?x?x4x8xf32>
  return %y : tensor<?x?x4x8xf32>
}

// -----

// Not fused: the interleaved rotation, but the tables are repeated as
// concat(t, t) (equal halves, not equal pairs), so the pairs of x would
// meet different angles.
// CHECK-LABEL: func.func @interleaved_halves_tables(
// CHECK-NOT: kestrel.rope
func.func @interleaved_halves_tables(%x: tensor<1x1x2x4xf32>, %f: tensor<2x2xf32>) -> tensor<1x1x2x4xf32> {
  %unsq = kestrel.constant dense<[1, 1, 2, 2, 1]> : tensor<5xi64>
  %emb = kestrel.concat %f, %f {axis = 1 : i64} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x4xf32>
  %c = kestrel.cos %emb : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %s = kestrel.sin %emb : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %even = kestrel.slice %x {ends = array<i64: 1, 1, 2, 4>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 2>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x2x2xf32>
  %odd = kestrel.slice %x {ends = array<i64: 1, 1, 2, 4>, starts = array<i64: 0, 0, 0, 1>, steps = array<i64: 1, 1, 1, 2>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x2x2xf32>
  %n = kestrel.neg %odd : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %n5 = kestrel.reshape %n : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2x1xf32>
  %e5 = kestrel.reshape %even : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2x1xf32>
  %st = kestrel.concat %n5, %e5 {axis = 4 : i64} : (tensor<1x1x2x2x1xf32>, tensor<1x1x2x2x1xf32>) -> tensor<1x1x2x2x2xf32>
  %r = kestrel.reshape %st : (tensor<1x1x2x2x2xf32>) -> tensor<1x1x2x4xf32>
  %a = kestrel.mul %x, %c : (tensor<1x1x2x4xf32>, tensor<2x4xf32>) -> tensor<1x1x2x4xf32>
  %b = kestrel.mul %r, %s : (tensor<1x1x2x4xf32>, tensor<2x4xf32>) -> tensor<1x1x2x4xf32>
  %y = kestrel.add %a, %b : (tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}
