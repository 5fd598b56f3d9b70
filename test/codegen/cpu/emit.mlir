// The C++ the CPU backend emits: value storage, host (shape) ops run while
// shapes are worked out, aliases without kernel calls, planned offsets.
// RUN: rm -rf %t && kestrelc %s --emit=source -o %t --name m \
// RUN:   --dim-range seq=1:64
// RUN: FileCheck %s < %t/m.cpp
// RUN: FileCheck %s --check-prefix=HEADER < %t/m.h

module {
  func.func @main(%x: tensor<?x8xf32> {kestrel.name = "x", kestrel.dim_names = ["seq", ""]}) -> (tensor<?x4x2xf32> {kestrel.name = "y"}) {
    %c = kestrel.constant dense<[4, 2]> : tensor<2xi64>
    %two = kestrel.constant dense<2.0> : tensor<f32>
    %e = kestrel.exp %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
    %s = kestrel.shape_of %x : (tensor<?x8xf32>) -> tensor<2xi64>
    %n = kestrel.slice %s {starts = array<i64: 0>, ends = array<i64: 1>, steps = array<i64: 1>} : (tensor<2xi64>) -> tensor<1xi64>
    %shape = kestrel.concat %n, %c {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
    %r = kestrel.reshape %e : (tensor<?x8xf32>) -> tensor<?x2x4xf32>
    %m = kestrel.mul %r, %two : (tensor<?x2x4xf32>, tensor<f32>) -> tensor<?x2x4xf32>
    %y = kestrel.reshape %m, %shape : (tensor<?x2x4xf32>, tensor<3xi64>) -> tensor<?x4x2xf32>
    return %y : tensor<?x4x2xf32>
  }
}

// CHECK: namespace kestrel_model_m {
// CHECK: const DimSymbol symbols[] = {
// CHECK-NEXT: {"seq", 1, 64},
// CHECK: const IoDesc inputs[] = {
// CHECK-NEXT: {"x", DType::F32, 2, in0_dims, in0_symbols, 0},
// CHECK: const IoDesc outputs[] = {
// CHECK-NEXT: {"y", DType::F32, 3, out0_dims, nullptr, 9},
// The exp lives in the arena until the mul (through the reshape that
// aliases it); the shape arithmetic feeding the last reshape is host
// values, computed while shapes are worked out; the result is written into
// the output buffer.
// CHECK: const ValueDesc values[] = {
// CHECK-NEXT: {Storage::Input, DType::F32, 0, 0, 3, 0},
// CHECK-NEXT: {Storage::Constant, DType::I64, 0, 0, 5, 0},
// CHECK-NEXT: {Storage::Constant, DType::F32, 1, 1, 7, 0},
// CHECK-NEXT: {Storage::Arena, DType::F32, -1, 2, 7, 0},
// CHECK-NEXT: {Storage::Host, DType::I64, -1, 3, 4, 0},
// CHECK-NEXT: {Storage::Host, DType::I64, -1, 4, 5, 0},
// CHECK-NEXT: {Storage::Host, DType::I64, -1, 5, 8, 0},
// CHECK-NEXT: {Storage::Alias, DType::F32, 3, 6, 6, 0},
// CHECK-NEXT: {Storage::Arena, DType::F32, -1, 7, 8, 0},
// CHECK-NEXT: {Storage::Output, DType::F32, 0, 8, 9, 0},
// CHECK-NOT: staticOffsets
// CHECK-LABEL: bool inferShapes(Exec &x, int32_t stage) {
// CHECK: OP_TRY(x.setShape(3, v[0].shape, Shape{-1, 8}));
// CHECK: v[4].shape = Shape{2};
// CHECK-NEXT: TRY(x.allocHost(4));
// CHECK-NEXT: if (!shapeOf(c, v[0].shape, v[4]))
// CHECK: TRY(x.allocHost(5));
// CHECK-NEXT: if (!slice(c, v[4],
// CHECK: TRY(x.allocHost(6));
// CHECK: if (!concat(c, in, 2, 0, v[6]))
// CHECK: OP_TRY(reshapeShape(c, v[3].shape, nullptr, false, Shape{-1, 2, 4}, s));
// CHECK: OP_TRY(broadcastShape(c, v[7].shape, v[2].shape, s));
// CHECK: OP_TRY(reshapeShape(c, v[8].shape, &v[6], false, Shape{-1, 4, 2}, s));
// CHECK-LABEL: bool execute(Exec &x, int32_t stage) {
// CHECK: if (!unary(c, UnaryOp::Exp, v[0], v[3])) return x.opFailed("%3 = kestrel.exp");
// CHECK-NEXT: if (!binary(c, BinaryOp::Mul, v[7], v[2], v[8]))
// CHECK-NEXT: if (!copy(c, v[8], v[9]))
// CHECK-NEXT: return true;
// CHECK: extern "C" KESTREL_API const kestrel_model_def *m_model(void) {

// HEADER: #include "kestrel/runtime.h"
// HEADER: * Inputs:
// HEADER-NEXT: *   x: f32 [seq, 8]
// HEADER: *   y: f32 [?, 4, 2]
// HEADER: * Symbolic dims
// HEADER: *   seq: 1..64
// HEADER: #define M_RUNTIME_VERSION 1
// HEADER-NEXT: #if KESTREL_RUNTIME_VERSION != M_RUNTIME_VERSION
// HEADER: #define M_WEIGHTS_FILE "m.kweights"
// HEADER-NEXT: #define M_NUM_INPUTS 1
// HEADER-NEXT: #define M_NUM_OUTPUTS 1
// HEADER: #define M_INPUT_X "x"
// HEADER-NEXT: #define M_INPUT_X_DTYPE KESTREL_F32
// HEADER-NEXT: #define M_INPUT_X_RANK 2
// HEADER-NEXT: #define M_OUTPUT_Y "y"
// HEADER-NEXT: #define M_OUTPUT_Y_DTYPE KESTREL_F32
// HEADER-NEXT: #define M_OUTPUT_Y_RANK 3
// HEADER-NEXT: #define M_DIM_SEQ_MIN 1
// HEADER-NEXT: #define M_DIM_SEQ_MAX 64
// HEADER: KESTREL_API const kestrel_model_def *m_model(void);
