// onnxruntime-genai's model builder output (test/models/make_genai.py: a tiny
// Llama, fp32 for the CPU; GroupQueryAttention reading and writing the KV
// cache, SkipSimplifiedLayerNormalization, weights in model.onnx.data). Its
// value_info declares a Constant's [1] output as a scalar, which ONNX
// Runtime tolerates: a warning, and the node's shape is used. The first
// prompt has no past, so the past length is compiled from 0.
// RUN: rm -rf %t.lib && kestrelc %S/genai/llama-fp32/model.onnx -o %t.lib --name genai --dim-range past_sequence_length=0:128 2>&1 | FileCheck %s --check-prefix=COMPILE
// COMPILE: warning: node '/model/constant_nodes/INT64/[1]': Constant: ONNX declares output '/model/constants/INT64/[1]' as 'tensor<i64>', but the node computes 'tensor<1xi64>'; using the node's shape
// RUN: %python %S/genai_vs_ort.py kestrel-run %S/genai/llama-fp32/model.onnx %t.lib %t.work | FileCheck %s
// CHECK: batch 2 seq 5 past 0: 5 outputs ok
// CHECK: batch 1 seq 6 past 3: 5 outputs ok
// CHECK: batch 2 seq 1 past 7: 5 outputs ok
// CHECK: batch 3 seq 1 past 1: 5 outputs ok
