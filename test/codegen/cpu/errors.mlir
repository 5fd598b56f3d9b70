// What the CPU backend rejects, with the reason: a fused_elementwise body
// op the generator does not translate is an error on that op.
// RUN: not kestrelc %s --emit=source -o %t --name bad 2>&1 | FileCheck %s

// CHECK: error: 'arith.bitcast' op has a body op the fused-body generator does not handle: 'arith.bitcast'
module {
  func.func @main(%x: tensor<4xf32> {kestrel.name = "x"}) -> (tensor<4xi32> {kestrel.name = "y"}) {
    %y = kestrel.fused_elementwise ins(%x : tensor<4xf32>) {
    ^bb0(%a: f32):
      %b = arith.bitcast %a : f32 to i32
      kestrel.yield %b : i32
    } -> tensor<4xi32>
    return %y : tensor<4xi32>
  }
}
