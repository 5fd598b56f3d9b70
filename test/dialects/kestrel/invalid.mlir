// Every verifier and shape rule of the kestrel dialect, each with the exact
// diagnostic it produces.
// RUN: kestrel-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{'kestrel.add' op operand shapes [2, 3] and [4, 3] do not broadcast}}
  %0 = kestrel.add %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @add_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'kestrel.add' op result type(s) 'tensor<2x4xf32>' are incompatible with the inferred type(s) 'tensor<2x3xf32>'}}
  %0 = kestrel.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @add_mixed_elements(%a: tensor<3xf32>, %b: tensor<3xf16>) {
  // expected-error @+1 {{'kestrel.add' op requires the same element type for all operands}}
  %0 = kestrel.add %a, %b : (tensor<3xf32>, tensor<3xf16>) -> tensor<3xf32>
  return
}

// -----

func.func @sqrt_of_integers(%a: tensor<3xi32>) {
  // expected-error @+1 {{'kestrel.sqrt' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type values, but got 'tensor<3xi32>'}}
  %0 = kestrel.sqrt %a : (tensor<3xi32>) -> tensor<3xi32>
  return
}

// -----

func.func @unsupported_element_type(%a: tensor<3xf64>) {
  // expected-error @+1 {{'kestrel.exp' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type values, but got 'tensor<3xf64>'}}
  %0 = kestrel.exp %a : (tensor<3xf64>) -> tensor<3xf64>
  return
}

// -----

