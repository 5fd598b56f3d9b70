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
