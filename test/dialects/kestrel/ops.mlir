// Round trip of every kestrel op through the pretty form, the generic form and
// bytecode: each RUN line must print the same pretty IR.
// RUN: kestrel-opt %s | kestrel-opt | FileCheck %s
// RUN: kestrel-opt %s --mlir-print-op-generic | kestrel-opt | FileCheck %s
// RUN: kestrel-opt %s --emit-bytecode | kestrel-opt | FileCheck %s

// CHECK-LABEL: func.func @neg(
// CHECK-SAME: %[[X:.+]]: tensor<2x?xi32>
// CHECK: kestrel.neg %[[X]] : (tensor<2x?xi32>) -> tensor<2x?xi32>
func.func @neg(%x: tensor<2x?xi32>) -> tensor<2x?xi32> {
  %0 = kestrel.neg %x : (tensor<2x?xi32>) -> tensor<2x?xi32>
  return %0 : tensor<2x?xi32>
}

// CHECK-LABEL: func.func @abs(
// CHECK-SAME: %[[X:.+]]: tensor<4xf16>
// CHECK: kestrel.abs %[[X]] : (tensor<4xf16>) -> tensor<4xf16>
func.func @abs(%x: tensor<4xf16>) -> tensor<4xf16> {
  %0 = kestrel.abs %x : (tensor<4xf16>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// CHECK-LABEL: func.func @relu(
// CHECK-SAME: %[[X:.+]]: tensor<?x8xbf16>
// CHECK: kestrel.relu %[[X]] : (tensor<?x8xbf16>) -> tensor<?x8xbf16>
func.func @relu(%x: tensor<?x8xbf16>) -> tensor<?x8xbf16> {
  %0 = kestrel.relu %x : (tensor<?x8xbf16>) -> tensor<?x8xbf16>
  return %0 : tensor<?x8xbf16>
}

// CHECK-LABEL: func.func @sqrt(
// CHECK-SAME: %[[X:.+]]: tensor<4xf32>
// CHECK: kestrel.sqrt %[[X]] : (tensor<4xf32>) -> tensor<4xf32>
func.func @sqrt(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kestrel.sqrt %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @rsqrt(
// CHECK-SAME: %[[X:.+]]: tensor<4xf32>
// CHECK: kestrel.rsqrt %[[X]] : (tensor<4xf32>) -> tensor<4xf32>
func.func @rsqrt(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kestrel.rsqrt %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @reciprocal(
// CHECK-SAME: %[[X:.+]]: tensor<4xf16>
// CHECK: kestrel.reciprocal %[[X]] : (tensor<4xf16>) -> tensor<4xf16>
func.func @reciprocal(%x: tensor<4xf16>) -> tensor<4xf16> {
  %0 = kestrel.reciprocal %x : (tensor<4xf16>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// CHECK-LABEL: func.func @exp(
// CHECK-SAME: %[[X:.+]]: tensor<?xbf16>
// CHECK: kestrel.exp %[[X]] : (tensor<?xbf16>) -> tensor<?xbf16>
func.func @exp(%x: tensor<?xbf16>) -> tensor<?xbf16> {
  %0 = kestrel.exp %x : (tensor<?xbf16>) -> tensor<?xbf16>
  return %0 : tensor<?xbf16>
}

// CHECK-LABEL: func.func @log(
// CHECK-SAME: %[[X:.+]]: tensor<4xf32>
// CHECK: kestrel.log %[[X]] : (tensor<4xf32>) -> tensor<4xf32>
func.func @log(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kestrel.log %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @erf(
// CHECK-SAME: %[[X:.+]]: tensor<4xf32>
// CHECK: kestrel.erf %[[X]] : (tensor<4xf32>) -> tensor<4xf32>
func.func @erf(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kestrel.erf %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @tanh(
// CHECK-SAME: %[[X:.+]]: tensor<4xf32>
// CHECK: kestrel.tanh %[[X]] : (tensor<4xf32>) -> tensor<4xf32>
func.func @tanh(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kestrel.tanh %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @sin(
// CHECK-SAME: %[[X:.+]]: tensor<4xf32>
// CHECK: kestrel.sin %[[X]] : (tensor<4xf32>) -> tensor<4xf32>
func.func @sin(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kestrel.sin %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @cos(
// CHECK-SAME: %[[X:.+]]: tensor<4xf32>
// CHECK: kestrel.cos %[[X]] : (tensor<4xf32>) -> tensor<4xf32>
func.func @cos(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kestrel.cos %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @sigmoid(
// CHECK-SAME: %[[X:.+]]: tensor<4xf32>
// CHECK: kestrel.sigmoid %[[X]] : (tensor<4xf32>) -> tensor<4xf32>
func.func @sigmoid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kestrel.sigmoid %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @silu(
// CHECK-SAME: %[[X:.+]]: tensor<2x3xbf16>
// CHECK: kestrel.silu %[[X]] : (tensor<2x3xbf16>) -> tensor<2x3xbf16>
func.func @silu(%x: tensor<2x3xbf16>) -> tensor<2x3xbf16> {
  %0 = kestrel.silu %x : (tensor<2x3xbf16>) -> tensor<2x3xbf16>
  return %0 : tensor<2x3xbf16>
}

// CHECK-LABEL: func.func @not(
// CHECK-SAME: %[[X:.+]]: tensor<3xi1>
// CHECK: kestrel.not %[[X]] : (tensor<3xi1>) -> tensor<3xi1>
func.func @not(%x: tensor<3xi1>) -> tensor<3xi1> {
  %0 = kestrel.not %x : (tensor<3xi1>) -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// CHECK-LABEL: func.func @gelu(
// CHECK: kestrel.gelu %{{.+}} : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
// CHECK: kestrel.gelu %{{.+}} {approximate = true} : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
func.func @gelu(%x: tensor<?x3072xf32>) -> tensor<?x3072xf32> {
  %0 = kestrel.gelu %x : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
  %1 = kestrel.gelu %0 {approximate = true} : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
  return %1 : tensor<?x3072xf32>
}

// CHECK-LABEL: func.func @add(
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x8x128xf32>, %[[B:[^:]+]]: tensor<128xf32>
// CHECK: kestrel.add %[[A]], %[[B]] : (tensor<?x8x128xf32>, tensor<128xf32>) -> tensor<?x8x128xf32>
func.func @add(%a: tensor<?x8x128xf32>, %b: tensor<128xf32>) -> tensor<?x8x128xf32> {
  %0 = kestrel.add %a, %b : (tensor<?x8x128xf32>, tensor<128xf32>) -> tensor<?x8x128xf32>
  return %0 : tensor<?x8x128xf32>
}

// CHECK-LABEL: func.func @sub(
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x8x128xbf16>, %[[B:[^:]+]]: tensor<128xbf16>
// CHECK: kestrel.sub %[[A]], %[[B]] : (tensor<?x8x128xbf16>, tensor<128xbf16>) -> tensor<?x8x128xbf16>
func.func @sub(%a: tensor<?x8x128xbf16>, %b: tensor<128xbf16>) -> tensor<?x8x128xbf16> {
  %0 = kestrel.sub %a, %b : (tensor<?x8x128xbf16>, tensor<128xbf16>) -> tensor<?x8x128xbf16>
  return %0 : tensor<?x8x128xbf16>
}

// CHECK-LABEL: func.func @mul(
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x8x128xf16>, %[[B:[^:]+]]: tensor<128xf16>
// CHECK: kestrel.mul %[[A]], %[[B]] : (tensor<?x8x128xf16>, tensor<128xf16>) -> tensor<?x8x128xf16>
func.func @mul(%a: tensor<?x8x128xf16>, %b: tensor<128xf16>) -> tensor<?x8x128xf16> {
  %0 = kestrel.mul %a, %b : (tensor<?x8x128xf16>, tensor<128xf16>) -> tensor<?x8x128xf16>
  return %0 : tensor<?x8x128xf16>
}

// CHECK-LABEL: func.func @div(
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x8x128xi64>, %[[B:[^:]+]]: tensor<128xi64>
// CHECK: kestrel.div %[[A]], %[[B]] : (tensor<?x8x128xi64>, tensor<128xi64>) -> tensor<?x8x128xi64>
func.func @div(%a: tensor<?x8x128xi64>, %b: tensor<128xi64>) -> tensor<?x8x128xi64> {
  %0 = kestrel.div %a, %b : (tensor<?x8x128xi64>, tensor<128xi64>) -> tensor<?x8x128xi64>
  return %0 : tensor<?x8x128xi64>
}

// CHECK-LABEL: func.func @pow(
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x8x128xf32>, %[[B:[^:]+]]: tensor<128xf32>
// CHECK: kestrel.pow %[[A]], %[[B]] : (tensor<?x8x128xf32>, tensor<128xf32>) -> tensor<?x8x128xf32>
func.func @pow(%a: tensor<?x8x128xf32>, %b: tensor<128xf32>) -> tensor<?x8x128xf32> {
  %0 = kestrel.pow %a, %b : (tensor<?x8x128xf32>, tensor<128xf32>) -> tensor<?x8x128xf32>
  return %0 : tensor<?x8x128xf32>
}

// CHECK-LABEL: func.func @max(
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x8x128xi32>, %[[B:[^:]+]]: tensor<128xi32>
// CHECK: kestrel.max %[[A]], %[[B]] : (tensor<?x8x128xi32>, tensor<128xi32>) -> tensor<?x8x128xi32>
func.func @max(%a: tensor<?x8x128xi32>, %b: tensor<128xi32>) -> tensor<?x8x128xi32> {
  %0 = kestrel.max %a, %b : (tensor<?x8x128xi32>, tensor<128xi32>) -> tensor<?x8x128xi32>
  return %0 : tensor<?x8x128xi32>
}

// CHECK-LABEL: func.func @min(
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x8x128xf32>, %[[B:[^:]+]]: tensor<128xf32>
// CHECK: kestrel.min %[[A]], %[[B]] : (tensor<?x8x128xf32>, tensor<128xf32>) -> tensor<?x8x128xf32>
func.func @min(%a: tensor<?x8x128xf32>, %b: tensor<128xf32>) -> tensor<?x8x128xf32> {
  %0 = kestrel.min %a, %b : (tensor<?x8x128xf32>, tensor<128xf32>) -> tensor<?x8x128xf32>
  return %0 : tensor<?x8x128xf32>
}

// CHECK-LABEL: func.func @pad(
// CHECK: kestrel.pad %{{.+}}, %{{.+}} {pads = array<i64: 0, 2, 0, 1>} : (tensor<?x6xf32>, tensor<f32>) -> tensor<?x9xf32>
// CHECK: kestrel.pad %{{.+}}, %{{.+}} {mode = "reflect", pads = array<i64: 0, -1, 0, 3>} : (tensor<?x6xi64>, tensor<i64>) -> tensor<?x8xi64>
func.func @pad(%x: tensor<?x6xf32>, %v: tensor<f32>, %t: tensor<?x6xi64>, %w: tensor<i64>) -> (tensor<?x9xf32>, tensor<?x8xi64>) {
  %0 = kestrel.pad %x, %v {pads = array<i64: 0, 2, 0, 1>} : (tensor<?x6xf32>, tensor<f32>) -> tensor<?x9xf32>
  %1 = kestrel.pad %t, %w {pads = array<i64: 0, -1, 0, 3>, mode = "reflect"} : (tensor<?x6xi64>, tensor<i64>) -> tensor<?x8xi64>
  return %0, %1 : tensor<?x9xf32>, tensor<?x8xi64>
}

// CHECK-LABEL: func.func @mod(
// CHECK: kestrel.mod %{{.+}}, %{{.+}} : (tensor<?x6xi64>, tensor<6xi64>) -> tensor<?x6xi64>
// CHECK: kestrel.fmod %{{.+}}, %{{.+}} : (tensor<?x6xf32>, tensor<f32>) -> tensor<?x6xf32>
func.func @mod(%a: tensor<?x6xi64>, %b: tensor<6xi64>, %x: tensor<?x6xf32>, %y: tensor<f32>) -> (tensor<?x6xi64>, tensor<?x6xf32>) {
  %0 = kestrel.mod %a, %b : (tensor<?x6xi64>, tensor<6xi64>) -> tensor<?x6xi64>
  %1 = kestrel.fmod %x, %y : (tensor<?x6xf32>, tensor<f32>) -> tensor<?x6xf32>
  return %0, %1 : tensor<?x6xi64>, tensor<?x6xf32>
}

// CHECK-LABEL: func.func @equal(
// CHECK: kestrel.equal %{{.+}}, %{{.+}} : (tensor<1x?xi64>, tensor<4x1xi64>) -> tensor<4x?xi1>
func.func @equal(%a: tensor<1x?xi64>, %b: tensor<4x1xi64>) -> tensor<4x?xi1> {
  %0 = kestrel.equal %a, %b : (tensor<1x?xi64>, tensor<4x1xi64>) -> tensor<4x?xi1>
  return %0 : tensor<4x?xi1>
}

// CHECK-LABEL: func.func @not_equal(
// CHECK: kestrel.not_equal %{{.+}}, %{{.+}} : (tensor<1x?xi32>, tensor<4x1xi32>) -> tensor<4x?xi1>
func.func @not_equal(%a: tensor<1x?xi32>, %b: tensor<4x1xi32>) -> tensor<4x?xi1> {
  %0 = kestrel.not_equal %a, %b : (tensor<1x?xi32>, tensor<4x1xi32>) -> tensor<4x?xi1>
  return %0 : tensor<4x?xi1>
}

// CHECK-LABEL: func.func @less(
// CHECK: kestrel.less %{{.+}}, %{{.+}} : (tensor<1x?xf32>, tensor<4x1xf32>) -> tensor<4x?xi1>
func.func @less(%a: tensor<1x?xf32>, %b: tensor<4x1xf32>) -> tensor<4x?xi1> {
  %0 = kestrel.less %a, %b : (tensor<1x?xf32>, tensor<4x1xf32>) -> tensor<4x?xi1>
  return %0 : tensor<4x?xi1>
}

// CHECK-LABEL: func.func @less_equal(
// CHECK: kestrel.less_equal %{{.+}}, %{{.+}} : (tensor<1x?xbf16>, tensor<4x1xbf16>) -> tensor<4x?xi1>
func.func @less_equal(%a: tensor<1x?xbf16>, %b: tensor<4x1xbf16>) -> tensor<4x?xi1> {
  %0 = kestrel.less_equal %a, %b : (tensor<1x?xbf16>, tensor<4x1xbf16>) -> tensor<4x?xi1>
  return %0 : tensor<4x?xi1>
}

// CHECK-LABEL: func.func @greater(
// CHECK: kestrel.greater %{{.+}}, %{{.+}} : (tensor<1x?xf16>, tensor<4x1xf16>) -> tensor<4x?xi1>
func.func @greater(%a: tensor<1x?xf16>, %b: tensor<4x1xf16>) -> tensor<4x?xi1> {
  %0 = kestrel.greater %a, %b : (tensor<1x?xf16>, tensor<4x1xf16>) -> tensor<4x?xi1>
  return %0 : tensor<4x?xi1>
}

// CHECK-LABEL: func.func @greater_equal(
// CHECK: kestrel.greater_equal %{{.+}}, %{{.+}} : (tensor<1x?xf32>, tensor<4x1xf32>) -> tensor<4x?xi1>
func.func @greater_equal(%a: tensor<1x?xf32>, %b: tensor<4x1xf32>) -> tensor<4x?xi1> {
  %0 = kestrel.greater_equal %a, %b : (tensor<1x?xf32>, tensor<4x1xf32>) -> tensor<4x?xi1>
  return %0 : tensor<4x?xi1>
}

// CHECK-LABEL: func.func @and(
// CHECK: kestrel.and %{{.+}}, %{{.+}} : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
func.func @and(%a: tensor<?x?xi1>, %b: tensor<?x?xi1>) -> tensor<?x?xi1> {
  %0 = kestrel.and %a, %b : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  return %0 : tensor<?x?xi1>
}

// CHECK-LABEL: func.func @or(
// CHECK: kestrel.or %{{.+}}, %{{.+}} : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
func.func @or(%a: tensor<?x?xi1>, %b: tensor<?x?xi1>) -> tensor<?x?xi1> {
  %0 = kestrel.or %a, %b : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  return %0 : tensor<?x?xi1>
}

// CHECK-LABEL: func.func @xor(
// CHECK: kestrel.xor %{{.+}}, %{{.+}} : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
func.func @xor(%a: tensor<?x?xi1>, %b: tensor<?x?xi1>) -> tensor<?x?xi1> {
  %0 = kestrel.xor %a, %b : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  return %0 : tensor<?x?xi1>
}

// CHECK-LABEL: func.func @where(
// CHECK-SAME: %[[C:[^:]+]]: tensor<1x1x?x?xi1>, %[[X:[^:]+]]: tensor<?x32x?x?xf32>, %[[Y:[^:]+]]: tensor<f32>
// CHECK: kestrel.where %[[C]], %[[X]], %[[Y]] : (tensor<1x1x?x?xi1>, tensor<?x32x?x?xf32>, tensor<f32>) -> tensor<?x32x?x?xf32>
func.func @where(%c: tensor<1x1x?x?xi1>, %x: tensor<?x32x?x?xf32>, %y: tensor<f32>) -> tensor<?x32x?x?xf32> {
  %0 = kestrel.where %c, %x, %y : (tensor<1x1x?x?xi1>, tensor<?x32x?x?xf32>, tensor<f32>) -> tensor<?x32x?x?xf32>
  return %0 : tensor<?x32x?x?xf32>
}

// CHECK-LABEL: func.func @cast(
// CHECK: kestrel.cast %{{.+}} : (tensor<?x4096xf32>) -> tensor<?x4096xf8E4M3FN>
// CHECK: kestrel.cast %{{.+}} : (tensor<?x4096xf8E4M3FN>) -> tensor<?x4096xbf16>
// CHECK: kestrel.cast %{{.+}} : (tensor<?x4096xbf16>) -> tensor<?x4096xi1>
func.func @cast(%x: tensor<?x4096xf32>) -> tensor<?x4096xi1> {
  %0 = kestrel.cast %x : (tensor<?x4096xf32>) -> tensor<?x4096xf8E4M3FN>
  %1 = kestrel.cast %0 : (tensor<?x4096xf8E4M3FN>) -> tensor<?x4096xbf16>
  %2 = kestrel.cast %1 : (tensor<?x4096xbf16>) -> tensor<?x4096xi1>
  return %2 : tensor<?x4096xi1>
}

// CHECK-LABEL: func.func @matmul(
// CHECK: kestrel.matmul %{{.+}}, %{{.+}} : (tensor<?x32x?x128xf16>, tensor<?x32x128x?xf16>) -> tensor<?x32x?x?xf16>
// CHECK: kestrel.matmul %{{.+}}, %{{.+}} {transpose_b = true} : (tensor<?x?x4096xbf16>, tensor<11008x4096xbf16>) -> tensor<?x?x11008xbf16>
// CHECK: kestrel.matmul %{{.+}}, %{{.+}} {transpose_a = true} : (tensor<64x16xi32>, tensor<3x64x8xi32>) -> tensor<3x16x8xi32>
func.func @matmul(%q: tensor<?x32x?x128xf16>, %kt: tensor<?x32x128x?xf16>,
                  %x: tensor<?x?x4096xbf16>, %w: tensor<11008x4096xbf16>,
                  %a: tensor<64x16xi32>, %b: tensor<3x64x8xi32>)
    -> (tensor<?x32x?x?xf16>, tensor<?x?x11008xbf16>, tensor<3x16x8xi32>) {
  %0 = kestrel.matmul %q, %kt : (tensor<?x32x?x128xf16>, tensor<?x32x128x?xf16>) -> tensor<?x32x?x?xf16>
  %1 = kestrel.matmul %x, %w {transpose_b = true} : (tensor<?x?x4096xbf16>, tensor<11008x4096xbf16>) -> tensor<?x?x11008xbf16>
  %2 = kestrel.matmul %a, %b {transpose_a = true} : (tensor<64x16xi32>, tensor<3x64x8xi32>) -> tensor<3x16x8xi32>
  return %0, %1, %2 : tensor<?x32x?x?xf16>, tensor<?x?x11008xbf16>, tensor<3x16x8xi32>
}

// CHECK-LABEL: func.func @softmax(
// CHECK: kestrel.softmax %{{.+}} {axis = 3 : i64} : (tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32>
// CHECK: kestrel.log_softmax %{{.+}} {axis = 0 : i64} : (tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32>
func.func @softmax(%s: tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32> {
  %0 = kestrel.softmax %s {axis = 3 : i64} : (tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32>
  %1 = kestrel.log_softmax %0 {axis = 0 : i64} : (tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32>
  return %1 : tensor<?x32x?x?xf32>
}

// CHECK-LABEL: func.func @reductions(
// CHECK: kestrel.reduce_sum %{{.+}} {axes = array<i64: 2>} : (tensor<?x?x4096xf32>) -> tensor<?x?x1xf32>
// CHECK: kestrel.reduce_mean %{{.+}} {axes = array<i64: 1, 2>, keepdims = false} : (tensor<?x?x4096xf32>) -> tensor<?xf32>
// CHECK: kestrel.reduce_max %{{.+}} {axes = array<i64: 0>} : (tensor<8x?xi64>) -> tensor<1x?xi64>
// CHECK: kestrel.reduce_min %{{.+}} {axes = array<i64: 0, 1>, keepdims = false} : (tensor<8x?xi64>) -> tensor<i64>
func.func @reductions(%x: tensor<?x?x4096xf32>, %i: tensor<8x?xi64>)
    -> (tensor<?x?x1xf32>, tensor<?xf32>, tensor<1x?xi64>, tensor<i64>) {
  %0 = kestrel.reduce_sum %x {axes = array<i64: 2>} : (tensor<?x?x4096xf32>) -> tensor<?x?x1xf32>
  %1 = kestrel.reduce_mean %x {axes = array<i64: 1, 2>, keepdims = false} : (tensor<?x?x4096xf32>) -> tensor<?xf32>
  %2 = kestrel.reduce_max %i {axes = array<i64: 0>} : (tensor<8x?xi64>) -> tensor<1x?xi64>
  %3 = kestrel.reduce_min %i {axes = array<i64: 0, 1>, keepdims = false} : (tensor<8x?xi64>) -> tensor<i64>
  return %0, %1, %2, %3 : tensor<?x?x1xf32>, tensor<?xf32>, tensor<1x?xi64>, tensor<i64>
}

// CHECK-LABEL: func.func @reshape(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x4096xf32>, %[[S:[^:]+]]: tensor<4xi64>
// CHECK: kestrel.reshape %[[X]] : (tensor<?x?x4096xf32>) -> tensor<?x32x128xf32>
// CHECK: kestrel.reshape %[[X]], %[[S]] : (tensor<?x?x4096xf32>, tensor<4xi64>) -> tensor<?x?x32x128xf32>
func.func @reshape(%x: tensor<?x?x4096xf32>, %s: tensor<4xi64>) -> (tensor<?x32x128xf32>, tensor<?x?x32x128xf32>) {
  %0 = kestrel.reshape %x : (tensor<?x?x4096xf32>) -> tensor<?x32x128xf32>
  %1 = kestrel.reshape %x, %s : (tensor<?x?x4096xf32>, tensor<4xi64>) -> tensor<?x?x32x128xf32>
  return %0, %1 : tensor<?x32x128xf32>, tensor<?x?x32x128xf32>
}

// CHECK-LABEL: func.func @transpose(
// CHECK: kestrel.transpose %{{.+}} {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x32x128xbf16>) -> tensor<?x32x?x128xbf16>
func.func @transpose(%x: tensor<?x?x32x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %0 = kestrel.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x32x128xbf16>) -> tensor<?x32x?x128xbf16>
  return %0 : tensor<?x32x?x128xbf16>
}

// CHECK-LABEL: func.func @concat_split(
// CHECK: kestrel.concat %{{.+}}, %{{.+}} {axis = 2 : i64} : (tensor<1x8x?x128xf16>, tensor<1x8x1x128xf16>) -> tensor<1x8x?x128xf16>
// CHECK: kestrel.split %{{.+}} {axis = 2 : i64, sizes = array<i64: 4096, 1024, 1024>} : (tensor<?x?x6144xf32>) -> (tensor<?x?x4096xf32>, tensor<?x?x1024xf32>, tensor<?x?x1024xf32>)
func.func @concat_split(%past: tensor<1x8x?x128xf16>, %new: tensor<1x8x1x128xf16>, %qkv: tensor<?x?x6144xf32>)
    -> (tensor<1x8x?x128xf16>, tensor<?x?x4096xf32>, tensor<?x?x1024xf32>, tensor<?x?x1024xf32>) {
  %0 = kestrel.concat %past, %new {axis = 2 : i64} : (tensor<1x8x?x128xf16>, tensor<1x8x1x128xf16>) -> tensor<1x8x?x128xf16>
  %q, %k, %v = kestrel.split %qkv {axis = 2 : i64, sizes = array<i64: 4096, 1024, 1024>} : (tensor<?x?x6144xf32>) -> (tensor<?x?x4096xf32>, tensor<?x?x1024xf32>, tensor<?x?x1024xf32>)
  return %0, %q, %k, %v : tensor<1x8x?x128xf16>, tensor<?x?x4096xf32>, tensor<?x?x1024xf32>, tensor<?x?x1024xf32>
}

// CHECK-LABEL: func.func @slice(
// CHECK: kestrel.slice %{{.+}} {ends = array<i64: 9223372036854775807, 128>, starts = array<i64: 0, 64>, steps = array<i64: 1, 1>} : (tensor<?x128xf32>) -> tensor<?x64xf32>
// CHECK: kestrel.slice %{{.+}} {ends = array<i64: -9223372036854775808>, starts = array<i64: -1>, steps = array<i64: -2>} : (tensor<7xi32>) -> tensor<4xi32>
func.func @slice(%x: tensor<?x128xf32>, %y: tensor<7xi32>) -> (tensor<?x64xf32>, tensor<4xi32>) {
  %0 = kestrel.slice %x {starts = array<i64: 0, 64>, ends = array<i64: 9223372036854775807, 128>, steps = array<i64: 1, 1>} : (tensor<?x128xf32>) -> tensor<?x64xf32>
  %1 = kestrel.slice %y {starts = array<i64: -1>, ends = array<i64: -9223372036854775808>, steps = array<i64: -2>} : (tensor<7xi32>) -> tensor<4xi32>
  return %0, %1 : tensor<?x64xf32>, tensor<4xi32>
}

// CHECK-LABEL: func.func @gather(
// CHECK: kestrel.gather %{{.+}}, %{{.+}} {axis = 0 : i64} : (tensor<32000x4096xbf16>, tensor<?x?xi64>) -> tensor<?x?x4096xbf16>
// CHECK: kestrel.gather %{{.+}}, %{{.+}} {axis = 1 : i64} : (tensor<4x6xf32>, tensor<i32>) -> tensor<4xf32>
func.func @gather(%table: tensor<32000x4096xbf16>, %ids: tensor<?x?xi64>, %x: tensor<4x6xf32>, %i: tensor<i32>)
    -> (tensor<?x?x4096xbf16>, tensor<4xf32>) {
  %0 = kestrel.gather %table, %ids {axis = 0 : i64} : (tensor<32000x4096xbf16>, tensor<?x?xi64>) -> tensor<?x?x4096xbf16>
  %1 = kestrel.gather %x, %i {axis = 1 : i64} : (tensor<4x6xf32>, tensor<i32>) -> tensor<4xf32>
  return %0, %1 : tensor<?x?x4096xbf16>, tensor<4xf32>
}

// CHECK-LABEL: func.func @expand(
// CHECK: kestrel.expand %{{.+}} : (tensor<?x8x1x?x128xf32>) -> tensor<?x8x4x?x128xf32>
// CHECK: kestrel.expand %{{.+}}, %{{.+}} : (tensor<1x128xf32>, tensor<2xi64>) -> tensor<?x128xf32>
func.func @expand(%kv: tensor<?x8x1x?x128xf32>, %row: tensor<1x128xf32>, %s: tensor<2xi64>)
    -> (tensor<?x8x4x?x128xf32>, tensor<?x128xf32>) {
  %0 = kestrel.expand %kv : (tensor<?x8x1x?x128xf32>) -> tensor<?x8x4x?x128xf32>
  %1 = kestrel.expand %row, %s : (tensor<1x128xf32>, tensor<2xi64>) -> tensor<?x128xf32>
  return %0, %1 : tensor<?x8x4x?x128xf32>, tensor<?x128xf32>
}

// CHECK-LABEL: func.func @values(
// CHECK: kestrel.constant dense<[1, 2, 3]> : tensor<3xi64>
// CHECK: kestrel.constant dense<true> : tensor<2x2xi1>
// CHECK: kestrel.weight "model.layers.0.mlp.up_proj.weight" : tensor<11008x4096xbf16>
// CHECK: kestrel.weight "lm_head.scale" : tensor<4096xf8E4M3FN>
func.func @values() -> (tensor<3xi64>, tensor<2x2xi1>, tensor<11008x4096xbf16>, tensor<4096xf8E4M3FN>) {
  %0 = kestrel.constant dense<[1, 2, 3]> : tensor<3xi64>
  %1 = kestrel.constant dense<true> : tensor<2x2xi1>
  %2 = kestrel.weight "model.layers.0.mlp.up_proj.weight" : tensor<11008x4096xbf16>
  %3 = kestrel.weight "lm_head.scale" : tensor<4096xf8E4M3FN>
  return %0, %1, %2, %3 : tensor<3xi64>, tensor<2x2xi1>, tensor<11008x4096xbf16>, tensor<4096xf8E4M3FN>
}

// CHECK-LABEL: func.func @norms(
// CHECK: kestrel.rms_norm %{{.+}}, %{{.+}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x?x4096xbf16>
// CHECK: kestrel.layer_norm %{{.+}}, %{{.+}}, %{{.+}} {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
// CHECK: kestrel.layer_norm %{{.+}}, %{{.+}} {axis = 1 : i64, epsilon = 0.000000e+00 : f32} : (tensor<?x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
func.func @norms(%x: tensor<?x?x4096xbf16>, %w: tensor<4096xbf16>, %y: tensor<?x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>)
    -> (tensor<?x?x4096xbf16>, tensor<?x768xf32>, tensor<?x768xf32>) {
  %0 = kestrel.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<?x?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x?x4096xbf16>
  %1 = kestrel.layer_norm %y, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  %2 = kestrel.layer_norm %y, %g {axis = 1 : i64, epsilon = 0.0 : f32} : (tensor<?x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  return %0, %1, %2 : tensor<?x?x4096xbf16>, tensor<?x768xf32>, tensor<?x768xf32>
}

// CHECK-LABEL: func.func @add_norms(
// CHECK: %{{.+}}, %{{.+}} = kestrel.add_rms_norm %{{.+}}, %{{.+}}, %{{.+}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x?x4096xbf16>, tensor<?x?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x?x4096xbf16>, tensor<?x?x4096xbf16>)
// CHECK: %{{.+}}, %{{.+}} = kestrel.add_layer_norm %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x768xf32>, tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> (tensor<?x768xf32>, tensor<?x768xf32>)
// CHECK: %{{.+}}, %{{.+}} = kestrel.add_layer_norm %{{.+}}, %{{.+}}, %{{.+}} {axis = 1 : i64, epsilon = 0.000000e+00 : f32} : (tensor<?x768xf32>, tensor<?x768xf32>, tensor<768xf32>) -> (tensor<?x768xf32>, tensor<?x768xf32>)
func.func @add_norms(%x: tensor<?x?x4096xbf16>, %r: tensor<?x?x4096xbf16>, %w: tensor<4096xbf16>, %y: tensor<?x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>)
    -> (tensor<?x?x4096xbf16>, tensor<?x768xf32>, tensor<?x768xf32>) {
  %h0, %n0 = kestrel.add_rms_norm %x, %r, %w {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<?x?x4096xbf16>, tensor<?x?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x?x4096xbf16>, tensor<?x?x4096xbf16>)
  %h1, %n1 = kestrel.add_layer_norm %y, %y, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<?x768xf32>, tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> (tensor<?x768xf32>, tensor<?x768xf32>)
  %h2, %n2 = kestrel.add_layer_norm %y, %h1, %g {axis = 1 : i64, epsilon = 0.0 : f32} : (tensor<?x768xf32>, tensor<?x768xf32>, tensor<768xf32>) -> (tensor<?x768xf32>, tensor<?x768xf32>)
  return %n0, %n1, %n2 : tensor<?x?x4096xbf16>, tensor<?x768xf32>, tensor<?x768xf32>
}

// CHECK-LABEL: func.func @rope(
// CHECK: kestrel.rope %{{.+}}, %{{.+}}, %{{.+}} : (tensor<?x32x?x128xf32>, tensor<?x1x?x64xf32>, tensor<?x1x?x64xf32>) -> tensor<?x32x?x128xf32>
// CHECK: kestrel.rope %{{.+}}, %{{.+}}, %{{.+}} {interleaved = true, rotary_dim = 64 : i64} : (tensor<?x32x?x128xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32x?x128xf32>
func.func @rope(%q: tensor<?x32x?x128xf32>, %cos: tensor<?x1x?x64xf32>, %sin: tensor<?x1x?x64xf32>,
                %c2: tensor<?x32xf32>, %s2: tensor<?x32xf32>) -> tensor<?x32x?x128xf32> {
  %0 = kestrel.rope %q, %cos, %sin : (tensor<?x32x?x128xf32>, tensor<?x1x?x64xf32>, tensor<?x1x?x64xf32>) -> tensor<?x32x?x128xf32>
  %1 = kestrel.rope %0, %c2, %s2 {interleaved = true, rotary_dim = 64 : i64} : (tensor<?x32x?x128xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32x?x128xf32>
  return %1 : tensor<?x32x?x128xf32>
}

// CHECK-LABEL: func.func @attention(
// CHECK: kestrel.attention %{{.+}}, %{{.+}}, %{{.+}} {causal = true, num_heads = 32 : i64, num_kv_heads = 8 : i64} : (tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16>
// CHECK: kestrel.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {num_heads = 32 : i64, num_kv_heads = 8 : i64, scale = 1.250000e-01 : f32} : (tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x1x1x?xbf16>) -> tensor<?x32x?x128xbf16>
// CHECK: kestrel.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {causal = true, num_heads = 32 : i64, num_kv_heads = 8 : i64} : (tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x?xi1>) -> tensor<?x32x?x128xbf16>
func.func @attention(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>,
                     %pad: tensor<?x1x1x?xbf16>, %keep: tensor<?x?xi1>) -> tensor<?x32x?x128xbf16> {
  %0 = kestrel.attention %q, %k, %v {causal = true, num_heads = 32 : i64, num_kv_heads = 8 : i64} : (tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16>
  %1 = kestrel.attention %0, %k, %v, %pad {num_heads = 32 : i64, num_kv_heads = 8 : i64, scale = 0.125 : f32} : (tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x1x1x?xbf16>) -> tensor<?x32x?x128xbf16>
  %2 = kestrel.attention %1, %k, %v, %keep {causal = true, num_heads = 32 : i64, num_kv_heads = 8 : i64} : (tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x?xi1>) -> tensor<?x32x?x128xbf16>
  return %2 : tensor<?x32x?x128xbf16>
}

// The [B, S, H, D] layout: the result keeps it; the mask broadcasts to
// [B, H, Sq, Skv] as in the default layout.
// CHECK-LABEL: func.func @attention_bshd(
// CHECK: kestrel.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {causal = true, layout = "bshd", num_heads = 32 : i64, num_kv_heads = 8 : i64} : (tensor<?x?x32x128xbf16>, tensor<?x?x8x128xbf16>, tensor<?x?x8x64xbf16>, tensor<?x1x1x?xbf16>) -> tensor<?x?x32x64xbf16>
func.func @attention_bshd(%q: tensor<?x?x32x128xbf16>, %k: tensor<?x?x8x128xbf16>, %v: tensor<?x?x8x64xbf16>, %pad: tensor<?x1x1x?xbf16>) -> tensor<?x?x32x64xbf16> {
  %0 = kestrel.attention %q, %k, %v, %pad {causal = true, layout = "bshd", num_heads = 32 : i64, num_kv_heads = 8 : i64} : (tensor<?x?x32x128xbf16>, tensor<?x?x8x128xbf16>, tensor<?x?x8x64xbf16>, tensor<?x1x1x?xbf16>) -> tensor<?x?x32x64xbf16>
  return %0 : tensor<?x?x32x64xbf16>
}

// CHECK-LABEL: func.func @multi_matmul(
// CHECK: %{{.+}}:3 = kestrel.multi_matmul %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} biases %{{.+}}, %{{.+}}, %{{.+}} {transpose_b = true} : (tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>, tensor<64xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>)
// CHECK: kestrel.multi_matmul %{{.+}}, %{{.+}}, %{{.+}} {activation = "silu", alpha = 5.000000e-01 : f32, glu = true} : (tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<64x96xf32>) -> tensor<?x?x96xf32>
func.func @multi_matmul(%x: tensor<?x?x64xf32>, %wq: tensor<64x64xf32>, %wk: tensor<16x64xf32>, %bq: tensor<64xf32>, %bk: tensor<16xf32>, %g: tensor<64x96xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x16xf32>, tensor<?x?x96xf32>) {
  %q, %k, %v = kestrel.multi_matmul %x, %wq, %wk, %wk biases %bq, %bk, %bk {transpose_b = true} : (tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>, tensor<64xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>)
  %h = kestrel.multi_matmul %x, %g, %g {activation = "silu", alpha = 0.5 : f32, glu = true} : (tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<64x96xf32>) -> tensor<?x?x96xf32>
  return %q, %k, %h : tensor<?x?x64xf32>, tensor<?x?x16xf32>, tensor<?x?x96xf32>
}

// CHECK-LABEL: func.func @fused_elementwise(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x4096xf32>, %[[B:[^:]+]]: tensor<4096xf32>
// CHECK: %[[R:.+]]:2 = kestrel.fused_elementwise ins(%[[X]], %[[B]] : tensor<?x4096xf32>, tensor<4096xf32>) {
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[C:.+]]: f32):
// CHECK-NEXT:   %[[S:.+]] = arith.addf %[[A]], %[[C]] : f32
// CHECK-NEXT:   %[[E:.+]] = math.exp %[[S]] : f32
// CHECK-NEXT:   %[[T:.+]] = arith.truncf %[[E]] : f32 to bf16
// CHECK-NEXT:   kestrel.yield %[[E]], %[[T]] : f32, bf16
// CHECK-NEXT: } -> tensor<?x4096xf32>, tensor<?x4096xbf16>
func.func @fused_elementwise(%x: tensor<?x4096xf32>, %b: tensor<4096xf32>) -> (tensor<?x4096xf32>, tensor<?x4096xbf16>) {
  %0:2 = kestrel.fused_elementwise ins(%x, %b : tensor<?x4096xf32>, tensor<4096xf32>) {
  ^bb0(%a: f32, %c: f32):
    %s = arith.addf %a, %c : f32
    %e = math.exp %s : f32
    %t = arith.truncf %e : f32 to bf16
    kestrel.yield %e, %t : f32, bf16
  } -> tensor<?x4096xf32>, tensor<?x4096xbf16>
  return %0#0, %0#1 : tensor<?x4096xf32>, tensor<?x4096xbf16>
}

// CHECK-LABEL: func.func @shape_ops(
// CHECK: kestrel.shape_of %{{.+}} : (tensor<?x?x4096xf32>) -> tensor<3xi64>
// CHECK: kestrel.range %{{.+}}, %{{.+}}, %{{.+}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
// CHECK: kestrel.top_k %{{.+}} {axis = 1 : i64, k = 2 : i64} : (tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi64>)
// CHECK: kestrel.top_k %{{.+}} {axis = 0 : i64, k = 1 : i64, largest = false} : (tensor<?x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xi64>)
func.func @shape_ops(%x: tensor<?x?x4096xf32>, %s: tensor<i64>, %l: tensor<i64>, %logits: tensor<?x8xf32>)
    -> (tensor<3xi64>, tensor<?xi64>, tensor<?x2xf32>, tensor<?x2xi64>, tensor<1x8xf32>) {
  %0 = kestrel.shape_of %x : (tensor<?x?x4096xf32>) -> tensor<3xi64>
  %1 = kestrel.range %s, %l, %s : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %w, %i = kestrel.top_k %logits {axis = 1 : i64, k = 2 : i64} : (tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi64>)
  %m:2 = kestrel.top_k %logits {axis = 0 : i64, k = 1 : i64, largest = false} : (tensor<?x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xi64>)
  return %0, %1, %w, %i, %m#0 : tensor<3xi64>, tensor<?xi64>, tensor<?x2xf32>, tensor<?x2xi64>, tensor<1x8xf32>
}

// CHECK-LABEL: func.func @gathers(
// CHECK: kestrel.gather_elements %{{.+}}, %{{.+}} {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?x2xi64>) -> tensor<?x2xf32>
// CHECK: kestrel.gather_nd %{{.+}}, %{{.+}} : (tensor<4x64x32xf32>, tensor<?x1xi64>) -> tensor<?x64x32xf32>
// CHECK: kestrel.gather_nd %{{.+}}, %{{.+}} {batch_dims = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x1xi32>) -> tensor<2x5x4xf32>
func.func @gathers(%x: tensor<?x8xf32>, %i: tensor<?x2xi64>, %w: tensor<4x64x32xf32>, %e: tensor<?x1xi64>,
                   %b: tensor<2x3x4xf32>, %j: tensor<2x5x1xi32>) -> (tensor<?x2xf32>, tensor<?x64x32xf32>, tensor<2x5x4xf32>) {
  %0 = kestrel.gather_elements %x, %i {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?x2xi64>) -> tensor<?x2xf32>
  %1 = kestrel.gather_nd %w, %e : (tensor<4x64x32xf32>, tensor<?x1xi64>) -> tensor<?x64x32xf32>
  %2 = kestrel.gather_nd %b, %j {batch_dims = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x1xi32>) -> tensor<2x5x4xf32>
  return %0, %1, %2 : tensor<?x2xf32>, tensor<?x64x32xf32>, tensor<2x5x4xf32>
}

// CHECK-LABEL: func.func @nonzeros(
// CHECK: kestrel.nonzero %{{.+}} : (tensor<4x8xi1>) -> tensor<2x?xi64>
// CHECK: kestrel.nonzero %{{.+}} : (tensor<f32>) -> tensor<1x?xi64>
func.func @nonzeros(%m: tensor<4x8xi1>, %s: tensor<f32>) -> (tensor<2x?xi64>, tensor<1x?xi64>) {
  %0 = kestrel.nonzero %m : (tensor<4x8xi1>) -> tensor<2x?xi64>
  %1 = kestrel.nonzero %s : (tensor<f32>) -> tensor<1x?xi64>
  return %0, %1 : tensor<2x?xi64>, tensor<1x?xi64>
}

// CHECK-LABEL: func.func @dynamic_slice_and_allow_zero(
// CHECK: kestrel.dynamic_slice %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : (tensor<1x1x128x128xi1>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>) -> tensor<1x1x?x?xi1>
// CHECK: kestrel.reshape %{{.+}}, %{{.+}} {allow_zero = true} : (tensor<?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
func.func @dynamic_slice_and_allow_zero(%m: tensor<1x1x128x128xi1>, %s: tensor<4xi64>, %x: tensor<?x?xf32>, %shape: tensor<3xi64>)
    -> (tensor<1x1x?x?xi1>, tensor<?x?x?xf32>) {
  %0 = kestrel.dynamic_slice %m, %s, %s, %s : (tensor<1x1x128x128xi1>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>) -> tensor<1x1x?x?xi1>
  %1 = kestrel.reshape %x, %shape {allow_zero = true} : (tensor<?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %0, %1 : tensor<1x1x?x?xi1>, tensor<?x?x?xf32>
}

// The kernel choice kestrel-select-kernels attaches.
// CHECK-LABEL: func.func @impl(
// CHECK: kestrel.matmul %{{.+}}, %{{.+}} {kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {gemv_max_m = 8 : i64, tile_k = 32 : i64, tile_m = 128 : i64, tile_n = 128 : i64, warps_m = 2 : i64, warps_n = 4 : i64}>} :
// CHECK: kestrel.exp %{{.+}} {kestrel.impl = #kestrel.impl<"cpu.elementwise", {}>} :
// With the predicted times, one per dynamic-dim scenario, printed as %g:
// CHECK: kestrel.neg %{{.+}} {kestrel.impl = #kestrel.impl<"cpu.elementwise", {}, predicted_us = [0.25, 1234.5]>} :
func.func @impl(%x: tensor<?x64xbf16>, %w: tensor<64x256xbf16>) -> (tensor<?x256xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>) {
  %0 = kestrel.matmul %x, %w {kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {tile_m = 128, tile_n = 128, tile_k = 32, warps_m = 2, warps_n = 4, gemv_max_m = 8}>} : (tensor<?x64xbf16>, tensor<64x256xbf16>) -> tensor<?x256xbf16>
  %1 = kestrel.exp %x {kestrel.impl = #kestrel.impl<"cpu.elementwise", {}>} : (tensor<?x64xbf16>) -> tensor<?x64xbf16>
  %2 = kestrel.neg %x {kestrel.impl = #kestrel.impl<"cpu.elementwise", {}, predicted_us = [0.25, 1.2345e3]>} : (tensor<?x64xbf16>) -> tensor<?x64xbf16>
  return %0, %1, %2 : tensor<?x256xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>
}

// CHECK-LABEL: func.func @cumsum(
// CHECK: kestrel.cumsum %{{.+}} {axis = 1 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi64>
// CHECK: kestrel.cumsum %{{.+}} {axis = 0 : i64, exclusive = true, reverse = true} : (tensor<3x5xbf16>) -> tensor<3x5xbf16>
func.func @cumsum(%m: tensor<?x?xi64>, %x: tensor<3x5xbf16>) -> (tensor<?x?xi64>, tensor<3x5xbf16>) {
  %0 = kestrel.cumsum %m {axis = 1 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi64>
  %1 = kestrel.cumsum %x {axis = 0 : i64, exclusive = true, reverse = true} : (tensor<3x5xbf16>) -> tensor<3x5xbf16>
  return %0, %1 : tensor<?x?xi64>, tensor<3x5xbf16>
}

// CHECK-LABEL: func.func @scatters(
// CHECK: kestrel.scatter_elements %{{.+}}, %{{.+}}, %{{.+}} {axis = 1 : i64, reduction = "add"} : (tensor<4x8xf32>, tensor<4x2xi64>, tensor<4x2xf32>) -> tensor<4x8xf32>
// CHECK: kestrel.scatter_nd %{{.+}}, %{{.+}}, %{{.+}} : (tensor<64x8xbf16>, tensor<?x1xi64>, tensor<?x8xbf16>) -> tensor<64x8xbf16>
func.func @scatters(%x: tensor<4x8xf32>, %i: tensor<4x2xi64>, %u: tensor<4x2xf32>, %c: tensor<64x8xbf16>, %p: tensor<?x1xi64>, %kv: tensor<?x8xbf16>) -> (tensor<4x8xf32>, tensor<64x8xbf16>) {
  %0 = kestrel.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "add"} : (tensor<4x8xf32>, tensor<4x2xi64>, tensor<4x2xf32>) -> tensor<4x8xf32>
  %1 = kestrel.scatter_nd %c, %p, %kv : (tensor<64x8xbf16>, tensor<?x1xi64>, tensor<?x8xbf16>) -> tensor<64x8xbf16>
  return %0, %1 : tensor<4x8xf32>, tensor<64x8xbf16>
}

// CHECK-LABEL: func.func @conv(
// CHECK: kestrel.conv %{{.+}}, %{{.+}}, %{{.+}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<?x8x16x16xf32>
// CHECK: kestrel.conv %{{.+}}, %{{.+}} {dilations = array<i64: 2>, group = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<2x4x?xbf16>, tensor<6x2x3xbf16>) -> tensor<2x6x?xbf16>
func.func @conv(%x: tensor<?x3x32x32xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>, %a: tensor<2x4x?xbf16>, %v: tensor<6x2x3xbf16>) -> (tensor<?x8x16x16xf32>, tensor<2x6x?xbf16>) {
  %0 = kestrel.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<?x8x16x16xf32>
  %1 = kestrel.conv %a, %v {dilations = array<i64: 2>, group = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<2x4x?xbf16>, tensor<6x2x3xbf16>) -> tensor<2x6x?xbf16>
  return %0, %1 : tensor<?x8x16x16xf32>, tensor<2x6x?xbf16>
}

// CHECK-LABEL: func.func @conv_transpose(
// CHECK: kestrel.conv_transpose %{{.+}}, %{{.+}}, %{{.+}} {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x8x16x16xf32>, tensor<8x3x3x3xf32>, tensor<3xf32>) -> tensor<?x3x32x32xf32>
func.func @conv_transpose(%x: tensor<?x8x16x16xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<?x3x32x32xf32> {
  %0 = kestrel.conv_transpose %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x8x16x16xf32>, tensor<8x3x3x3xf32>, tensor<3xf32>) -> tensor<?x3x32x32xf32>
  return %0 : tensor<?x3x32x32xf32>
}

// CHECK-LABEL: func.func @matmul_nbits(
// CHECK: kestrel.matmul_nbits %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {bits = 4 : i64, block_size = 32 : i64, k = 40 : i64} : (tensor<?x?x40xf32>, tensor<24x2x16xui8>, tensor<24x2xf32>, tensor<24x2xui8>) -> tensor<?x?x24xf32>
// CHECK: kestrel.matmul_nbits %{{.+}}, %{{.+}}, %{{.+}} {bits = 8 : i64, block_size = 16 : i64, k = 24 : i64} : (tensor<3x24xbf16>, tensor<5x2x16xui8>, tensor<5x2xf32>) -> tensor<3x5xbf16>
func.func @matmul_nbits(%x: tensor<?x?x40xf32>, %y: tensor<3x24xbf16>) -> (tensor<?x?x24xf32>, tensor<3x5xbf16>) {
  %q = kestrel.weight "q" : tensor<24x2x16xui8>
  %s = kestrel.weight "s" : tensor<24x2xf32>
  %z = kestrel.weight "z" : tensor<24x2xui8>
  %0 = kestrel.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, block_size = 32 : i64, k = 40 : i64} : (tensor<?x?x40xf32>, tensor<24x2x16xui8>, tensor<24x2xf32>, tensor<24x2xui8>) -> tensor<?x?x24xf32>
  %q8 = kestrel.weight "q8" : tensor<5x2x16xui8>
  %s8 = kestrel.weight "s8" : tensor<5x2xf32>
  %1 = kestrel.matmul_nbits %y, %q8, %s8 {bits = 8 : i64, block_size = 16 : i64, k = 24 : i64} : (tensor<3x24xbf16>, tensor<5x2x16xui8>, tensor<5x2xf32>) -> tensor<3x5xbf16>
  return %0, %1 : tensor<?x?x24xf32>, tensor<3x5xbf16>
}

// CHECK-LABEL: func.func @gather_nbits(
// CHECK: kestrel.gather_nbits %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {bits = 4 : i64, block_size = 16 : i64, k = 32 : i64} : (tensor<48x2x8xui8>, tensor<48x2xf32>, tensor<?x?xi64>, tensor<48x2xui8>) -> tensor<?x?x32xf32>
func.func @gather_nbits(%ids: tensor<?x?xi64>) -> tensor<?x?x32xf32> {
  %q = kestrel.weight "q" : tensor<48x2x8xui8>
  %s = kestrel.weight "s" : tensor<48x2xf32>
  %z = kestrel.weight "z" : tensor<48x2xui8>
  %0 = kestrel.gather_nbits %q, %s, %ids, %z {bits = 4 : i64, block_size = 16 : i64, k = 32 : i64} : (tensor<48x2x8xui8>, tensor<48x2xf32>, tensor<?x?xi64>, tensor<48x2xui8>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// CHECK-LABEL: func.func @pool_resize(
// CHECK: kestrel.pool %{{.+}} {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, kind = "max", pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x8x32x32xf32>) -> tensor<?x8x17x17xf32>
// CHECK: kestrel.pool %{{.+}} {count_include_pad = true, dilations = array<i64: 1>, kernel_shape = array<i64: 2>, kind = "average", pads = array<i64: 0, 1>, strides = array<i64: 2>} : (tensor<2x4x?xbf16>) -> tensor<2x4x?xbf16>
// CHECK: kestrel.resize %{{.+}} {mode = "linear", scales = array<f32: 1.000000e+00, 1.000000e+00, 2.000000e+00, 0.000000e+00>, sizes = array<i64: -1, -1, -1, 20>} : (tensor<?x3x8x8xf32>) -> tensor<?x3x16x20xf32>
// CHECK: kestrel.resize %{{.+}} {coordinate_mode = "tf_crop_and_resize", extrapolation_value = 1.000000e+00 : f32, roi = array<f32: 0.000000e+00, 2.500000e-01, 1.000000e+00, 7.500000e-01>, scales = array<f32: 1.000000e+00, 0.000000e+00>, sizes = array<i64: -1, 5>} : (tensor<2x?xbf16>) -> tensor<2x5xbf16>
func.func @pool_resize(%x: tensor<?x8x32x32xf32>, %a: tensor<2x4x?xbf16>, %r: tensor<?x3x8x8xf32>, %t: tensor<2x?xbf16>) -> (tensor<?x8x17x17xf32>, tensor<2x4x?xbf16>, tensor<?x3x16x20xf32>, tensor<2x5xbf16>) {
  %0 = kestrel.pool %x {kind = "max", kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = true} : (tensor<?x8x32x32xf32>) -> tensor<?x8x17x17xf32>
  %1 = kestrel.pool %a {kind = "average", kernel_shape = array<i64: 2>, strides = array<i64: 2>, pads = array<i64: 0, 1>, dilations = array<i64: 1>, count_include_pad = true} : (tensor<2x4x?xbf16>) -> tensor<2x4x?xbf16>
  %2 = kestrel.resize %r {mode = "linear", scales = array<f32: 1.0, 1.0, 2.0, 0.0>, sizes = array<i64: -1, -1, -1, 20>} : (tensor<?x3x8x8xf32>) -> tensor<?x3x16x20xf32>
  %3 = kestrel.resize %t {coordinate_mode = "tf_crop_and_resize", extrapolation_value = 1.0 : f32, roi = array<f32: 0.0, 0.25, 1.0, 0.75>, scales = array<f32: 1.0, 0.0>, sizes = array<i64: -1, 5>} : (tensor<2x?xbf16>) -> tensor<2x5xbf16>
  return %0, %1, %2, %3 : tensor<?x8x17x17xf32>, tensor<2x4x?xbf16>, tensor<?x3x16x20xf32>, tensor<2x5xbf16>
}

// CHECK-LABEL: func.func @rounding(
// CHECK: kestrel.floor %{{.+}} : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK: kestrel.ceil %{{.+}} : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK: kestrel.round %{{.+}} : (tensor<?x4xbf16>) -> tensor<?x4xbf16>
func.func @rounding(%x: tensor<?x4xf32>, %b: tensor<?x4xbf16>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xbf16>) {
  %0 = kestrel.floor %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %1 = kestrel.ceil %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = kestrel.round %b : (tensor<?x4xbf16>) -> tensor<?x4xbf16>
  return %0, %1, %2 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xbf16>
}
