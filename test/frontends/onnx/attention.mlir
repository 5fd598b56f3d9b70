// ONNX opset-23 Attention and RotaryEmbedding.
// RUN: %onnx_model attention23 %t.attn.onnx
// RUN: kestrelc --emit=graph %t.attn.onnx | FileCheck %s --check-prefix=ATTN
// RUN: %onnx_model attention23_static_past %t.past.onnx
// RUN: kestrelc --emit=graph %t.past.onnx | FileCheck %s --check-prefix=PAST
// RUN: %onnx_model rotary23 %t.rope.onnx
// RUN: kestrelc --emit=graph %t.rope.onnx | FileCheck %s --check-prefix=ROPE
// RUN: %onnx_model gqa_repeat_interleave %t.gqa.onnx
// RUN: kestrelc --emit=graph %t.gqa.onnx | FileCheck %s --check-prefix=GQA
// RUN: rm -rf %t.gqa.lib && kestrelc %t.gqa.onnx -o %t.gqa.lib --name m > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.gqa.onnx %t.gqa.lib %t.gqa.work batch=2 seq=5 | FileCheck %s --check-prefix=GQANUM

// 3-D Q/K/V are split into heads; with dynamic lengths ONNX's causal rule
// (key j <= query i) becomes an explicit mask. The import moves the heads
// in front of the sequence and back; kestrel-fold-transposes takes those
// transposes into attention's bshd layout.
// ATTN: %[[Q:.+]] = kestrel.reshape %{{.+}}, %{{.+}} : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
// ATTN: %[[K:.+]] = kestrel.reshape %{{.+}}, %{{.+}} : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
// ATTN-NOT: kestrel.transpose
// ATTN: %[[KEEP:.+]] = kestrel.less_equal
// ATTN: %[[O:.+]] = kestrel.attention %[[Q]], %[[K]], %[[K]], %[[KEEP]] {layout = "bshd", num_heads = 4 : i64, num_kv_heads = 2 : i64}
// ATTN-NOT: kestrel.transpose
// ATTN: kestrel.reshape %[[O]], %{{.+}} : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>

// With a static past, the causal offset (past length) matches the flag's
// bottom-right alignment; present = concat(past, new).
// PAST: %[[KV:.+]] = kestrel.concat %{{.+}}, %{{.+}} {axis = 2 : i64} : (tensor<1x2x5x16xf32>, tensor<1x2x3x16xf32>) -> tensor<1x2x8x16xf32>
// PAST: kestrel.attention %{{.+}}, %[[KV]], %[[KV]] {causal = true, num_heads = 4 : i64, num_kv_heads = 2 : i64}
// PAST: return %{{.+}}, %[[KV]], %[[KV]]

// The caches are gathered at the position ids and broadcast over heads.
// ROPE-DAG: %[[COS:.+]] = kestrel.weight "cos" : tensor<32x8xf32>
// ROPE-DAG: %[[SIN:.+]] = kestrel.weight "sin" : tensor<32x8xf32>
// ROPE: %[[C:.+]] = kestrel.gather %[[COS]], %{{.+}} {axis = 0 : i64} : (tensor<32x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
// ROPE: %[[S:.+]] = kestrel.gather %[[SIN]]
// ROPE: %[[C4:.+]] = kestrel.reshape %[[C]], %{{.+}} : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x1x?x8xf32>
// ROPE: %[[S4:.+]] = kestrel.reshape %[[S]]
// ROPE: kestrel.rope %{{.+}}, %[[C4]], %[[S4]] : (tensor<?x4x?x16xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x4x?x16xf32>

// repeat_interleave(k, 2, dim=1) through Unsqueeze/Tile/Reshape is GQA's
// repeat-kv: the fused op reads the two kv heads as they are (no copy),
// and matches onnxruntime.
// GQA: func.func @main(%[[Q:[^:]+]]: tensor<?x4x?x16xf32> {{.+}}, %[[K:[^:]+]]: tensor<?x2x?x16xf32> {{.+}}, %[[V:[^:]+]]: tensor<?x2x?x16xf32>
// GQA: kestrel.attention %[[Q]], %[[K]], %[[V]] {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32}
// GQA-NOT: kestrel.expand
// GQANUM: y: shape [2, 4, 5, 16] f32; {{.+}}: ok