func.func @compare_result_not_bool(%a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'kestrel.less' op result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<3xf32>'}}
  %0 = kestrel.less %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @where_mixed_values(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xbf16>) {
  // expected-error @+1 {{'kestrel.where' op true and false values have different element types ('f32' vs 'bf16')}}
  %0 = kestrel.where %c, %a, %b : (tensor<3xi1>, tensor<3xf32>, tensor<3xbf16>) -> tensor<3xf32>
  return
}

// -----

func.func @where_condition_not_bool(%c: tensor<3xf32>, %a: tensor<3xf32>) {
  // expected-error @+1 {{'kestrel.where' op operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<3xf32>'}}
  %0 = kestrel.where %c, %a, %a : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @cast_changes_shape(%a: tensor<3xf32>) {
  // expected-error @+1 {{'kestrel.cast' op requires the same shape for all operands and results}}
  %0 = kestrel.cast %a : (tensor<3xf32>) -> tensor<4xf16>
  return
}

//===----------------------------------------------------------------------===//
// Matmul, softmax, reductions
//===----------------------------------------------------------------------===//

// -----

func.func @matmul_rank_one(%a: tensor<4xf32>, %b: tensor<4x4xf32>) {
  // expected-error @+1 {{'kestrel.matmul' op operands must have rank 2 or more, got ranks 1 and 2}}
  %0 = kestrel.matmul %a, %b : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_k_mismatch(%a: tensor<8x64xf32>, %b: tensor<32x16xf32>) {
  // expected-error @+1 {{'kestrel.matmul' op contraction dimensions differ: lhs has K = 64, rhs has K = 32}}
  %0 = kestrel.matmul %a, %b : (tensor<8x64xf32>, tensor<32x16xf32>) -> tensor<8x16xf32>
  return
}

// -----

func.func @matmul_transposed_k_mismatch(%a: tensor<8x64xf32>, %b: tensor<16x32xf32>) {
  // expected-error @+1 {{'kestrel.matmul' op contraction dimensions differ: lhs has K = 64, rhs has K = 32}}
  %0 = kestrel.matmul %a, %b {transpose_b = true} : (tensor<8x64xf32>, tensor<16x32xf32>) -> tensor<8x16xf32>
  return
}

// -----

func.func @matmul_batch_mismatch(%a: tensor<2x8x4xf32>, %b: tensor<3x4x8xf32>) {
  // expected-error @+1 {{'kestrel.matmul' op batch dimensions [2] and [3] do not broadcast}}
  %0 = kestrel.matmul %a, %b : (tensor<2x8x4xf32>, tensor<3x4x8xf32>) -> tensor<2x8x8xf32>
  return
}

// -----

func.func @matmul_mixed_elements(%a: tensor<8x4xf32>, %b: tensor<4x8xbf16>) {
  // expected-error @+1 {{'kestrel.matmul' op requires the same element type for all operands and results}}
  %0 = kestrel.matmul %a, %b : (tensor<8x4xf32>, tensor<4x8xbf16>) -> tensor<8x8xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kestrel.softmax' op axis 2 is out of range for a rank-2 input (expected [0, 2))}}
  %0 = kestrel.softmax %a {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @log_softmax_negative_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kestrel.log_softmax' op axis -1 is out of range for a rank-2 input (expected [0, 2))}}
  %0 = kestrel.log_softmax %a {axis = -1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_unsorted_axes(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'kestrel.reduce_sum' op axes must be non-empty, sorted, unique and in [0, 3), got [2, 1]}}
  %0 = kestrel.reduce_sum %a {axes = array<i64: 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  return
}

// -----

func.func @reduce_axis_out_of_range(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'kestrel.reduce_max' op axes must be non-empty, sorted, unique and in [0, 3), got [3]}}
  %0 = kestrel.reduce_max %a {axes = array<i64: 3>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @reduce_no_axes(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'kestrel.reduce_mean' op axes must be non-empty, sorted, unique and in [0, 3), got []}}
  %0 = kestrel.reduce_mean %a {axes = array<i64>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @reduce_keepdims_result(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'kestrel.reduce_min' op result type(s) 'tensor<2x1x4xf32>' are incompatible with the inferred type(s) 'tensor<2x4xf32>'}}
  %0 = kestrel.reduce_min %a {axes = array<i64: 1>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

// -----

func.func @reshape_element_count(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'kestrel.reshape' op input has 24 elements but the result type holds 25}}
  %0 = kestrel.reshape %a : (tensor<2x3x4xf32>) -> tensor<5x5xf32>
  return
}

// -----

func.func @reshape_element_type(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kestrel.reshape' op result element type 'f16' differs from the input element type 'f32'}}
  %0 = kestrel.reshape %a : (tensor<2x3xf32>) -> tensor<6xf16>
  return
}

// -----

func.func @reshape_two_unknowns(%a: tensor<?x4096xf32>) {
  // expected-error @+1 {{'kestrel.reshape' op result has 2 dynamic dimensions; without a shape operand at most one can be inferred}}
  %0 = kestrel.reshape %a : (tensor<?x4096xf32>) -> tensor<?x?x128xf32>
  return
}

// -----

func.func @reshape_shape_length(%a: tensor<?x4096xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{'kestrel.reshape' op shape operand has 2 entries but the result has rank 3}}
  %0 = kestrel.reshape %a, %s : (tensor<?x4096xf32>, tensor<2xi64>) -> tensor<?x?x128xf32>
  return
}

// -----

func.func @reshape_shape_dynamic(%a: tensor<?x4096xf32>, %s: tensor<?xi64>) {
  // expected-error @+1 {{'kestrel.reshape' op shape operand must have a static length}}
  %0 = kestrel.reshape %a, %s : (tensor<?x4096xf32>, tensor<?xi64>) -> tensor<?x?x128xf32>
  return
}

// -----

func.func @reshape_shape_not_i64(%a: tensor<?x4096xf32>, %s: tensor<3xi32>) {
  // expected-error @+1 {{'kestrel.reshape' op operand #1 must be 1D tensor of 64-bit signless integer values, but got 'tensor<3xi32>'}}
  %0 = kestrel.reshape %a, %s : (tensor<?x4096xf32>, tensor<3xi32>) -> tensor<?x?x128xf32>
  return
}

// -----

func.func @transpose_not_permutation(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'kestrel.transpose' op permutation [0, 0, 1] is not a permutation of [0, 3)}}
  %0 = kestrel.transpose %a {permutation = array<i64: 0, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<2x2x3xf32>
  return
}

// -----

func.func @transpose_wrong_length(%a: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'kestrel.transpose' op permutation [1, 0] is not a permutation of [0, 3)}}
  %0 = kestrel.transpose %a {permutation = array<i64: 1, 0>} : (tensor<2x3x4xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @+1 {{'kestrel.concat' op needs an input}}
  %0 = kestrel.concat {axis = 0 : i64} : () -> tensor<2xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kestrel.concat' op axis 2 is out of range for a rank-2 input (expected [0, 2))}}
  %0 = kestrel.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'kestrel.concat' op input 1 has rank 1, expected 2}}
  %0 = kestrel.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @concat_size(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{'kestrel.concat' op input 1 has size 4 in dimension 1 where the inputs before it have 3}}
  %0 = kestrel.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @split_axis(%a: tensor<2x6xf32>) {
  // expected-error @+1 {{'kestrel.split' op axis 5 is out of range for a rank-2 input (expected [0, 2))}}
  %0:2 = kestrel.split %a {axis = 5 : i64, sizes = array<i64: 3, 3>} : (tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
  return
}

// -----

func.func @split_negative(%a: tensor<2x6xf32>) {
  // expected-error @+1 {{'kestrel.split' op sizes must be non-empty and non-negative, got [7, -1]}}
  %0:2 = kestrel.split %a {axis = 1 : i64, sizes = array<i64: 7, -1>} : (tensor<2x6xf32>) -> (tensor<2x7xf32>, tensor<2x0xf32>)
  return
}

// -----

func.func @split_sum(%a: tensor<2x6xf32>) {
  // expected-error @+1 {{'kestrel.split' op sizes add up to 5, but dimension 1 has size 6}}
  %0:2 = kestrel.split %a {axis = 1 : i64, sizes = array<i64: 3, 2>} : (tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x2xf32>)
  return
}

// -----

func.func @split_result_count(%a: tensor<2x6xf32>) {
  // expected-error @+1 {{'kestrel.split' op result type(s) 'tensor<2x3xf32>' are incompatible with the inferred type(s) 'tensor<2x3xf32>', 'tensor<2x3xf32>'}}
  %0 = kestrel.split %a {axis = 1 : i64, sizes = array<i64: 3, 3>} : (tensor<2x6xf32>) -> (tensor<2x3xf32>)
  return
}

// -----

func.func @slice_lengths(%a: tensor<4x4xf32>) {
  // expected-error @+1 {{'kestrel.slice' op starts, ends and steps need one entry per dimension (rank 2), got 1, 2 and 2}}
  %0 = kestrel.slice %a {starts = array<i64: 0>, ends = array<i64: 2, 2>, steps = array<i64: 1, 1>} : (tensor<4x4xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_zero_step(%a: tensor<4x4xf32>) {
  // expected-error @+1 {{'kestrel.slice' op step of dimension 1 is zero}}
  %0 = kestrel.slice %a {starts = array<i64: 0, 0>, ends = array<i64: 2, 2>, steps = array<i64: 1, 0>} : (tensor<4x4xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_result(%a: tensor<10xf32>) {
  // expected-error @+1 {{'kestrel.slice' op result type(s) 'tensor<4xf32>' are incompatible with the inferred type(s) 'tensor<3xf32>'}}
  %0 = kestrel.slice %a {starts = array<i64: 1>, ends = array<i64: 8>, steps = array<i64: 3>} : (tensor<10xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @gather_axis(%a: tensor<4x6xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{'kestrel.gather' op axis 2 is out of range for a rank-2 input (expected [0, 2))}}
  %0 = kestrel.gather %a, %i {axis = 2 : i64} : (tensor<4x6xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  return
}

// -----

func.func @gather_float_indices(%a: tensor<4x6xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{'kestrel.gather' op operand #1 must be ranked tensor of 64-bit signless integer or 32-bit signless integer values, but got 'tensor<2xf32>'}}
  %0 = kestrel.gather %a, %i {axis = 0 : i64} : (tensor<4x6xf32>, tensor<2xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @gather_elements_rank(%a: tensor<4x6xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{'kestrel.gather_elements' op indices have rank 1, expected the input's rank 2}}
  %0 = kestrel.gather_elements %a, %i {axis = 0 : i64} : (tensor<4x6xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

// The result's rank is the input's (at least 1), whatever its length.
func.func @nonzero_rank(%a: tensor<4x6xf32>) {
  // expected-error @+1 {{'kestrel.nonzero' op result type(s) 'tensor<3x?xi64>' are incompatible with the inferred type(s) 'tensor<2x?xi64>'}}
  %0 = kestrel.nonzero %a : (tensor<4x6xf32>) -> tensor<3x?xi64>
  return
}

// -----

func.func @gather_nd_depth(%a: tensor<4x6xf32>, %i: tensor<2x3xi64>) {
  // expected-error @+1 {{'kestrel.gather_nd' op batch_dims = 0 with index depth 3 does not fit a rank-2 input}}
  %0 = kestrel.gather_nd %a, %i : (tensor<4x6xf32>, tensor<2x3xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_nd_dynamic_depth(%a: tensor<4x6xf32>, %i: tensor<2x?xi64>) {
  // expected-error @+1 {{'kestrel.gather_nd' op indices need a static last dimension}}
  %0 = kestrel.gather_nd %a, %i : (tensor<4x6xf32>, tensor<2x?xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @dynamic_slice_rank(%a: tensor<4x6xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{'kestrel.dynamic_slice' op result rank 1 differs from the input rank 2}}
  %0 = kestrel.dynamic_slice %a, %s, %s, %s : (tensor<4x6xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @dynamic_slice_bounds(%a: tensor<4x6xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{'kestrel.dynamic_slice' op starts, ends and steps need one entry per input dimension (2), got [3]}}
  %0 = kestrel.dynamic_slice %a, %s, %s, %s : (tensor<4x6xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_slice_element(%a: tensor<4x6xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{'kestrel.dynamic_slice' op result element type 'f16' differs from the input element type 'f32'}}
  %0 = kestrel.dynamic_slice %a, %s, %s, %s : (tensor<4x6xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf16>
  return
}

// -----

func.func @expand_rank(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kestrel.expand' op result rank 1 is lower than the input rank 2}}
  %0 = kestrel.expand %a : (tensor<2x3xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @expand_not_broadcast(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kestrel.expand' op input dimension 1 (size 3) does not broadcast to result size 6}}
  %0 = kestrel.expand %a : (tensor<2x3xf32>) -> tensor<4x2x6xf32>
  return
}

// -----

func.func @expand_unknown_size(%a: tensor<1x3xf32>) {
  // expected-error @+1 {{'kestrel.expand' op result dimension 0 is dynamic but has no input dimension to take its size from; pass a shape operand}}
  %0 = kestrel.expand %a : (tensor<1x3xf32>) -> tensor<?x3xf32>
  return
}

// -----

func.func @expand_element_type(%a: tensor<1x3xf32>) {
  // expected-error @+1 {{'kestrel.expand' op result element type 'bf16' differs from the input element type 'f32'}}
  %0 = kestrel.expand %a : (tensor<1x3xf32>) -> tensor<2x3xbf16>
  return
}

// -----

func.func @expand_shape_length(%a: tensor<1x3xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{'kestrel.expand' op result rank 2 differs from the broadcast rank of the input and the shape operand (3)}}
  %0 = kestrel.expand %a, %s : (tensor<1x3xf32>, tensor<3xi64>) -> tensor<?x3xf32>
  return
}

// -----

func.func @top_k_too_many(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'kestrel.top_k' op k = 9 must be in [1, 8] (the size of axis 1)}}
  %0:2 = kestrel.top_k %a {axis = 1 : i64, k = 9 : i64} : (tensor<4x8xf32>) -> (tensor<4x9xf32>, tensor<4x9xi64>)
  return
}

// -----

func.func @top_k_axis(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'kestrel.top_k' op axis 2 is out of range for a rank-2 input (expected [0, 2))}}
  %0:2 = kestrel.top_k %a {axis = 2 : i64, k = 1 : i64} : (tensor<4x8xf32>) -> (tensor<4x1xf32>, tensor<4x1xi64>)
  return
}

// -----

func.func @range_not_scalar(%a: tensor<2xi64>, %b: tensor<i64>) {
  // expected-error @+1 {{'kestrel.range' op operand #0 must be 0D tensor of 64-bit signless integer or 32-bit signless integer or 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2xi64>'}}
  %0 = kestrel.range %a, %b, %b : (tensor<2xi64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @shape_of_result(%a: tensor<4x?xf32>) {
  // expected-error @+1 {{'kestrel.shape_of' op result type(s) 'tensor<3xi64>' are incompatible with the inferred type(s) 'tensor<2xi64>'}}
  %0 = kestrel.shape_of %a : (tensor<4x?xf32>) -> tensor<3xi64>
  return
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

// -----

func.func @constant_type_mismatch() {
  // expected-error @+1 {{'kestrel.constant' op failed to verify that all of {value, result} have same type}}
  %0 = "kestrel.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return
}

// -----

func.func @weight_empty_name() {
  // expected-error @+1 {{'kestrel.weight' op name must not be empty}}
  %0 = kestrel.weight "" : tensor<4xf32>
  return
}

// -----

func.func @weight_dynamic_shape() {
  // expected-error @+1 {{'kestrel.weight' op result #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or 64-bit signless integer or 32-bit signless integer or 1-bit signless integer or 8-bit unsigned integer values, but got 'tensor<?x4xf32>'}}
  %0 = kestrel.weight "w" : tensor<?x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// Norms and rope
//===----------------------------------------------------------------------===//

// -----

func.func @rms_norm_axis(%x: tensor<2x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'kestrel.rms_norm' op axis 2 is out of range for a rank-2 input (expected [0, 2))}}
  %0 = kestrel.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_weight(%x: tensor<2x8xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.rms_norm' op weight has shape [4], expected the normalized shape [8]}}
  %0 = kestrel.rms_norm %x, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_epsilon(%x: tensor<2x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'kestrel.rms_norm' op epsilon must be non-negative, got -1.000000e+00}}
  %0 = kestrel.rms_norm %x, %w {axis = 1 : i64, epsilon = -1.0 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_mixed_elements(%x: tensor<2x8xbf16>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'kestrel.rms_norm' op requires the same element type for all operands}}
  %0 = kestrel.rms_norm %x, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xbf16>, tensor<8xf32>) -> tensor<2x8xbf16>
  return
}

// -----

func.func @layer_norm_bias(%x: tensor<2x3x8xf32>, %g: tensor<3x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'kestrel.layer_norm' op bias has shape [8], expected the normalized shape [3, 8]}}
  %0 = kestrel.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x8xf32>, tensor<3x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  return
}

// -----

func.func @add_rms_norm_residual(%x: tensor<2x8xf32>, %r: tensor<1x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'kestrel.add_rms_norm' op residual has shape [1, 8], expected the input's shape [2, 8]}}
  %h, %y = kestrel.add_rms_norm %x, %r, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<1x8xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>)
  return
}

// -----

func.func @add_layer_norm_scale(%x: tensor<2x3x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'kestrel.add_layer_norm' op scale has shape [8], expected the normalized shape [3, 8]}}
  %h, %y = kestrel.add_layer_norm %x, %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>)
  return
}

// -----

func.func @add_rms_norm_mixed_elements(%x: tensor<2x8xbf16>, %r: tensor<2x8xf32>, %w: tensor<8xbf16>) {
  // expected-error @+1 {{'kestrel.add_rms_norm' op requires the same element type for all operands}}
  %h, %y = kestrel.add_rms_norm %x, %r, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xbf16>, tensor<2x8xf32>, tensor<8xbf16>) -> (tensor<2x8xbf16>, tensor<2x8xbf16>)
  return
}

// -----

func.func @rope_rank(%x: tensor<128xf32>, %c: tensor<64xf32>) {
  // expected-error @+1 {{'kestrel.rope' op input must have rank 2 or more ([..., seq, head_dim]), got rank 1}}
  %0 = kestrel.rope %x, %c, %c : (tensor<128xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<128xf32>
  return
}

// -----

func.func @rope_cos_sin(%x: tensor<4x128xf32>, %c: tensor<4x64xf32>, %s: tensor<1x64xf32>) {
  // expected-error @+1 {{'kestrel.rope' op cos and sin have different shapes [4, 64] and [1, 64]}}
  %0 = kestrel.rope %x, %c, %s : (tensor<4x128xf32>, tensor<4x64xf32>, tensor<1x64xf32>) -> tensor<4x128xf32>
  return
}

// -----

func.func @rope_rotary_dim(%x: tensor<4x128xf32>, %c: tensor<4x32xf32>) {
  // expected-error @+1 {{'kestrel.rope' op rotary_dim 65 must be even and in (0, head_dim = 128]}}
  %0 = kestrel.rope %x, %c, %c {rotary_dim = 65 : i64} : (tensor<4x128xf32>, tensor<4x32xf32>, tensor<4x32xf32>) -> tensor<4x128xf32>
  return
}

// -----

func.func @rope_table_width(%x: tensor<4x128xf32>, %c: tensor<4x32xf32>) {
  // expected-error @+1 {{'kestrel.rope' op cos and sin have 32 entries in their last dimension, expected rotary_dim / 2 = 64}}
  %0 = kestrel.rope %x, %c, %c : (tensor<4x128xf32>, tensor<4x32xf32>, tensor<4x32xf32>) -> tensor<4x128xf32>
  return
}

// -----

func.func @rope_table_rank(%x: tensor<4x128xf32>, %c: tensor<1x1x4x64xf32>) {
  // expected-error @+1 {{'kestrel.rope' op cos and sin must have rank 1 to 2, got rank 4}}
  %0 = kestrel.rope %x, %c, %c : (tensor<4x128xf32>, tensor<1x1x4x64xf32>, tensor<1x1x4x64xf32>) -> tensor<4x128xf32>
  return
}

// -----

func.func @rope_table_positions(%x: tensor<2x4x128xf32>, %c: tensor<5x64xf32>) {
  // expected-error @+1 {{'kestrel.rope' op cos and sin leading shape [5] does not broadcast to the input's leading shape [2, 4]}}
  %0 = kestrel.rope %x, %c, %c : (tensor<2x4x128xf32>, tensor<5x64xf32>, tensor<5x64xf32>) -> tensor<2x4x128xf32>
  return
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

// -----

func.func @attention_rank(%q: tensor<4x16x64xf32>, %k: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op query, key and value must have rank 4 ([batch, heads, seq, head_dim]), got ranks 3, 4 and 4}}
  %0 = kestrel.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 4 : i64} : (tensor<4x16x64xf32>, tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32>) -> tensor<4x16x64xf32>
  return
}

// -----

func.func @attention_elements(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x16x64xf16>) {
  // expected-error @+1 {{'kestrel.attention' op query, key and value must share one element type, got 'f32', 'f16' and 'f16'}}
  %0 = kestrel.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 4 : i64} : (tensor<1x4x16x64xf32>, tensor<1x4x16x64xf16>, tensor<1x4x16x64xf16>) -> tensor<1x4x16x64xf32>
  return
}

// -----

func.func @attention_gqa_ratio(%q: tensor<1x32x16x64xf32>, %k: tensor<1x6x16x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op num_heads (32) must be a positive multiple of num_kv_heads (6)}}
  %0 = kestrel.attention %q, %k, %k {num_heads = 32 : i64, num_kv_heads = 6 : i64} : (tensor<1x32x16x64xf32>, tensor<1x6x16x64xf32>, tensor<1x6x16x64xf32>) -> tensor<1x32x16x64xf32>
  return
}

// -----

func.func @attention_query_heads(%q: tensor<1x16x16x64xf32>, %k: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op query has 16 heads (num_heads), expected 32}}
  %0 = kestrel.attention %q, %k, %k {num_heads = 32 : i64, num_kv_heads = 8 : i64} : (tensor<1x16x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>) -> tensor<1x32x16x64xf32>
  return
}

// -----

func.func @attention_kv_heads(%q: tensor<1x32x16x64xf32>, %k: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op key has 4 heads (num_kv_heads), expected 8}}
  %0 = kestrel.attention %q, %k, %k {num_heads = 32 : i64, num_kv_heads = 8 : i64} : (tensor<1x32x16x64xf32>, tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32>) -> tensor<1x32x16x64xf32>
  return
}

// -----

func.func @attention_value_heads(%q: tensor<1x32x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op value has 4 heads (num_kv_heads), expected 8}}
  %0 = kestrel.attention %q, %k, %v {num_heads = 32 : i64, num_kv_heads = 8 : i64} : (tensor<1x32x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x4x16x64xf32>) -> tensor<1x32x16x64xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<3x8x16x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op key has 3 as batch size, expected 2}}
  %0 = kestrel.attention %q, %k, %k {num_heads = 8 : i64, num_kv_heads = 8 : i64} : (tensor<2x8x16x64xf32>, tensor<3x8x16x64xf32>, tensor<3x8x16x64xf32>) -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @attention_value_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x16x64xf32>, %v: tensor<3x8x16x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op value has 3 as batch size, expected 2}}
  %0 = kestrel.attention %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 8 : i64} : (tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<3x8x16x64xf32>) -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<1x8x16x128xf32>, %k: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op key has 64 as head_dim, expected 128}}
  %0 = kestrel.attention %q, %k, %k {num_heads = 8 : i64, num_kv_heads = 8 : i64} : (tensor<1x8x16x128xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attention_kv_length(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x20x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op value has 20 as sequence length, expected 16}}
  %0 = kestrel.attention %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 8 : i64} : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x20x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attention_mask_type(%q: tensor<1x8x16x64xf32>, %m: tensor<16x16xi32>) {
  // expected-error @+1 {{'kestrel.attention' op mask must be i1 or the query's element type 'f32', got 'i32'}}
  %0 = kestrel.attention %q, %q, %q, %m {num_heads = 8 : i64, num_kv_heads = 8 : i64} : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<16x16xi32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attention_mask_shape(%q: tensor<1x8x16x64xf32>, %m: tensor<16x12xf32>) {
  // expected-error @+1 {{'kestrel.attention' op mask shape [16, 12] does not broadcast to the scores' shape [1, 8, 16, 16] ([batch, num_heads, q_seq, kv_seq])}}
  %0 = kestrel.attention %q, %q, %q, %m {num_heads = 8 : i64, num_kv_heads = 8 : i64} : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<16x12xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'kestrel.attention' op scale must be finite and non-zero}}
  %0 = kestrel.attention %q, %q, %q {num_heads = 8 : i64, num_kv_heads = 8 : i64, scale = 0.0 : f32} : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// fused_elementwise and yield
