// onnxruntime's com.microsoft LLM ops.
// RUN: %onnx_model contrib_norms %t.norms.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.norms.onnx | FileCheck %s --check-prefix=NORMS
// RUN: %onnx_model contrib_mha %t.mha.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.mha.onnx | FileCheck %s --check-prefix=MHA
// RUN: %onnx_model contrib_gqa %t.gqa.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.gqa.onnx | FileCheck %s --check-prefix=GQA
// RUN: %onnx_model contrib_rotary %t.rope.onnx
// RUN: kestrelc --emit=graph --no-fusion %t.rope.onnx | FileCheck %s --check-prefix=ROPE

// Skip norms add the bias (when there is one) and then the skip; output 3
// is the sum.
// NORMS: %[[SUM:.+]] = kestrel.add %{{.+}}, %{{.+}} : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
// NORMS: %[[Y:.+]] = kestrel.rms_norm %[[SUM]], %{{.+}} {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
// NORMS: %[[S2:.+]] = kestrel.add %[[Y]], %{{.+}} : (tensor<?x?x32xf32>, tensor<32xf32>)
// NORMS: %[[S3:.+]] = kestrel.add %[[S2]], %[[SUM]]
// NORMS: %[[Z:.+]] = kestrel.layer_norm %[[S3]], %{{.+}}, %{{.+}} {axis = 2 : i64
// NORMS: %[[R:.+]] = kestrel.rms_norm %[[Z]]
// FastGelu is the tanh GELU of x + bias.
// NORMS: %[[B:.+]] = kestrel.add %[[R]], %{{.+}}
// NORMS: %[[G:.+]] = kestrel.gelu %[[B]] {approximate = true}
// NORMS: return %[[G]], %[[SUM]]

// Q/K/V biases are slices of one [3 * hidden] vector; the padding mask keeps
// keys where it is non-zero.
// MHA: kestrel.slice %{{.+}} {ends = array<i64: 64>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<192xf32>) -> tensor<64xf32>
// MHA: kestrel.slice %{{.+}} {ends = array<i64: 128>, starts = array<i64: 64>
// MHA: kestrel.slice %{{.+}} {ends = array<i64: 192>, starts = array<i64: 128>
// MHA: %[[KEEP:.+]] = kestrel.not_equal %{{.+}}, %{{.+}} : (tensor<?x?xi32>, tensor<i32>) -> tensor<?x?xi1>
// MHA: %[[MASK:.+]] = kestrel.reshape %[[KEEP]], %{{.+}} : (tensor<?x?xi1>, tensor<4xi64>) -> tensor<?x1x1x?xi1>
// MHA: kestrel.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[MASK]] {num_heads = 4 : i64, num_kv_heads = 4 : i64}

// GroupQueryAttention is causal (bottom-right, past included) with a padding mask from
// seqlens_k; present = concat(past, new).
// GQA: %[[KV:.+]] = kestrel.concat %{{.+}}, %{{.+}} {axis = 2 : i64} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
// GQA: %[[KEEP:.+]] = kestrel.less_equal
// GQA: kestrel.attention %{{.+}}, %[[KV]], %[[KV]], %[[KEEP]] {causal = true, num_heads = 4 : i64, num_kv_heads = 2 : i64}
// GQA: return %{{.+}}, %[[KV]], %[[KV]]

// ROPE: kestrel.rope %{{.+}}, %{{.+}}, %{{.+}} : (tensor<?x4x?x16xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x4x?x16xf32>
// ROPE: kestrel.reshape %{{.+}}, %{{.+}} : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>

// QuickGelu: x * sigmoid(alpha * x), fused into one kernel, as ONNX Runtime
// computes it.
// RUN: %onnx_model contrib_quick_gelu %t.qg.onnx
// RUN: kestrelc --emit=graph %t.qg.onnx | FileCheck %s --check-prefix=QG
// QG: kestrel.fused_elementwise
// QG: arith.constant 1.702000e+00
// QG: math.exp
// QG: math.exp
// QG: kestrel.yield
// QG-NOT: kestrel.fused_elementwise
// RUN: rm -rf %t.qg.lib && kestrelc %t.qg.onnx -o %t.qg.lib --name qg > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.qg.onnx %t.qg.lib %t.qg.work batch=5 | FileCheck %s --check-prefix=QGEXEC
// QGEXEC: b: shape [5, 16] f32; {{.+}}: ok

