// Static shapes: the arena is planned at compile time and the offsets are a
// table in the library; --stats reports the peak against the sum. (With
// --no-fusion: fused, the chain would be one kernel with no intermediates.)
// RUN: rm -rf %t && kestrelc %s --emit=source -o %t --name s --stats --no-fusion | FileCheck %s --check-prefix=STATS
// RUN: FileCheck %s < %t/s.cpp
// The plan is kestrel-plan-memory's and the kernels kestrel-select-kernels',
// in the IR that --emit=mlir prints and codegen reads.
// RUN: kestrelc %s --emit=mlir --no-fusion | FileCheck %s --check-prefix=MLIR

// STATS: kernel calls: 4 per run (0 more on the host, for shapes); values: arena 3 input 1 output 1
// STATS: memory: arena 256 bytes (peak) vs 384 bytes for all 3 intermediates apart (66.7%)

// MLIR: func.func @main({{.*}} attributes {kestrel.arena_bytes = 256 : i64, kestrel.intermediate_bytes = 384 : i64}
// MLIR: kestrel.exp %{{.+}} {kestrel.arena_offsets = array<i64: 0>, kestrel.impl = #kestrel.impl<"cpu.elementwise", {}, predicted_us = [{{[0-9.]+}}]>}
// MLIR: kestrel.neg %{{.+}} {kestrel.arena_offsets = array<i64: 128>, kestrel.impl = #kestrel.impl<"cpu.elementwise", {}, predicted_us = [{{[0-9.]+}}]>}
// MLIR: kestrel.sqrt %{{.+}} {kestrel.arena_offsets = array<i64: 0>, kestrel.impl = #kestrel.impl<"cpu.elementwise", {}, predicted_us = [{{[0-9.]+}}]>}
// MLIR: kestrel.abs %{{.+}} {kestrel.impl = #kestrel.impl<"cpu.elementwise", {}, predicted_us = [{{[0-9.]+}}]>} :

// CHECK: arena 256 bytes planned at compile time.
// CHECK: const int64_t staticOffsets[] = {
// CHECK-NEXT: 0, 0, 128, 0, 0,
// CHECK: staticOffsets, 256,

module {
  func.func @main(%x: tensor<4x8xf32> {kestrel.name = "x"}) -> (tensor<4x8xf32> {kestrel.name = "y"}) {
    %a = kestrel.exp %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %b = kestrel.neg %a : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %c = kestrel.sqrt %b : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %d = kestrel.abs %c : (tensor<4x8xf32>) -> tensor<4x8xf32>
    return %d : tensor<4x8xf32>
  }
}