//===----------------------------------------------------------------------===//

// -----

func.func @fused_no_inputs() {
  // expected-error @+1 {{'kestrel.fused_elementwise' op needs at least one input}}
  %0 = kestrel.fused_elementwise {
    %c = arith.constant 1.0 : f32
    kestrel.yield %c : f32
  } -> tensor<4xf32>
  return
}

// -----

func.func @fused_no_results(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op needs at least one result}}
  "kestrel.fused_elementwise"(%x) ({
  ^bb0(%a: f32):
    kestrel.yield
  }) : (tensor<4xf32>) -> ()
  return
}

// -----

func.func @fused_inputs_broadcast(%x: tensor<4xf32>, %y: tensor<3xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op input shapes do not broadcast}}
  %0 = kestrel.fused_elementwise ins(%x, %y : tensor<4xf32>, tensor<3xf32>) {
  ^bb0(%a: f32, %b: f32):
    kestrel.yield %a : f32
  } -> tensor<4xf32>
  return
}

// -----

func.func @fused_result_shape(%x: tensor<2x4xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op result 0 has shape [4], expected the inputs' broadcast shape [2, 4]}}
  %0 = kestrel.fused_elementwise ins(%x, %y : tensor<2x4xf32>, tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32):
    kestrel.yield %a : f32
  } -> tensor<4xf32>
  return
}

