// RUN: kestrel-opt %s -kestrel-fuse-norms -split-input-file | FileCheck %s

// The Llama export: pow, mean, +eps, sqrt, reciprocal, mul, scale.
// CHECK-LABEL: func.func @llama(
// CHECK-SAME: %[[X:.+]]: tensor<?x?x64xf32>, %[[W:.+]]: tensor<64xf32>
// CHECK-NEXT: %[[Y:.+]] = kestrel.rms_norm %[[X]], %[[W]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @llama(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %two = kestrel.constant dense<2.0> : tensor<f32>
  %eps = kestrel.constant dense<9.99999974E-6> : tensor<f32>
  %s = kestrel.pow %x, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %m = kestrel.reduce_mean %s {axes = array<i64: 2>} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %a = kestrel.add %m, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %q = kestrel.sqrt %a : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %r = kestrel.reciprocal %q : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = kestrel.mul %x, %r : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %y = kestrel.mul %w, %n : (tensor<64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// x * x, eps on the left, rsqrt, no scale: the weight is a splat 1.
// CHECK-LABEL: func.func @rsqrt_no_scale(
// CHECK: %[[ONE:.+]] = kestrel.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: kestrel.rms_norm %{{.+}}, %[[ONE]] {axis = 1 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-NOT: kestrel.rsqrt
func.func @rsqrt_no_scale(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = kestrel.constant dense<1.0e-6> : tensor<f32>
  %s = kestrel.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = kestrel.reduce_mean %s {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a = kestrel.add %eps, %m : (tensor<f32>, tensor<4x1xf32>) -> tensor<4x1xf32>
  %r = kestrel.rsqrt %a : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = kestrel.mul %r, %x : (tensor<4x1xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// x / sqrt(mean + eps), then a scale over the two trailing dims.
// CHECK-LABEL: func.func @div_two_axes(
// CHECK: kestrel.rms_norm %{{.+}}, %{{.+}} {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x4x8xf32>, tensor<4x8xf32>) -> tensor<2x4x8xf32>
func.func @div_two_axes(%x: tensor<2x4x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x4x8xf32> {
  %two = kestrel.constant dense<2.0> : tensor<f32>
  %eps = kestrel.constant dense<1.0e-5> : tensor<f32>
  %s = kestrel.pow %x, %two : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %m = kestrel.reduce_mean %s {axes = array<i64: 1, 2>} : (tensor<2x4x8xf32>) -> tensor<2x1x1xf32>
  %a = kestrel.add %m, %eps : (tensor<2x1x1xf32>, tensor<f32>) -> tensor<2x1x1xf32>
  %q = kestrel.sqrt %a : (tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %n = kestrel.div %x, %q : (tensor<2x4x8xf32>, tensor<2x1x1xf32>) -> tensor<2x4x8xf32>
  %y = kestrel.mul %n, %w : (tensor<2x4x8xf32>, tensor<4x8xf32>) -> tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

// Not fused: the mean is used twice, the exponent is 3, the axes lead.
// CHECK-LABEL: func.func @unfused(
// CHECK-NOT: kestrel.rms_norm
func.func @unfused(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x8xf32>, tensor<1x8xf32>) {
  %two = kestrel.constant dense<2.0> : tensor<f32>
  %three = kestrel.constant dense<3.0> : tensor<f32>
  %eps = kestrel.constant dense<1.0e-6> : tensor<f32>
  %s = kestrel.pow %x, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %m = kestrel.reduce_mean %s {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a = kestrel.add %m, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %r = kestrel.rsqrt %a : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = kestrel.mul %x, %r : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %c = kestrel.pow %x, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %cm = kestrel.reduce_mean %c {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %ca = kestrel.add %cm, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %cr = kestrel.rsqrt %ca : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %cn = kestrel.mul %x, %cr : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %l = kestrel.pow %x, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %lm = kestrel.reduce_mean %l {axes = array<i64: 0>} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  return %n, %m, %cn, %lm : tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x8xf32>, tensor<1x8xf32>
}

// -----

// The TorchScript export: x * (1 / sqrt(mean + eps)), then the scale.
// CHECK-LABEL: func.func @one_over_sqrt(
// CHECK: kestrel.rms_norm %{{.+}}, %{{.+}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-NOT: kestrel.div
func.func @one_over_sqrt(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %one = kestrel.constant dense<1.0> : tensor<f32>
  %two = kestrel.constant dense<2.0> : tensor<f32>
  %eps = kestrel.constant dense<9.99999974E-6> : tensor<f32>
  %s = kestrel.pow %x, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %m = kestrel.reduce_mean %s {axes = array<i64: 2>} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %a = kestrel.add %m, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %q = kestrel.sqrt %a : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %r = kestrel.div %one, %q : (tensor<f32>, tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = kestrel.mul %x, %r : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %y = kestrel.mul %w, %n : (tensor<64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// LayerNorm from primitives with scale and bias.
// CHECK-LABEL: func.func @layer_norm(
// CHECK-SAME: %[[X:.+]]: tensor<?x16x32xf32>, %[[G:.+]]: tensor<32xf32>, %[[B:.+]]: tensor<32xf32>
// CHECK-NEXT: %[[Y:.+]] = kestrel.layer_norm %[[X]], %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x16x32xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm(%x: tensor<?x16x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<?x16x32xf32> {
  %two = kestrel.constant dense<2.0> : tensor<f32>
  %eps = kestrel.constant dense<9.99999974E-6> : tensor<f32>
  %m = kestrel.reduce_mean %x {axes = array<i64: 2>} : (tensor<?x16x32xf32>) -> tensor<?x16x1xf32>
  %d = kestrel.sub %x, %m : (tensor<?x16x32xf32>, tensor<?x16x1xf32>) -> tensor<?x16x32xf32>
  %s = kestrel.pow %d, %two : (tensor<?x16x32xf32>, tensor<f32>) -> tensor<?x16x32xf32>
  %v = kestrel.reduce_mean %s {axes = array<i64: 2>} : (tensor<?x16x32xf32>) -> tensor<?x16x1xf32>
  %a = kestrel.add %v, %eps : (tensor<?x16x1xf32>, tensor<f32>) -> tensor<?x16x1xf32>
  %q = kestrel.sqrt %a : (tensor<?x16x1xf32>) -> tensor<?x16x1xf32>
  %n = kestrel.div %d, %q : (tensor<?x16x32xf32>, tensor<?x16x1xf32>) -> tensor<?x16x32xf32>
  %sc = kestrel.mul %n, %g : (tensor<?x16x32xf32>, tensor<32xf32>) -> tensor<?x16x32xf32>
  %y = kestrel.add %sc, %b : (tensor<?x16x32xf32>, tensor<32xf32>) -> tensor<?x16x32xf32>
  return %y : tensor<?x16x32xf32>
}

// -----

// d * d, no scale or bias: a splat-1 scale, no bias.
// CHECK-LABEL: func.func @layer_norm_plain(
// CHECK: %[[ONE:.+]] = kestrel.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: kestrel.layer_norm %{{.+}}, %[[ONE]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK-NOT: kestrel.sqrt
func.func @layer_norm_plain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = kestrel.constant dense<9.99999974E-6> : tensor<f32>
  %m = kestrel.reduce_mean %x {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %d = kestrel.sub %x, %m : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %s = kestrel.mul %d, %d : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %v = kestrel.reduce_mean %s {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a = kestrel.add %eps, %v : (tensor<f32>, tensor<4x1xf32>) -> tensor<4x1xf32>
  %q = kestrel.sqrt %a : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = kestrel.div %d, %q : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// Not fused: x - mean is used elsewhere too.
// CHECK-LABEL: func.func @layer_norm_shared(
// CHECK-NOT: kestrel.layer_norm
func.func @layer_norm_shared(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %eps = kestrel.constant dense<9.99999974E-6> : tensor<f32>
  %m = kestrel.reduce_mean %x {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %d = kestrel.sub %x, %m : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %s = kestrel.mul %d, %d : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %v = kestrel.reduce_mean %s {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a = kestrel.add %v, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %q = kestrel.sqrt %a : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = kestrel.div %d, %q : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %e = kestrel.exp %d : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %n, %e : tensor<4x8xf32>, tensor<4x8xf32>
}