// MatMulNBits: block-quantized weights (4 bits with packed zero points and
// a bias; 4 bits without zero points, K not a multiple of the block; 8
// bits) stay packed: kestrel.matmul_nbits over a u8 weight of B's layout,
// f32 scales and one byte of zero point per block; the quantized
// initializers are read by the importer, not imported as they are.
// Computes what ONNX Runtime computes on the CPU and the CUDA emulator, at
// 10 rows (the blocked CPU GEMM, the tiled CUDA kernel) and at 3 (the dot
// path, the GEMV kernel).
// RUN: %onnx_model contrib_matmul_nbits %t.nb.onnx
// RUN: kestrelc --emit=import %t.nb.onnx | FileCheck %s --check-prefix=NB
// NB-NOT: tensor<64x24xf32>
// NB: kestrel.weight "b1.nbits" : tensor<24x2x16xui8>
// NB: kestrel.weight "s1.f32" : tensor<24x2xf32>
// NB: kestrel.weight "z1.u8" : tensor<24x2xui8>
// NB: kestrel.matmul_nbits %arg0, %{{.+}}, %{{.+}}, %{{.+}} {bits = 4 : i64, block_size = 32 : i64, k = 64 : i64} : (tensor<?x?x64xf32>, tensor<24x2x16xui8>, tensor<24x2xf32>, tensor<24x2xui8>) -> tensor<?x?x24xf32>
// NB: kestrel.add
// NB: kestrel.matmul_nbits %{{.+}}, %{{.+}}, %{{.+}} {bits = 4 : i64, block_size = 16 : i64, k = 24 : i64} : (tensor<?x?x24xf32>, tensor<40x2x8xui8>, tensor<40x2xf32>) -> tensor<?x?x40xf32>
// NB: kestrel.matmul_nbits {{.+}} {bits = 8 : i64, block_size = 16 : i64, k = 40 : i64} : (tensor<?x?x40xf32>, tensor<16x3x16xui8>, tensor<16x3xf32>, tensor<16x3xui8>) -> tensor<?x?x16xf32>
// RUN: rm -rf %t.nb.lib && kestrelc %t.nb.onnx -o %t.nb.lib --name nb > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.nb.onnx %t.nb.lib %t.nb.work batch=2 seq=5 | FileCheck %s --check-prefix=NBEXEC
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.nb.onnx %t.nb.lib %t.nb.work batch=1 seq=3 | FileCheck %s --check-prefix=NBDECODE
// RUN: rm -rf %t.nbe.lib && kestrelc %t.nb.onnx -o %t.nbe.lib --name nbe --target=cuda-emu --precision=f32 > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.nb.onnx %t.nbe.lib %t.nbe.work batch=2 seq=5 | FileCheck %s --check-prefix=NBEXEC
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.nb.onnx %t.nbe.lib %t.nbe.work batch=1 seq=3 | FileCheck %s --check-prefix=NBDECODE
// NBEXEC: y3: shape [2, 5, 16] f32; {{.+}}: ok
// NBDECODE: y3: shape [1, 3, 16] f32; {{.+}}: ok

// MatMulNBits at accuracy_level 4 (int8 activations allowed): the CPU
// quantizes each lhs row per weight block to int8 and multiplies in
// integers, as ONNX Runtime does, so the results agree with its to 1e-4
// (both are ~1e-2 off the f32 product); K = 576 ends in a partial 64-byte
// chunk.
// RUN: %onnx_model contrib_matmul_nbits_int8 %t.i8.onnx
// RUN: kestrelc --emit=import %t.i8.onnx | FileCheck %s --check-prefix=I8
// I8: kestrel.matmul_nbits %arg0, %{{.+}}, %{{.+}}, %{{.+}} {accuracy_level = 4 : i64, bits = 4 : i64, block_size = 32 : i64, k = 576 : i64}
// I8: kestrel.matmul_nbits %arg0, %{{.+}}, %{{.+}} {accuracy_level = 4 : i64, bits = 4 : i64, block_size = 64 : i64, k = 576 : i64}
// RUN: rm -rf %t.i8.lib && kestrelc %t.i8.onnx -o %t.i8.lib --name i8 > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.i8.onnx %t.i8.lib %t.i8.work batch=2 seq=3 | FileCheck %s --check-prefix=I8EXEC
// I8EXEC-DAG: y1: shape [2, 3, 40] f32; {{.+}}: ok
// I8EXEC-DAG: y2: shape [2, 3, 24] f32; {{.+}}: ok

// GatherBlockQuantized: the builder's tied int4 embedding (a Reshape of the
// LM head's MatMulNBits weight, which the head uses too: one packed u8
// weight serves both, the Reshape is not imported) and a table with packed
// zero points; both stay packed (kestrel.gather_nbits). Computes what ONNX
// Runtime computes on the CPU and the CUDA emulator.
// RUN: %onnx_model contrib_gather_block_quantized %t.gbq.onnx
// RUN: kestrelc --emit=import %t.gbq.onnx | FileCheck %s --check-prefix=GBQ
// GBQ-NOT: kestrel.reshape
// GBQ-NOT: tensor<48x32xf32>
// GBQ: kestrel.weight "b.nbits" : tensor<48x2x8xui8>
// GBQ: kestrel.weight "s.f32" : tensor<48x2xf32>
// GBQ: kestrel.gather_nbits %{{.+}}, %{{.+}}, %arg0 {bits = 4 : i64, block_size = 16 : i64, k = 32 : i64} : (tensor<48x2x8xui8>, tensor<48x2xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
// GBQ: kestrel.weight "b.nbits" : tensor<48x2x8xui8>
// GBQ: kestrel.matmul_nbits
// GBQ: kestrel.weight "table.nbits" : tensor<48x2x8xui8>
// GBQ: kestrel.weight "tz.u8" : tensor<48x2xui8>
// GBQ: kestrel.gather_nbits %{{.+}}, %{{.+}}, %arg0, %{{.+}} {bits = 4 : i64, block_size = 16 : i64, k = 32 : i64}
// RUN: rm -rf %t.gbq.lib && kestrelc %t.gbq.onnx -o %t.gbq.lib --name gbq > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.gbq.onnx %t.gbq.lib %t.gbq.work batch=2 seq=7 int_high=48 | FileCheck %s --check-prefix=GBQEXEC
// RUN: rm -rf %t.gbqe.lib && kestrelc %t.gbq.onnx -o %t.gbqe.lib --name gbqe --target=cuda-emu --precision=f32 > /dev/null 2>&1
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.gbq.onnx %t.gbqe.lib %t.gbqe.work batch=2 seq=7 int_high=48 | FileCheck %s --check-prefix=GBQEXEC
// GBQEXEC-DAG: logits: shape [2, 7, 48] f32; {{.+}}: ok
// GBQEXEC-DAG: rows: shape [2, 7, 32] f32; {{.+}}: ok
