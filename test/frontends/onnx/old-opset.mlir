// An opset-9 model (a Constant, Unsqueeze and Squeeze with axes attributes,
// Softmax's coerced-2-D axis) goes through ONNX's version converter to
// opset 13, and the library built from it computes what ONNX Runtime
// computes from the original file, on fresh random inputs.
// RUN: %onnx_model old_opset %t.old.onnx
// RUN: rm -rf %t.lib && kestrelc %t.old.onnx -o %t.lib --name old 2>&1 | FileCheck %s --check-prefix=COMPILE
// COMPILE: remark: converted from ONNX opset 9 to 13 by ONNX's version converter
// RUN: %python %S/Inputs/run_vs_ort.py kestrel-run %t.old.onnx %t.lib %t.work | FileCheck %s
// CHECK: y: shape [3, 4, 5] f32; {{.+}}: ok
