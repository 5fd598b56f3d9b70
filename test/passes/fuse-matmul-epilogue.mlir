// RUN: kestrel-opt %s -kestrel-fuse-matmul-epilogue -split-input-file | FileCheck %s

// BERT's feed-forward: matmul, bias, erf GELU.
// CHECK-LABEL: func.func @bias_gelu(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x64xf32>, %[[W:[^:]+]]: tensor<64x256xf32>, %[[B:[^:]+]]: tensor<256xf32>
// CHECK-NEXT: %[[Y:.+]] = kestrel.fused_matmul %[[X]], %[[W]] bias %[[B]] {activation = "gelu"} : (tensor<?x64xf32>, tensor<64x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
// CHECK-NEXT: return %[[Y]]
func.func @bias_gelu(%x: tensor<?x64xf32>, %w: tensor<64x256xf32>, %b: tensor<256xf32>) -> tensor<?x256xf32> {
  %m = kestrel.matmul %x, %w : (tensor<?x64xf32>, tensor<64x256xf32>) -> tensor<?x256xf32>
  %a = kestrel.add %b, %m : (tensor<256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %g = kestrel.gelu %a : (tensor<?x256xf32>) -> tensor<?x256xf32>
  return %g : tensor<?x256xf32>
}

// -----

// Gemm's alpha, a bias, then the residual connection; tanh GELU in between.
// CHECK-LABEL: func.func @alpha_bias_act_residual(
// CHECK: kestrel.fused_matmul %{{.+}}, %{{.+}} bias %{{.+}} residual %{{.+}} {activation = "gelu_tanh", alpha = 5.000000e-01 : f32, transpose_b = true}
// CHECK-NOT: kestrel.add
func.func @alpha_bias_act_residual(%x: tensor<2x8x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>, %r: tensor<2x8x32xf32>) -> tensor<2x8x32xf32> {
  %half = kestrel.constant dense<0.5> : tensor<f32>
  %m = kestrel.matmul %x, %w {transpose_b = true} : (tensor<2x8x64xf32>, tensor<32x64xf32>) -> tensor<2x8x32xf32>
  %s = kestrel.mul %m, %half : (tensor<2x8x32xf32>, tensor<f32>) -> tensor<2x8x32xf32>
  %a = kestrel.add %s, %b : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  %g = kestrel.gelu %a {approximate = true} : (tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  %y = kestrel.add %r, %g : (tensor<2x8x32xf32>, tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  return %y : tensor<2x8x32xf32>
}

// -----

// Llama's attention output projection: only the residual add.
// CHECK-LABEL: func.func @residual_only(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x64xf32>, %[[W:[^:]+]]: tensor<64x64xf32>, %[[R:[^:]+]]: tensor<?x?x64xf32>
// CHECK-NEXT: kestrel.fused_matmul %[[X]], %[[W]] residual %[[R]] :
func.func @residual_only(%x: tensor<?x?x64xf32>, %w: tensor<64x64xf32>, %r: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %m = kestrel.matmul %x, %w : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %y = kestrel.add %r, %m : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// Not fused: the matmul's result has another user (the epilogue would have
// to write it twice).
// CHECK-LABEL: func.func @shared_result(
// CHECK: kestrel.matmul
// CHECK: kestrel.add
// CHECK-NOT: kestrel.fused_matmul
func.func @shared_result(%x: tensor<4x64xf32>, %w: tensor<64x32xf32>, %b: tensor<32xf32>) -> (tensor<4x32xf32>, tensor<4x32xf32>) {
  %m = kestrel.matmul %x, %w : (tensor<4x64xf32>, tensor<64x32xf32>) -> tensor<4x32xf32>
  %a = kestrel.add %m, %b : (tensor<4x32xf32>, tensor<32xf32>) -> tensor<4x32xf32>
  return %a, %m : tensor<4x32xf32>, tensor<4x32xf32>
}

// -----

// Not fused: the add broadcasts over rows with a [4, 1] column (not a bias
// of the output's last dim), and the residual would change the shape.
// CHECK-LABEL: func.func @not_epilogue_shapes(
// CHECK-NOT: kestrel.fused_matmul
func.func @not_epilogue_shapes(%x: tensor<4x64xf32>, %w: tensor<64x32xf32>, %c: tensor<4x1xf32>) -> tensor<4x32xf32> {
  %m = kestrel.matmul %x, %w : (tensor<4x64xf32>, tensor<64x32xf32>) -> tensor<4x32xf32>
  %a = kestrel.add %m, %c : (tensor<4x32xf32>, tensor<4x1xf32>) -> tensor<4x32xf32>
  return %a : tensor<4x32xf32>
}

// -----

// Not fused: integer matmuls take no epilogue.
// CHECK-LABEL: func.func @integer(
// CHECK-NOT: kestrel.fused_matmul
func.func @integer(%x: tensor<4x8xi64>, %w: tensor<8x2xi64>, %b: tensor<2xi64>) -> tensor<4x2xi64> {
  %m = kestrel.matmul %x, %w : (tensor<4x8xi64>, tensor<8x2xi64>) -> tensor<4x2xi64>
  %a = kestrel.add %m, %b : (tensor<4x2xi64>, tensor<2xi64>) -> tensor<4x2xi64>
  return %a : tensor<4x2xi64>
}

// -----

// Not fused: the result goes straight to func.return (a user without
// results; regression test for a crash found by the ONNX mutation test).
// CHECK-LABEL: func.func @returned(
// CHECK: kestrel.matmul
// CHECK-NOT: kestrel.fused_matmul
func.func @returned(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %m = kestrel.matmul %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %m : tensor<4x2xf32>
}

// -----

// GPT-2's form: the [B*S, N] projection is reshaped back to [B, S, N]
// before the bias and the residual. The reshape keeps rows, so the
// epilogue runs in the matmul's shape (the residual reshaped to it) and the
// reshape moves after the fused op.
// CHECK-LABEL: func.func @through_reshape(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x64xf32>, %[[W:[^:]+]]: tensor<64x64xf32>, %[[B:[^:]+]]: tensor<64xf32>, %[[R:[^:]+]]: tensor<?x?x64xf32>, %[[S:[^:]+]]: tensor<3xi64>
// CHECK: %[[R2:.+]] = kestrel.reshape %[[R]] : (tensor<?x?x64xf32>) -> tensor<?x64xf32>
// CHECK: %[[F:.+]] = kestrel.fused_matmul %[[X]], %[[W]] bias %[[B]] residual %[[R2]] {{.*}}-> tensor<?x64xf32>
// CHECK: %[[Y:.+]] = kestrel.reshape %[[F]], %[[S]] {allow_zero = true} : (tensor<?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
// CHECK: return %[[Y]]
func.func @through_reshape(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>, %b: tensor<64xf32>, %r: tensor<?x?x64xf32>, %s: tensor<3xi64>) -> tensor<?x?x64xf32> {
  %m = kestrel.matmul %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %v = kestrel.reshape %m, %s {allow_zero = true} : (tensor<?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  %a = kestrel.add %v, %b : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %y = kestrel.add %r, %a : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// Not fused: the reshape changes the last dim (a head split), so rows do
// not map to rows and the bias would land on the wrong elements.
// CHECK-LABEL: func.func @reshape_splits_rows(
// CHECK: kestrel.matmul
// CHECK: kestrel.reshape
// CHECK: kestrel.add
// CHECK-NOT: kestrel.fused_matmul
func.func @reshape_splits_rows(%x: tensor<4x64xf32>, %w: tensor<64x64xf32>, %b: tensor<16xf32>) -> tensor<4x4x16xf32> {
  %m = kestrel.matmul %x, %w : (tensor<4x64xf32>, tensor<64x64xf32>) -> tensor<4x64xf32>
  %v = kestrel.reshape %m : (tensor<4x64xf32>) -> tensor<4x4x16xf32>
  %a = kestrel.add %v, %b : (tensor<4x4x16xf32>, tensor<16xf32>) -> tensor<4x4x16xf32>
  return %a : tensor<4x4x16xf32>
}

// -----

// Not fused: a dot product reshaped to a scalar has no rows for an
// epilogue (regression test for a crash on ONNX's 1-D matmul node tests,
// which import as [1, K] x [K, 1] and a reshape).
// CHECK-LABEL: func.func @scalar_result(
// CHECK-NOT: kestrel.fused_matmul
func.func @scalar_result(%x: tensor<1x4xf32>, %w: tensor<4x1xf32>, %b: tensor<f32>) -> tensor<f32> {
  %d = kestrel.matmul %x, %w : (tensor<1x4xf32>, tensor<4x1xf32>) -> tensor<1x1xf32>
  %s = kestrel.reshape %d : (tensor<1x1xf32>) -> tensor<f32>
  %a = kestrel.add %s, %b : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %a : tensor<f32>
}