// -----

func.func @fused_argument_count(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op body has 1 arguments, expected one per input (2)}}
  %0 = kestrel.fused_elementwise ins(%x, %y : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: f32):
    kestrel.yield %a : f32
  } -> tensor<4xf32>
  return
}

// -----

func.func @fused_argument_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op body argument 0 has type 'f16', expected 'f32' (the element type of input 0)}}
  %0 = kestrel.fused_elementwise ins(%x : tensor<4xf32>) {
  ^bb0(%a: f16):
    %e = arith.extf %a : f16 to f32
    kestrel.yield %e : f32
  } -> tensor<4xf32>
  return
}

// -----

func.func @fused_terminator(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op body must end with kestrel.yield}}
  %0 = kestrel.fused_elementwise ins(%x : tensor<4xf32>) {
  ^bb0(%a: f32):
    "test.terminator"(%a) : (f32) -> ()
  } -> tensor<4xf32>
  return
}

// -----

func.func @fused_yield_count(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op body yields 2 values, expected one per result (1)}}
  %0 = kestrel.fused_elementwise ins(%x : tensor<4xf32>) {
  ^bb0(%a: f32):
    kestrel.yield %a, %a : f32, f32
  } -> tensor<4xf32>
  return
}

// -----

func.func @fused_yield_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op yielded value 0 has type 'f32', expected 'bf16' (the element type of result 0)}}
  %0 = kestrel.fused_elementwise ins(%x : tensor<4xf32>) {
  ^bb0(%a: f32):
    kestrel.yield %a : f32
  } -> tensor<4xbf16>
  return
}

