module {
  func.func @main(%x: tensor<8xi64> {kestrel.name = "x"}, %y: tensor<8xi64> {kestrel.name = "y"}, %f: tensor<8xf32> {kestrel.name = "f"}) -> (tensor<8xi64> {kestrel.name = "q"}, tensor<8xi64> {kestrel.name = "r"}, tensor<8xi1> {kestrel.name = "ne"}) {
    %q, %r, %ne = kestrel.fused_elementwise ins(%x, %y, %f : tensor<8xi64>, tensor<8xi64>, tensor<8xf32>) {
    ^bb0(%a: i64, %b: i64, %c: f32):
      %d = arith.divsi %a, %b : i64
      %m = arith.remsi %a, %b : i64
      %n = arith.cmpf one, %c, %c : f32
      kestrel.yield %d, %m, %n : i64, i64, i1
    } -> tensor<8xi64>, tensor<8xi64>, tensor<8xi1>
    return %q, %r, %ne : tensor<8xi64>, tensor<8xi64>, tensor<8xi1>
  }
}
