// What the CPU backend rejects, with the reason.
// RUN: not kestrelc %s --emit=source -o %t --name bad 2>&1 | FileCheck %s

// CHECK: error: 'kestrel.fused_elementwise' op is not supported by the CPU backend yet
module {
  func.func @main(%x: tensor<4xf32> {kestrel.name = "x"}) -> (tensor<4xf32> {kestrel.name = "y"}) {
    %y = kestrel.fused_elementwise ins(%x : tensor<4xf32>) {
    ^bb0(%a: f32):
      %n = arith.negf %a : f32
      kestrel.yield %n : f32
    } -> tensor<4xf32>
    return %y : tensor<4xf32>
  }
}
