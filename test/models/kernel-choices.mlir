// The IR codegen reads (kestrelc --emit=mlir) has a #kestrel.impl on every
// op that runs a kernel and the memory plan, for real exports on both
// targets; the CPU models run every GEMM against a weight on the kernel
// that packs it once at load; the CUDA models run their GEMMs on the
// kernels the predictor ranks first (at these tiny sizes f32 GEMMs predict faster on the CUDA-core
// kernel than through cuBLASLt).
// RUN: kestrelc --emit=mlir %S/fixtures/llama-dynamo/model.onnx | %python %S/check_kernel_choices.py cpu | FileCheck %s --check-prefix=CPU
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/llama-dynamo/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=CUDA
// RUN: kestrelc --emit=mlir --target=cuda --precision=f32 %S/fixtures/bert-ort-optimized/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=F32
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/mixtral-opset17/model.onnx --input-shape input_ids=1x5 | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=STATIC
// With 2x5 tokens the projections have 10 rows (both sequences' rows
// against the one weight): more than the GEMV kernels take.
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/mixtral-opset17/model.onnx --input-shape input_ids=2x5 | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=ROWS
// Every fixture, both targets: every op that runs a kernel carries a
// predicted #kestrel.impl.
// RUN: kestrelc --emit=mlir %S/fixtures/bert-dynamo/model.onnx | %python %S/check_kernel_choices.py cpu | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/bert-dynamo/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir %S/fixtures/bert-ort-optimized/model.onnx | %python %S/check_kernel_choices.py cpu | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/bert-ort-optimized/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir %S/fixtures/gpt2-dynamo/model.onnx | %python %S/check_kernel_choices.py cpu | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/gpt2-dynamo/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir %S/fixtures/gptj-dynamo/model.onnx | %python %S/check_kernel_choices.py cpu | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/gptj-dynamo/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir %S/fixtures/gptj-opset17/model.onnx | %python %S/check_kernel_choices.py cpu | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/gptj-opset17/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir %S/fixtures/llama-opset17/model.onnx | %python %S/check_kernel_choices.py cpu | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/llama-opset17/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir %S/fixtures/mixtral-dynamo/model.onnx | %python %S/check_kernel_choices.py cpu | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/mixtral-dynamo/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir %S/fixtures/mixtral-opset17/model.onnx | %python %S/check_kernel_choices.py cpu | FileCheck %s --check-prefix=ALL
// RUN: kestrelc --emit=mlir --target=cuda %S/fixtures/mixtral-opset17/model.onnx | %python %S/check_kernel_choices.py cuda | FileCheck %s --check-prefix=ALL
// ALL: {{[0-9]+}} ops: {{.+}}

// CPU: ops: {{.*}}cpu.gemm.packed
// CPU-NOT: cpu.gemm.dot
// CPU-NOT: cuda.
// CUDA: ops: {{.*}}cuda.gemm.mma
// CUDA-NOT: cuda.gemm.cublaslt
// F32: ops: {{.*}}cuda.gemm.simt
// F32-NOT: cuda.gemm.mma
// STATIC: ops: {{.*}}cuda.gemm.gemv
// ROWS: ops:
// ROWS-NOT: cuda.gemm.gemv