// -----

func.func @fused_foreign_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op body may only contain scalar arith and math ops, found 'test.op'}}
  %0 = kestrel.fused_elementwise ins(%x : tensor<4xf32>) {
  ^bb0(%a: f32):
    %b = "test.op"(%a) : (f32) -> f32
    kestrel.yield %b : f32
  } -> tensor<4xf32>
  return
}

// -----

func.func @fused_vector_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kestrel.fused_elementwise' op body op 'arith.constant' works on shaped values; only scalars are allowed}}
  %0 = kestrel.fused_elementwise ins(%x : tensor<4xf32>) {
  ^bb0(%a: f32):
    %v = arith.constant dense<1.0> : vector<4xf32>
    %w = arith.addf %v, %v : vector<4xf32>
    kestrel.yield %a : f32
  } -> tensor<4xf32>
  return
}

// -----

func.func @fused_captures_value(%x: tensor<4xf32>) {
  %c = arith.constant 1.0 : f32
  // expected-note @+1 {{required by region isolation constraints}}
  %0 = kestrel.fused_elementwise ins(%x : tensor<4xf32>) {
  ^bb0(%a: f32):
    // expected-error @+1 {{using value defined outside the region}}
    %s = arith.addf %a, %c : f32
    kestrel.yield %s : f32
  } -> tensor<4xf32>
  return
}

