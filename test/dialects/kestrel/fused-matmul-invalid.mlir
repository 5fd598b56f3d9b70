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

// -----

func.func @multi_glu_weights(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{glu needs two weights (gate and up), got 3}}
  %y = kestrel.multi_matmul %x, %w, %w, %w {activation = "silu", glu = true} : (tensor<4x8xf32>, tensor<8x2xf32>, tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @multi_glu_widths(%x: tensor<4x8xf32>, %g: tensor<8x2xf32>, %u: tensor<8x3xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{glu's gate and up products differ: 'tensor<4x2xf32>' and 'tensor<4x3xf32>'}}
  %y = kestrel.multi_matmul %x, %g, %u {glu = true} : (tensor<4x8xf32>, tensor<8x2xf32>, tensor<8x3xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @multi_biases(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>, %b: tensor<2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  // expected-error @below {{needs no biases or one per weight, got 1 for 2 weights}}
  %y:2 = kestrel.multi_matmul %x, %w, %w biases %b : (tensor<4x8xf32>, tensor<8x2xf32>, tensor<8x2xf32>, tensor<2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>)
  return %y#0, %y#1 : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

func.func @multi_weight_rank(%x: tensor<4x8xf32>, %w: tensor<1x8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{weight 0 must have rank 2, got [1, 8, 2]}}
  %y = kestrel.multi_matmul %x, %w : (tensor<4x8xf32>, tensor<1x8x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @multi_contraction(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>, %v: tensor<7x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  // expected-error @below {{contraction dimensions differ: lhs has K = 8, rhs has K = 7}}
  %y:2 = kestrel.multi_matmul %x, %w, %v : (tensor<4x8xf32>, tensor<8x2xf32>, tensor<7x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>)
  return %y#0, %y#1 : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

func.func @attention_layout(%q: tensor<1x4x16x64xf32>) -> tensor<1x4x16x64xf32> {
  // expected-error @below {{layout must be bhsd or bshd, got 'sbhd'}}
  %0 = kestrel.attention %q, %q, %q {layout = "sbhd"} : (tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32>) -> tensor<1x4x16x64xf32>
  return %0 : tensor<1x4x16x64xf32>
}

// -----

func.func @attention_bshd_heads(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x3x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error @below {{num_heads (4) must be a positive multiple of num_kv_heads (3)}}
  %0 = kestrel.attention %q, %k, %k {layout = "bshd"} : (tensor<1x16x4x64xf32>, tensor<1x16x3x64xf32>, tensor<1x16x3x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}
