// Elementwise math, comparisons, logic, Where, Cast, Clip and Gelu.
// RUN: %onnx_model elementwise %t.elementwise.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.elementwise.onnx | FileCheck %s --check-prefix=ELEM
// RUN: %onnx_model logic %t.logic.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.logic.onnx | FileCheck %s --check-prefix=LOGIC
// RUN: %onnx_model gelu20 %t.gelu.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.gelu.onnx | FileCheck %s --check-prefix=GELU

// Symbolic dims stay dynamic and keep their names; broadcasting follows NumPy.
// ELEM: func.func @main(%[[X:.+]]: tensor<?x8xf32> {kestrel.dim_names = ["batch", ""], kestrel.name = "x"}, %[[Y:.+]]: tensor<8xf32> {kestrel.name = "y"}) -> (tensor<?x8xf32> {kestrel.name = "out"})
// ELEM-DAG: %[[TWO:.+]] = kestrel.constant dense<2.000000e+00> : tensor<f32>
// ELEM-DAG: %[[LO:.+]] = kestrel.constant dense<-1.000000e+00> : tensor<f32>
// ELEM-DAG: %[[HI:.+]] = kestrel.constant dense<1.000000e+00> : tensor<f32>
// ELEM: %[[A:.+]] = kestrel.add %[[X]], %[[Y]] : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
// ELEM: kestrel.sub %[[A]], %[[Y]]
// ELEM: kestrel.mul
// ELEM: kestrel.div
// The i64 exponent is cast (here: folded) to the base's type.
// ELEM: kestrel.pow %{{.+}}, %[[TWO]] : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
// ELEM: kestrel.sqrt
// ELEM: kestrel.reciprocal
// ELEM: kestrel.neg
// ELEM: kestrel.exp
// ELEM: kestrel.log
// ELEM: kestrel.erf
// ELEM: kestrel.tanh
// ELEM: kestrel.sigmoid
// ELEM: kestrel.relu
// ELEM: kestrel.sin
// ELEM: kestrel.cos
// Variadic Max folds left to right.
// ELEM: %[[M1:.+]] = kestrel.max %{{.+}}, %[[X]]
// ELEM: kestrel.max %[[M1]], %[[Y]]
// ELEM: kestrel.min
// Clip is max(min) with its bounds.
// ELEM: kestrel.max %{{.+}}, %[[LO]]
// ELEM: kestrel.min %{{.+}}, %[[HI]]

// LOGIC: %[[LT:.+]] = kestrel.less %{{.+}}, %{{.+}} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// LOGIC: %[[GT:.+]] = kestrel.greater
// LOGIC: %[[EQ:.+]] = kestrel.equal
// LOGIC: %[[NE:.+]] = kestrel.not %[[EQ]]
// LOGIC: %[[AND:.+]] = kestrel.and %[[LT]], %[[NE]]
// LOGIC: %[[OR:.+]] = kestrel.or %[[AND]], %[[GT]]
// LOGIC: kestrel.where %[[OR]], %{{.+}}, %{{.+}} : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// LOGIC: kestrel.cast %[[OR]] : (tensor<?x4xi1>) -> tensor<?x4xi32>

// GELU: %[[G:.+]] = kestrel.gelu %{{.+}} : (tensor<?x16xf32>) -> tensor<?x16xf32>
// GELU: kestrel.gelu %[[G]] {approximate = true}

// Floor, Ceil and Round (ties to even, as ONNX Runtime), fused and (a Round
// that is also an output) as the unary kernel; the same results as ONNX Runtime on random inputs
// (exact ties are KernelsUnary.RoundingExact's).
// RUN: %onnx_model rounding %t.round.onnx
// RUN: kestrelc --emit=graph %t.round.onnx | FileCheck %s --check-prefix=ROUND
// ROUND: kestrel.round %{{.+}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
// ROUND: kestrel.fused_elementwise
// ROUND-DAG: math.floor
// ROUND-DAG: math.ceil
// ROUND-DAG: math.roundeven
// RUN: rm -rf %t.round.lib && kestrelc %t.round.onnx -o %t.round.lib --name rounding > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.round.onnx %t.round.lib %t.round.work batch=64 | FileCheck %s --check-prefix=ROUNDEXEC
// ROUNDEXEC-DAG: y: shape [64, 8] f32; {{.+}}: ok
// ROUNDEXEC-DAG: r: shape [64, 8] f32; {{.+}}: ok
