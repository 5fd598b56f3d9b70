// RUN: kestrel-opt %s -kestrel-fuse-residual-norm -split-input-file | FileCheck %s
// RUN: kestrel-opt %s -kestrel-fuse-residual-norm=report=true -split-input-file -verify-diagnostics -o /dev/null

// The pre-norm residual stream: h = x + r feeds the norm and, later, the
// next residual add, which now reads the fused op's sum.
// CHECK-LABEL: func.func @pre_norm(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x64xf32>, %[[R:[^:]+]]: tensor<?x?x64xf32>, %[[W:[^:]+]]: tensor<64xf32>
// CHECK-NEXT: %[[H:[^,]+]], %[[Y:[^ ]+]] = kestrel.add_rms_norm %[[X]], %[[R]], %[[W]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<64xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>)
// CHECK-NEXT: %[[E:.+]] = kestrel.exp %[[Y]]
// CHECK-NEXT: %[[N:.+]] = kestrel.add %[[H]], %[[E]]
// CHECK-NEXT: return %[[N]]
func.func @pre_norm(%x: tensor<?x?x64xf32>, %r: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %h = kestrel.add %x, %r : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // expected-remark @+1 {{residual add fused into the norm}}
  %y = kestrel.rms_norm %h, %w {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %e = kestrel.exp %y : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %n = kestrel.add %h, %e : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %n : tensor<?x?x64xf32>
}

// -----

// LayerNorm with scale and bias (GPT-J's ln_1 after the three-way residual
// sum), in bf16; the norm's weights are defined between the add and the
// norm, which is where the fused op goes.
// CHECK-LABEL: func.func @layer_norm_bias(
// CHECK: %[[G:.+]] = kestrel.weight "ln.weight"
// CHECK-NEXT: %[[B:.+]] = kestrel.weight "ln.bias"
// CHECK-NEXT: %[[H:[^,]+]], %[[Y:[^ ]+]] = kestrel.add_layer_norm %{{.+}}, %{{.+}}, %[[G]], %[[B]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x32xbf16>, tensor<?x32xbf16>, tensor<32xbf16>, tensor<32xbf16>) -> (tensor<?x32xbf16>, tensor<?x32xbf16>)
// CHECK-NEXT: return %[[H]], %[[Y]]
func.func @layer_norm_bias(%a: tensor<?x32xbf16>, %b: tensor<?x32xbf16>) -> (tensor<?x32xbf16>, tensor<?x32xbf16>) {
  %h = kestrel.add %a, %b : (tensor<?x32xbf16>, tensor<?x32xbf16>) -> tensor<?x32xbf16>
  %g = kestrel.weight "ln.weight" : tensor<32xbf16>
  %bias = kestrel.weight "ln.bias" : tensor<32xbf16>
  // expected-remark @+1 {{residual add fused into the norm}}
  %y = kestrel.layer_norm %h, %g, %bias {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x32xbf16>, tensor<32xbf16>, tensor<32xbf16>) -> tensor<?x32xbf16>
  return %h, %y : tensor<?x32xbf16>, tensor<?x32xbf16>
}

// -----

// LayerNorm without a bias over two trailing dims; the sum's only user is
// the norm (the last add of a network before its final norm).
// CHECK-LABEL: func.func @layer_norm_no_bias(
// CHECK-NEXT: %[[H:[^,]+]], %[[Y:[^ ]+]] = kestrel.add_layer_norm %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} {axis = 1 : i64, epsilon = 0.000000e+00 : f32} : (tensor<4x3x8xf32>, tensor<4x3x8xf32>, tensor<3x8xf32>) -> (tensor<4x3x8xf32>, tensor<4x3x8xf32>)
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_no_bias(%a: tensor<4x3x8xf32>, %b: tensor<4x3x8xf32>, %g: tensor<3x8xf32>) -> tensor<4x3x8xf32> {
  %h = kestrel.add %a, %b : (tensor<4x3x8xf32>, tensor<4x3x8xf32>) -> tensor<4x3x8xf32>
  // expected-remark @+1 {{residual add fused into the norm}}
  %y = kestrel.layer_norm %h, %g {axis = 1 : i64, epsilon = 0.0 : f32} : (tensor<4x3x8xf32>, tensor<3x8xf32>) -> tensor<4x3x8xf32>
  return %y : tensor<4x3x8xf32>
}

// -----

// The sum has a user between the add and the norm; the weight is an
// argument, so the fused op goes where the add was.
// CHECK-LABEL: func.func @user_before_norm(
// CHECK-NEXT: %[[H:[^,]+]], %[[Y:[^ ]+]] = kestrel.add_rms_norm
// CHECK-NEXT: %[[T:.+]] = kestrel.tanh %[[H]]
// CHECK-NEXT: return %[[T]], %[[Y]]
func.func @user_before_norm(%x: tensor<2x16xf16>, %r: tensor<2x16xf16>, %w: tensor<16xf16>) -> (tensor<2x16xf16>, tensor<2x16xf16>) {
  %h = kestrel.add %x, %r : (tensor<2x16xf16>, tensor<2x16xf16>) -> tensor<2x16xf16>
  %t = kestrel.tanh %h : (tensor<2x16xf16>) -> tensor<2x16xf16>
  // expected-remark @+1 {{residual add fused into the norm}}
  %y = kestrel.rms_norm %h, %w {axis = 1 : i64, epsilon = 1.0e-6 : f32} : (tensor<2x16xf16>, tensor<16xf16>) -> tensor<2x16xf16>
  return %t, %y : tensor<2x16xf16>, tensor<2x16xf16>
}

// -----

// Not fused: the add broadcasts (GPT-2's token + position embeddings), and
// the fused kernels read two operands of one shape.
// CHECK-LABEL: func.func @broadcast_add(
// CHECK: kestrel.add
// CHECK-NEXT: kestrel.layer_norm
// CHECK-NOT: add_layer_norm
func.func @broadcast_add(%tok: tensor<?x?x64xf32>, %pos: tensor<1x?x64xf32>, %g: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %h = kestrel.add %tok, %pos : (tensor<?x?x64xf32>, tensor<1x?x64xf32>) -> tensor<?x?x64xf32>
  // expected-remark @+1 {{residual add not fused into the norm: the add broadcasts (its operands' types differ from its result's)}}
  %y = kestrel.layer_norm %h, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// Not fused: the sum is used before the norm, and the norm's weight is
// defined after the add, so no single place has every operand and precedes
// every user of the sum.
// CHECK-LABEL: func.func @no_place(
// CHECK: kestrel.add
// CHECK-NOT: add_rms_norm
func.func @no_place(%x: tensor<2x16xf32>, %r: tensor<2x16xf32>) -> (tensor<2x16xf32>, tensor<2x16xf32>) {
  %h = kestrel.add %x, %r : (tensor<2x16xf32>, tensor<2x16xf32>) -> tensor<2x16xf32>
  %t = kestrel.tanh %h : (tensor<2x16xf32>) -> tensor<2x16xf32>
  %w = kestrel.weight "norm.weight" : tensor<16xf32>
  // expected-remark @+1 {{residual add not fused into the norm: the sum has users before the norm and the norm's parameters are defined after the add}}
  %y = kestrel.rms_norm %h, %w {axis = 1 : i64, epsilon = 1.0e-6 : f32} : (tensor<2x16xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  return %t, %y : tensor<2x16xf32>, tensor<2x16xf32>
}

// -----

// Not fused: the norm's input is not an add (no remark either).
// CHECK-LABEL: func.func @not_an_add(
// CHECK: kestrel.sub
// CHECK-NEXT: kestrel.rms_norm
func.func @not_an_add(%x: tensor<2x16xf32>, %r: tensor<2x16xf32>, %w: tensor<16xf32>) -> tensor<2x16xf32> {
  %h = kestrel.sub %x, %r : (tensor<2x16xf32>, tensor<2x16xf32>) -> tensor<2x16xf32>
  %y = kestrel.rms_norm %h, %w {axis = 1 : i64, epsilon = 1.0e-6 : f32} : (tensor<2x16xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}
