// RUN: kestrel-opt %s -kestrel-plan-memory -split-input-file -verify-diagnostics | FileCheck %s

// A chain: each value dies at its only use, so the third buffer reuses the
// first; 3 KiB of intermediates fit in 2 KiB. The returned value is written
// straight into its output buffer (no arena offset).
// CHECK-LABEL: func.func @chain(
// CHECK-SAME: kestrel.arena_bytes = 2048 : i64, kestrel.intermediate_bytes = 3072 : i64
// CHECK: kestrel.exp %{{.+}} {kestrel.arena_offsets = array<i64: 0>}
// CHECK: kestrel.neg %{{.+}} {kestrel.arena_offsets = array<i64: 1024>}
// CHECK: kestrel.sqrt %{{.+}} {kestrel.arena_offsets = array<i64: 0>}
// CHECK: kestrel.abs %{{[^{]+}} :
func.func @chain(%x: tensor<256xf32>) -> tensor<256xf32> {
  %0 = kestrel.exp %x : (tensor<256xf32>) -> tensor<256xf32>
  %1 = kestrel.neg %0 : (tensor<256xf32>) -> tensor<256xf32>
  %2 = kestrel.sqrt %1 : (tensor<256xf32>) -> tensor<256xf32>
  %3 = kestrel.abs %2 : (tensor<256xf32>) -> tensor<256xf32>
  return %3 : tensor<256xf32>
}

// -----

// The residual input is a function argument (not planned); h and g (4 KiB
// each) overlap at the gelu and o reuses h's bytes once h is dead.
// Constants, weights and the output are not planned.
// CHECK-LABEL: func.func @residual(
// CHECK-SAME: kestrel.arena_bytes = 8192 : i64, kestrel.intermediate_bytes = 9216 : i64
// CHECK: kestrel.weight
// CHECK-NOT: kestrel.arena_offsets
// CHECK: kestrel.matmul %{{.+}} {kestrel.arena_offsets = array<i64: 0>, transpose_b = true}
// CHECK: kestrel.gelu %{{.+}} {kestrel.arena_offsets = array<i64: 4096>}
// CHECK: kestrel.matmul %{{.+}} {kestrel.arena_offsets = array<i64: 0>, transpose_b = true}
// CHECK: kestrel.add %{{[^{]+}} :
func.func @residual(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %w1 = kestrel.weight "w1" : tensor<256x64xf32>
  %w2 = kestrel.weight "w2" : tensor<64x256xf32>
  %h = kestrel.matmul %x, %w1 {transpose_b = true} : (tensor<4x64xf32>, tensor<256x64xf32>) -> tensor<4x256xf32>
  %g = kestrel.gelu %h : (tensor<4x256xf32>) -> tensor<4x256xf32>
  %o = kestrel.matmul %g, %w2 {transpose_b = true} : (tensor<4x256xf32>, tensor<64x256xf32>) -> tensor<4x64xf32>
  %r = kestrel.add %x, %o : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}

// -----

// Both split results are live at the split (the unused one only there).
// Sizes round up to 64 bytes.
// CHECK-LABEL: func.func @multi(
// CHECK-SAME: kestrel.arena_bytes = 128 : i64, kestrel.intermediate_bytes = 128 : i64
// CHECK: kestrel.split %{{.+}} {axis = 0 : i64, kestrel.arena_offsets = array<i64: 64, 0>, sizes = array<i64: 3, 5>}
func.func @multi(%x: tensor<8xf32>) -> tensor<3xi1> {
  %a, %b = kestrel.split %x {axis = 0 : i64, sizes = array<i64: 3, 5>} : (tensor<8xf32>) -> (tensor<3xf32>, tensor<5xf32>)
  %c = kestrel.less %a, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  return %c : tensor<3xi1>
}

// -----

// A reshape is a view of its operand: the operand's lifetime extends to the
// view's last use (the sqrt), so the neg cannot reuse the exp's bytes.
// CHECK-LABEL: func.func @alias(
// CHECK-SAME: kestrel.arena_bytes = 2048 : i64, kestrel.intermediate_bytes = 2048 : i64
// CHECK: kestrel.exp %{{.+}} {kestrel.arena_offsets = array<i64: 0>}
// CHECK: kestrel.reshape %{{[^{]+}} :
// CHECK: kestrel.neg %{{.+}} {kestrel.arena_offsets = array<i64: 1024>}
func.func @alias(%x: tensor<256xf32>) -> (tensor<16x16xf32>, tensor<256xf32>) {
  %0 = kestrel.exp %x : (tensor<256xf32>) -> tensor<256xf32>
  %1 = kestrel.reshape %0 : (tensor<256xf32>) -> tensor<16x16xf32>
  %2 = kestrel.neg %x : (tensor<256xf32>) -> tensor<256xf32>
  %3 = kestrel.sqrt %1 : (tensor<16x16xf32>) -> tensor<16x16xf32>
  %4 = kestrel.abs %2 : (tensor<256xf32>) -> tensor<256xf32>
  return %3, %4 : tensor<16x16xf32>, tensor<256xf32>
}

// -----

// Symbolic dims: the runtime plans the arena from the actual shapes.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: kestrel.arena_planning = "runtime"
// CHECK-NOT: kestrel.arena_offsets
func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  %0 = kestrel.exp %x : (tensor<?xf32>) -> tensor<?xf32>
  %1 = kestrel.neg %0 : (tensor<?xf32>) -> tensor<?xf32>
  return %1 : tensor<?xf32>
}

// -----

// A nonzero's length is known only once it has run: the gather that reads
// it and the exp after that are the second stage; the neg, which reads
// only an input, stays in the first though it comes later. The shapes are
// static but the plan is the runtime's (per stage).
// CHECK-LABEL: func.func @stages(
// CHECK-SAME: kestrel.arena_planning = "runtime", kestrel.num_stages = 2 : i64
// CHECK: kestrel.nonzero %{{[^{]+}} :
// CHECK: kestrel.gather %{{.+}} {axis = 0 : i64, kestrel.stage = 1 : i64}
// CHECK: kestrel.exp %{{.+}} {kestrel.stage = 1 : i64}
// CHECK: kestrel.neg %{{[^{]+}} :
func.func @stages(%m: tensor<8xi1>, %x: tensor<8x4xf32>) -> (tensor<1x?x4xf32>, tensor<8x4xf32>) {
  %0 = kestrel.nonzero %m : (tensor<8xi1>) -> tensor<1x?xi64>
  %1 = kestrel.gather %x, %0 {axis = 0 : i64} : (tensor<8x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
  %2 = kestrel.exp %1 : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  %3 = kestrel.neg %x : (tensor<8x4xf32>) -> tensor<8x4xf32>
  return %2, %3 : tensor<1x?x4xf32>, tensor<8x4xf32>
}

// -----

// A nonzero's result returned as it is: the final shapes are read in a
// stage after it, which runs nothing.
// CHECK-LABEL: func.func @returned_nonzero(
// CHECK-SAME: kestrel.num_stages = 2 : i64
func.func @returned_nonzero(%m: tensor<8xi1>) -> tensor<1x?xi64> {
  %0 = kestrel.nonzero %m : (tensor<8xi1>) -> tensor<1x?xi64>
  return %0 : tensor<1x?xi64>
}
