// RUN: kestrel-opt %s -kestrel-infer-shapes -split-input-file | FileCheck %s

// A chain refines step by step, and the entry function's results follow.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME: -> tensor<4x8xf32>
// CHECK: kestrel.add %{{.+}}, %{{.+}} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK: kestrel.exp %{{.+}} : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: return %{{.+}} : tensor<4x8xf32>
func.func @chain(%a: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<?x?xf32> {
  %0 = kestrel.add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = kestrel.exp %0 : (tensor<?x8xf32>) -> tensor<?x?xf32>
  return %1 : tensor<?x?xf32>
}

// -----

// Dims that stay dynamic in the operands stay dynamic; a declared static dim
// is kept (it refines the inferred one).
// CHECK-LABEL: func.func @keeps_declared(
// CHECK: kestrel.matmul %{{.+}}, %{{.+}} : (tensor<?x16xf32>, tensor<16x?xf32>) -> tensor<?x32xf32>
func.func @keeps_declared(%a: tensor<?x16xf32>, %b: tensor<16x?xf32>) -> tensor<?x32xf32> {
  %0 = kestrel.matmul %a, %b : (tensor<?x16xf32>, tensor<16x?xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// cast keeps its operand's shape; reshape takes a constant shape operand,
// read with ONNX semantics (0 copies the input dim, -1 stays unknown).
// CHECK-LABEL: func.func @cast_and_reshape(
// CHECK: kestrel.cast %{{.+}} : (tensor<2x6xf32>) -> tensor<2x6xbf16>
// CHECK: kestrel.reshape %{{.+}}, %{{.+}} : (tensor<2x6xbf16>, tensor<2xi64>) -> tensor<3x4xbf16>
// CHECK: kestrel.reshape %{{.+}}, %{{.+}} : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
func.func @cast_and_reshape(%a: tensor<2x6xf32>, %b: tensor<?x?x64xf32>) -> (tensor<?x?xbf16>, tensor<?x?x?x?xf32>) {
  %s = kestrel.constant dense<[3, 4]> : tensor<2xi64>
  %0 = kestrel.cast %a : (tensor<2x6xf32>) -> tensor<?x?xbf16>
  %1 = kestrel.reshape %0, %s : (tensor<?x?xbf16>, tensor<2xi64>) -> tensor<?x?xbf16>
  %t = kestrel.constant dense<[0, -1, 4, 16]> : tensor<4xi64>
  %2 = kestrel.reshape %b, %t : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  return %1, %2 : tensor<?x?xbf16>, tensor<?x?x?x?xf32>
}

// -----

// Fused ops refine too: attention takes Sq from the query and Dv from value.
// CHECK-LABEL: func.func @attention(
// CHECK: kestrel.attention {{.+}} -> tensor<1x8x16x64xf16>
func.func @attention(%q: tensor<1x8x16x64xf16>, %k: tensor<1x2x32x64xf16>, %v: tensor<1x2x32x64xf16>) -> tensor<?x8x?x?xf16> {
  %0 = kestrel.attention %q, %k, %v {causal = true, num_heads = 8 : i64, num_kv_heads = 2 : i64} : (tensor<1x8x16x64xf16>, tensor<1x2x32x64xf16>, tensor<1x2x32x64xf16>) -> tensor<?x8x?x?xf16>
  return %0 : tensor<?x8x?x?xf16>
}

// -----

// A function with callers keeps its signature, so the value it returns keeps
// its type; the call site is untouched.
// CHECK-LABEL: func.func private @callee(
// CHECK-SAME: -> tensor<?xf32>
// CHECK: kestrel.neg %{{.+}} : (tensor<4xf32>) -> tensor<?xf32>
// CHECK-LABEL: func.func @caller(
// CHECK: call @callee(%{{.+}}) : (tensor<4xf32>) -> tensor<?xf32>
func.func private @callee(%a: tensor<4xf32>) -> tensor<?xf32> {
  %0 = kestrel.neg %a : (tensor<4xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
func.func @caller(%a: tensor<4xf32>) -> tensor<?xf32> {
  %0 = func.call @callee(%a) : (tensor<4xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @fused_elementwise(
// CHECK: } -> tensor<2x8xf32>, tensor<2x8xi1>
func.func @fused_elementwise(%a: tensor<2x1xf32>, %b: tensor<8xf32>) -> (tensor<?x?xf32>, tensor<?x8xi1>) {
  %0:2 = kestrel.fused_elementwise ins(%a, %b : tensor<2x1xf32>, tensor<8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %y : f32
    %c = arith.cmpf olt, %x, %y : f32
    kestrel.yield %s, %c : f32, i1
  } -> tensor<?x?xf32>, tensor<?x8xi1>
  return %0#0, %0#1 : tensor<?x?xf32>, tensor<?x8xi1>
}
