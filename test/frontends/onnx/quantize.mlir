// ONNX DequantizeLinear of initializers is computed at import into float
// weights (int8 per output channel, an int32 bias, int4 in blocks along K);
// a QuantizeLinear -> DequantizeLinear pair on activations is a
// fake-quantization (round, shift, saturate, then rescale) that fuses into
// one elementwise kernel; a
// FLOAT8E4M3FN round trip is a real f8 cast. The library computes what ONNX
// Runtime computes on fresh random inputs.
// RUN: %onnx_model qdq %t.onnx
// RUN: kestrelc --emit=graph %t.onnx | FileCheck %s --check-prefix=GRAPH
// GRAPH-DAG: kestrel.weight "wq.dequantized" : tensor<8x4xf32>
// GRAPH-DAG: kestrel.weight "bq.dequantized" : tensor<4xf32>
// GRAPH-DAG: kestrel.weight "w4.dequantized" : tensor<8x4xf32>
// GRAPH-DAG: math.roundeven
// GRAPH-DAG: arith.truncf %{{.+}} : f32 to f8E4M3FN
// RUN: rm -rf %t.lib && kestrelc %t.onnx -o %t.lib --name qdq > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.onnx %t.lib %t.work batch=5 | FileCheck %s
// CHECK-DAG: linear: shape [5, 4] f32; {{.+}}: ok
// CHECK-DAG: int4: shape [5, 4] f32; {{.+}}: ok
// CHECK-DAG: fp8: shape [5, 8] f32; {{.+}}: ok
//
// An 8-bit integer tensor cannot leave the model: a clear error.
// RUN: %onnx_model qdq_int8_output %t.int8.onnx
// RUN: not kestrelc --emit=graph %t.int8.onnx 2>&1 | FileCheck %s --check-prefix=INT8
// INT8: graph output 'y' is a QuantizeLinear output of type INT8, which Kestrel cannot return