// -----

func.func @yield_outside_fused(%x: f32) {
  // expected-error @+1 {{'kestrel.yield' op expects parent op 'kestrel.fused_elementwise'}}
  kestrel.yield %x : f32
}

//===----------------------------------------------------------------------===//
// #kestrel.impl
//===----------------------------------------------------------------------===//

// -----

func.func @impl_not_an_impl(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kestrel.exp' op attribute 'kestrel.impl' must be a #kestrel.impl, not 3 : i64}}
  %0 = kestrel.exp %x {kestrel.impl = 3 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @impl_empty_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kestrel.exp' op has a #kestrel.impl without a candidate name}}
  %0 = kestrel.exp %x {kestrel.impl = #kestrel.impl<"", {}>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @impl_predicted_negative(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kestrel.exp' op #kestrel.impl predicted time -1 us is not a finite duration >= 0}}
  %0 = kestrel.exp %x {kestrel.impl = #kestrel.impl<"cpu.elementwise", {}, predicted_us = [2.0, -1.0]>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @impl_predicted_empty(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kestrel.exp' op #kestrel.impl has an empty predicted_us list}}
  %0 = kestrel.exp %x {kestrel.impl = #kestrel.impl<"cpu.elementwise", {}, predicted_us = []>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @impl_config_value(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kestrel.exp' op #kestrel.impl configuration 'tile' must be an integer, a string or a bool}}
  %0 = kestrel.exp %x {kestrel.impl = #kestrel.impl<"cpu.elementwise", {tile = [1, 2]}>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @cumsum_axis(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'kestrel.cumsum' op axis 2 is out of range for a rank-2 input (expected [0, 2))}}
  %0 = kestrel.cumsum %a {axis = 2 : i64} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @cumsum_bool(%a: tensor<4x8xi1>) {
  // expected-error @+1 {{'kestrel.cumsum' op operand #0 must be ranked tensor of}}
  %0 = kestrel.cumsum %a {axis = 1 : i64} : (tensor<4x8xi1>) -> tensor<4x8xi1>
  return
}

// -----

func.func @scatter_reduction(%x: tensor<4x8xf32>, %i: tensor<4x2xi64>, %u: tensor<4x2xf32>) {
  // expected-error @+1 {{'kestrel.scatter_elements' op reduction 'sum' is not one of none, add, mul, max, min}}
  %0 = kestrel.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "sum"} : (tensor<4x8xf32>, tensor<4x2xi64>, tensor<4x2xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @scatter_elements_shapes(%x: tensor<4x8xf32>, %i: tensor<4x2xi64>, %u: tensor<4x3xf32>) {
  // expected-error @+1 {{'kestrel.scatter_elements' op indices and updates differ in dim 1}}
  %0 = kestrel.scatter_elements %x, %i, %u {axis = 1 : i64} : (tensor<4x8xf32>, tensor<4x2xi64>, tensor<4x3xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @scatter_nd_updates(%c: tensor<64x8xf32>, %p: tensor<3x1xi64>, %kv: tensor<3x4xf32>) {
  // expected-error @+1 {{'kestrel.scatter_nd' op updates 'tensor<3x4xf32>' do not have the shape indices.shape[:-1] + input.shape[k:]}}
  %0 = kestrel.scatter_nd %c, %p, %kv : (tensor<64x8xf32>, tensor<3x1xi64>, tensor<3x4xf32>) -> tensor<64x8xf32>
  return
}

// -----

func.func @scatter_nd_types(%c: tensor<64x8xf32>, %p: tensor<3x1xi64>, %kv: tensor<3x8xi64>) {
  // expected-error @+1 {{'kestrel.scatter_nd' op updates must have the input's element type 'f32'}}
  %0 = kestrel.scatter_nd %c, %p, %kv : (tensor<64x8xf32>, tensor<3x1xi64>, tensor<3x8xi64>) -> tensor<64x8xf32>
  return
}

// -----

func.func @conv_group(%x: tensor<1x4x8xf32>, %w: tensor<6x4x3xf32>) {
  // expected-error @+1 {{'kestrel.conv' op the input's 4 channels must equal the weight's 4 per group times group = 2}}
  %0 = kestrel.conv %x, %w {dilations = array<i64: 1>, group = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x4x8xf32>, tensor<6x4x3xf32>) -> tensor<1x6x6xf32>
  return
}

// -----

func.func @conv_pads(%x: tensor<1x4x8xf32>, %w: tensor<6x4x3xf32>) {
  // expected-error @+1 {{'kestrel.conv' op strides and dilations need 1 values and pads 2, got 1, 1 and 4}}
  %0 = kestrel.conv %x, %w {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1>} : (tensor<1x4x8xf32>, tensor<6x4x3xf32>) -> tensor<1x6x6xf32>
  return
}

// -----

func.func @conv_kernel_too_large(%x: tensor<1x4x2xf32>, %w: tensor<6x4x3xf32>) {
  // expected-error @+1 {{'kestrel.conv' op the kernel (3, dilation 2) is larger than spatial dim 0 with its pads (2)}}
  %0 = kestrel.conv %x, %w {dilations = array<i64: 2>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x4x2xf32>, tensor<6x4x3xf32>) -> tensor<1x6x1xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<1x4x8xf32>, %w: tensor<6x4x3xf32>) {
  // expected-error @+1 {{'kestrel.conv' op result type(s) 'tensor<1x6x8xf32>' are incompatible with the inferred type(s) 'tensor<1x6x6xf32>'}}
  %0 = kestrel.conv %x, %w {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x4x8xf32>, tensor<6x4x3xf32>) -> tensor<1x6x8xf32>
  return
}

// -----

func.func @pad_count(%x: tensor<4x8xf32>, %v: tensor<f32>) {
  // expected-error @+1 {{'kestrel.pad' op pads needs 4 entries (begin and end pads of 2 dims), got 2}}
  %0 = kestrel.pad %x, %v {pads = array<i64: 1, 1>} : (tensor<4x8xf32>, tensor<f32>) -> tensor<6x8xf32>
  return
}

// -----

func.func @pad_crop_past_zero(%x: tensor<4x8xf32>, %v: tensor<f32>) {
  // expected-error @+1 {{'kestrel.pad' op dimension 0 of size 4 cannot take pads (-3, -2)}}
  %0 = kestrel.pad %x, %v {pads = array<i64: -3, 0, -2, 0>} : (tensor<4x8xf32>, tensor<f32>) -> tensor<0x8xf32>
  return
}

// -----

func.func @pad_mode(%x: tensor<4x8xf32>, %v: tensor<f32>) {
  // expected-error @+1 {{'kestrel.pad' op mode must be constant, reflect, edge or wrap, got 'symmetric'}}
  %0 = kestrel.pad %x, %v {pads = array<i64: 0, 0, 0, 0>, mode = "symmetric"} : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @pad_value_type(%x: tensor<4x8xf32>, %v: tensor<i64>) {
  // expected-error @+1 {{'kestrel.pad' op failed to verify that all of {input, value} have same element type}}
  %0 = kestrel.pad %x, %v {pads = array<i64: 0, 0, 0, 0>} : (tensor<4x8xf32>, tensor<i64>) -> tensor<4x8xf32>
  return
}

// -----

func.func @pad_reflect_empty(%x: tensor<0x8xf32>, %v: tensor<f32>) {
  // expected-error @+1 {{'kestrel.pad' op reflect padding needs entries to copy, and dimension 0 is empty}}
  %0 = kestrel.pad %x, %v {pads = array<i64: 1, 0, 1, 0>, mode = "reflect"} : (tensor<0x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @pool_kind(%x: tensor<1x2x8x8xf32>) {
  // expected-error @+1 {{'kestrel.pool' op kind must be 'max' or 'average', got 'lp'}}
  %0 = kestrel.pool %x {kind = "lp", kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x7x7xf32>
  return
}

// -----

func.func @pool_counts(%x: tensor<1x2x8x8xf32>) {
  // expected-error @+1 {{'kestrel.pool' op kernel_shape, strides and dilations need 2 values and pads 4, got 1, 2, 2 and 4}}
  %0 = kestrel.pool %x {kind = "max", kernel_shape = array<i64: 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x7x7xf32>
  return
}

// -----

func.func @pool_window(%x: tensor<1x2x3x8xf32>) {
  // expected-error @+1 {{'kestrel.pool' op the window (kernel 5, dilation 1) is larger than spatial dim 0 with its pads (3)}}
  %0 = kestrel.pool %x {kind = "max", kernel_shape = array<i64: 5, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x3x8xf32>) -> tensor<1x2x1x7xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kestrel.pool' op input must have 1 to 3 spatial dims ([N, C, D1, ...]), got rank 2}}
  %0 = kestrel.pool %x {kind = "max", kernel_shape = array<i64: 2>, strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x7xf32>
  return
}

// -----

func.func @resize_counts(%x: tensor<1x2x8x8xf32>) {
  // expected-error @+1 {{'kestrel.resize' op sizes and scales need one value per dim (4), got 4 and 2}}
  %0 = kestrel.resize %x {scales = array<f32: 2.0, 2.0>, sizes = array<i64: -1, -1, -1, -1>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x16x16xf32>
  return
}

// -----

func.func @resize_mode(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kestrel.resize' op mode must be nearest, linear or cubic, got 'area'}}
  %0 = kestrel.resize %x {mode = "area", scales = array<f32: 1.0, 2.0>, sizes = array<i64: -1, -1>} : (tensor<4x8xf32>) -> tensor<4x16xf32>
  return
}

// -----

func.func @resize_roi(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kestrel.resize' op tf_crop_and_resize needs the roi}}
  %0 = kestrel.resize %x {coordinate_mode = "tf_crop_and_resize", scales = array<f32: 1.0, 2.0>, sizes = array<i64: -1, -1>} : (tensor<4x8xf32>) -> tensor<4x16xf32>
  return
}

// -----

func.func @resize_scale(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kestrel.resize' op dim 1 needs a size or a positive scale, got size -1 and scale 0.000000e+00}}
  %0 = kestrel.resize %x {scales = array<f32: 1.0, 0.0>, sizes = array<i64: -1, -1>} : (tensor<4x8xf32>) -> tensor<4x16xf32>
  return
}

// -----

func.func @resize_empty(%x: tensor<4x0xf32>) {
  // expected-error @+1 {{'kestrel.resize' op dim 1 is empty and cannot be resized to 3}}
  %0 = kestrel.resize %x {scales = array<f32: 1.0, 0.0>, sizes = array<i64: -1, 3>} : (tensor<4x0xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @conv_transpose_channels(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{'kestrel.conv_transpose' op the weight's 6 input channels must equal the input's 4, a multiple of group = 1}}
  %0 = kestrel.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<1x2x7x7xf32>
  return
}

// -----

func.func @conv_transpose_crop(%x: tensor<1x4x2x2xf32>, %w: tensor<4x2x1x1xf32>) {
  // expected-error @+1 {{'kestrel.conv_transpose' op spatial dim 0 of size 2 gives no output with its pads}}
  %0 = kestrel.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 1, 0, 1, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x2x2xf32>, tensor<4x2x1x1xf32>) -> tensor<1x2x1x2xf32>
  return
}

// -----

func.func @matmul_nbits_bits(%x: tensor<2x32xf32>, %q: tensor<8x1x16xui8>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{'kestrel.matmul_nbits' op bits must be 2, 4 or 8, got 3}}
  %0 = kestrel.matmul_nbits %x, %q, %s {bits = 3 : i64, block_size = 32 : i64, k = 32 : i64} : (tensor<2x32xf32>, tensor<8x1x16xui8>, tensor<8x1xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmul_nbits_accuracy(%x: tensor<2x32xf32>, %q: tensor<8x1x16xui8>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{'kestrel.matmul_nbits' op accuracy_level 5 is not one of 0 (unset), 1 (f32), 2 (f16), 3 (bf16), 4 (int8)}}
  %0 = kestrel.matmul_nbits %x, %q, %s {accuracy_level = 5 : i64, bits = 4 : i64, block_size = 32 : i64, k = 32 : i64} : (tensor<2x32xf32>, tensor<8x1x16xui8>, tensor<8x1xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmul_nbits_weight(%x: tensor<2x40xf32>, %q: tensor<8x1x16xui8>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{'kestrel.matmul_nbits' op weight must be [N, 2, 16] bytes for k = 40, block_size = 32 and bits = 4, got [8, 1, 16]}}
  %0 = kestrel.matmul_nbits %x, %q, %s {bits = 4 : i64, block_size = 32 : i64, k = 40 : i64} : (tensor<2x40xf32>, tensor<8x1x16xui8>, tensor<8x1xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmul_nbits_lhs(%x: tensor<2x30xf32>, %q: tensor<8x1x16xui8>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{'kestrel.matmul_nbits' op lhs must be [..., 32], got [2, 30]}}
  %0 = kestrel.matmul_nbits %x, %q, %s {bits = 4 : i64, block_size = 32 : i64, k = 32 : i64} : (tensor<2x30xf32>, tensor<8x1x16xui8>, tensor<8x1xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmul_nbits_zero_points(%x: tensor<2x32xf32>, %q: tensor<8x1x16xui8>, %s: tensor<8x1xf32>, %z: tensor<8xui8>) {
  // expected-error @+1 {{'kestrel.matmul_nbits' op zero_points must be [8, 1], got [8]}}
  %0 = kestrel.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, block_size = 32 : i64, k = 32 : i64} : (tensor<2x32xf32>, tensor<8x1x16xui8>, tensor<8x1xf32>, tensor<8xui8>) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmul_nbits_packed_lhs(%x: tensor<2x32xui8>, %q: tensor<8x1x16xui8>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{'kestrel.matmul_nbits' op operand #0 must be ranked tensor of}}
  %0 = kestrel.matmul_nbits %x, %q, %s {bits = 4 : i64, block_size = 32 : i64, k = 32 : i64} : (tensor<2x32xui8>, tensor<8x1x16xui8>, tensor<8x1xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @gather_nbits_scales(%q: tensor<8x2x8xui8>, %s: tensor<8x1xf32>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{'kestrel.gather_nbits' op scales must be [8, 2], got [8, 1]}}
  %0 = kestrel.gather_nbits %q, %s, %ids {bits = 4 : i64, block_size = 16 : i64, k = 32 : i64} : (tensor<8x2x8xui8>, tensor<8x1xf32>, tensor<3xi64>) -> tensor<3x32xf32>
  return
}
