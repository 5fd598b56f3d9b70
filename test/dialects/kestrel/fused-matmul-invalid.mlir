// RUN: kestrel-opt %s -split-input-file -verify-diagnostics

func.func @bad_activation(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{activation must be none, relu, gelu, gelu_tanh or silu, got 'swish'}}
  %y = kestrel.fused_matmul %x, %w {activation = "swish"} : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @bad_bias(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>, %b: tensor<3xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{bias must be [N] = [2], got [3]}}
  %y = kestrel.fused_matmul %x, %w bias %b : (tensor<4x8xf32>, tensor<8x2xf32>, tensor<3xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @bad_residual(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>, %r: tensor<1x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{residual 'tensor<1x2xf32>' does not have the result's type 'tensor<4x2xf32>'}}
  %y = kestrel.fused_matmul %x, %w residual %r : (tensor<4x8xf32>, tensor<8x2xf32>, tensor<1x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
