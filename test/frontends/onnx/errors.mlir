// Malformed and unsupported models: one clear error naming the file (and
// the node), a non-zero exit, no crash.
// RUN: not kestrelc --emit=graph %t.missing.onnx 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: missing.onnx: error: cannot open the file
// RUN: %onnx_model not_onnx %t.text.onnx
// RUN: not kestrelc --emit=graph %t.text.onnx 2>&1 | FileCheck %s --check-prefix=TEXT
// TEXT: text.onnx: error: not an ONNX model (the protobuf does not parse; the file is truncated or of another format)
// RUN: %onnx_model empty %t.empty.onnx
// RUN: not kestrelc --emit=graph %t.empty.onnx 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: empty.onnx: error: the file is empty
// RUN: %onnx_model truncated %t.trunc.onnx
// RUN: not kestrelc --emit=graph %t.trunc.onnx 2>&1 | FileCheck %s --check-prefix=TRUNC
// TRUNC: trunc.onnx: error: not an ONNX model
// RUN: %onnx_model unsupported_ops %t.unsup.onnx
// RUN: not kestrelc --emit=graph %t.unsup.onnx 2>&1 | FileCheck %s --check-prefix=UNSUP
// UNSUP: unsup.onnx: error: 3 unsupported op type(s):
// UNSUP-NEXT: ai.onnx Hardmax (opset 17): 1 node(s), first 'hm'
// UNSUP-NEXT: ai.onnx LpPool (opset 17): 2 node(s), first 'pool0'
// UNSUP-NEXT: com.acme Frobnicate (opset 1): 1 node(s), first 'frob'
// RUN: %onnx_model old_opset %t.old.onnx
// An opset older than 13 whose ops changed goes through ONNX's version
// converter (old-opset.mlir checks the numbers against ONNX Runtime).
// RUN: kestrelc --emit=graph %t.old.onnx 2>&1 | FileCheck %s --check-prefix=OLD
// OLD: remark: converted from ONNX opset 9 to 13 by ONNX's version converter
// OLD: kestrel.softmax
// RUN: %onnx_model missing_input %t.undef.onnx
// RUN: not kestrelc --emit=graph %t.undef.onnx 2>&1 | FileCheck %s --check-prefix=UNDEF
// UNDEF: error: node 'adder': Add: input 'ghost' is not defined by any node, graph input or initializer
// RUN: %onnx_model cycle %t.cycle.onnx
// RUN: not kestrelc --emit=graph %t.cycle.onnx 2>&1 | FileCheck %s --check-prefix=CYCLE
// CYCLE: error: node 'first': Add: input 'b' is produced only inside a cycle of the graph
// RUN: %onnx_model wrong_attr_type %t.attr.onnx
// RUN: not kestrelc --emit=graph %t.attr.onnx 2>&1 | FileCheck %s --check-prefix=ATTR
// ATTR: error: node 'sm': Softmax: attribute 'axis' must be of type int, got float
// RUN: %onnx_model inconsistent_shapes %t.shapes.onnx
// RUN: not kestrelc --emit=graph %t.shapes.onnx 2>&1 | FileCheck %s --check-prefix=SHAPES
// SHAPES: error: node 'mm': 'kestrel.matmul' op contraction dimensions differ: lhs has K = 3, rhs has K = 4
// RUN: %onnx_model declared_shape_mismatch %t.declared.onnx
// A stale value_info shape: the node's shape wins, with a warning (ONNX
// Runtime merges it leniently too), from ONNX's shape inference or ours.
// RUN: kestrelc --emit=graph %t.declared.onnx 2>&1 | FileCheck %s --check-prefix=DECLARED
// DECLARED: warning: ONNX shape inference: the file's value_info disagrees with its nodes ({{.*}}Inferred shape and existing shape differ in dimension 1: (3) vs (2){{.*}}); importing without the value_info
// DECLARED: kestrel.relu %{{.+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// RUN: kestrelc --emit=graph %t.declared.onnx --no-onnx-shape-inference 2>&1 | FileCheck %s --check-prefix=DECLARED-OWN
// DECLARED-OWN: warning: node 'relu': Relu: ONNX declares output 'r' as 'tensor<2x2xf32>', but the node computes 'tensor<2x3xf32>'; using the node's shape
// DECLARED-OWN: kestrel.relu %{{.+}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// A declared element type that disagrees stays an error.
// RUN: %onnx_model declared_type_mismatch %t.declared-type.onnx
// RUN: not kestrelc --emit=graph %t.declared-type.onnx 2>&1 | FileCheck %s --check-prefix=DECLARED-TYPE
// DECLARED-TYPE: error: ONNX shape inference found the graph inconsistent: {{.*}}elem type
// RUN: not kestrelc --emit=graph %t.declared-type.onnx --no-onnx-shape-inference 2>&1 | FileCheck %s --check-prefix=DECLARED-TYPE-OWN
// DECLARED-TYPE-OWN: error: node 'relu': Relu: ONNX declares output 'r' as 'tensor<2x3xi64>', but the node computes 'tensor<2x3xf32>' (inconsistent element types)
// RUN: %onnx_model unsupported_dtype %t.f64.onnx
// RUN: not kestrelc --emit=graph %t.f64.onnx 2>&1 | FileCheck %s --check-prefix=F64
// F64: error: graph input 'x' has element type DOUBLE, which Kestrel does not support
// RUN: %onnx_model unsupported_cast %t.u8.onnx
// RUN: not kestrelc --emit=graph %t.u8.onnx 2>&1 | FileCheck %s --check-prefix=U8
// U8: error: node 'to_u8': Cast: cast to UINT8 is not supported by Kestrel
// RUN: %onnx_model dynamic_axes %t.axes.onnx
// RUN: not kestrelc --emit=graph %t.axes.onnx 2>&1 | FileCheck %s --check-prefix=AXES
// AXES: error: node 'rs': ReduceSum: axes (input 1, 'axes') must be a constant integer tensor
// RUN: %onnx_model missing_external_data %t.extmissing.onnx
// RUN: not kestrelc --emit=graph %t.extmissing.onnx 2>&1 | FileCheck %s --check-prefix=EXT
// EXT: error: external data file '{{.+}}extmissing.onnx.data' of 'w' cannot be opened
// RUN: %onnx_model short_initializer %t.short.onnx
// RUN: not kestrelc --emit=graph %t.short.onnx 2>&1 | FileCheck %s --check-prefix=SHORT
// SHORT: error: tensor 'w' holds 2 values, but its shape needs 4
// RUN: %onnx_model truncated_raw_data %t.raw.onnx
// RUN: not kestrelc --emit=graph %t.raw.onnx 2>&1 | FileCheck %s --check-prefix=RAW
// RAW: error: tensor 'w' holds 10 bytes, but its shape and type need 16
// RUN: not kestrelc %t.raw.onnx --emit=bogus 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: Cannot find option named 'bogus'
// RUN: %onnx_model concat_mismatch_shape %t.concat.onnx
// RUN: not kestrelc --emit=graph %t.concat.onnx 2>&1 | FileCheck %s --check-prefix=CONCAT
// CONCAT: error: node 'cat': 'kestrel.concat' op input 1 has size 4 in dimension 1 where the inputs before it have 3
// RUN: %onnx_model matmul_nbits_errors %t.nb3.onnx
// RUN: not kestrelc --emit=graph %t.nb3.onnx 2>&1 | FileCheck %s --check-prefix=NB3
// NB3: error: node 'three_bits': MatMulNBits: bits = 3 (supported: 2, 4, 8)
// RUN: %onnx_model matmul_nbits_short %t.nbshort.onnx
// RUN: not kestrelc --emit=graph %t.nbshort.onnx 2>&1 | FileCheck %s --check-prefix=NBSHORT
// NBSHORT: error: node 'short': MatMulNBits: B holds 120 bytes; N x blocks x blob = 8 x 1 x 16 needs 128
// RUN: %onnx_model matmul_nbits_computed %t.nbq.onnx
// RUN: not kestrelc --emit=graph %t.nbq.onnx 2>&1 | FileCheck %s --check-prefix=NBQ
// NBQ: error: graph input 'q' has element type UINT8, which Kestrel does not support
