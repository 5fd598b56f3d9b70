// kestrelc --explain: per op every candidate with its predicted times (one
// per dynamic-dim scenario), the choice, the ones that cannot run the op
// and why, and the predicted total; --explain=json the same as JSON. It
// shows the ranking the pass chose by: the choice matches #kestrel.impl.
// (The relu fuses into the matmul's epilogue: one kernel call.)
// RUN: kestrelc %s --target=cuda --device=h200 --explain | FileCheck %s --check-prefix=TEXT
// RUN: kestrelc %s --target=cuda --device=h200 --explain=json | %python -c "import json,sys; d=json.load(sys.stdin); ops=d['ops']; print(d['device'], d['dynamic_dims'], len(ops)); [print(o['op'], [c['kernel'] for c in o['candidates'] if c['chosen']][0], len(o['candidates'])) for o in ops]; print('total', len(d['predicted_total_us']))" | FileCheck %s --check-prefix=JSON
// RUN: kestrelc %s --target=cuda --device=h200 --emit=mlir | FileCheck %s --check-prefix=IR
// RUN: kestrelc %s --explain --predict-dims=1,8,512 | FileCheck %s --check-prefix=CPU

// TEXT: kernel selection for @main on cuda: h200 (NVIDIA H200{{.*}}), profile only (no --calibration)
// TEXT-NEXT: dynamic dims taken as 1, 64
// TEXT: kestrel.fused_matmul 'proj': tensor<?x1024xf32, #kestrel.storage<bf16>>, tensor<1024x1024xf32, #kestrel.storage<bf16>> -> tensor<?x1024xf32, #kestrel.storage<bf16>>
// TEXT-NEXT: * cuda.gemm.mma {gemv_max_m=8, tile_k=32, tile_m=64, tile_n=64, warps_m=2, warps_n=2} {{[0-9.]+}} us | {{[0-9.]+}} us
// TEXT: cuda.gemm.cublaslt {{[0-9.]+}} us | {{[0-9.]+}} us
// TEXT: cuda.gemm.gemv{{ +}}cannot run it: needs a static row count of at most 8 (the rows of every batch entry against a shared rhs)
// TEXT: predicted total (1 kernel calls): {{[0-9.]+}} us | {{[0-9.]+}} us

// JSON: h200 [1, 64] 1
// JSON-NEXT: kestrel.fused_matmul cuda.gemm.mma 11
// JSON-NEXT: total 2

// IR: kestrel.fused_matmul {{.+}}#kestrel.impl<"cuda.gemm.mma", {gemv_max_m = 8 : i64, tile_k = 32 : i64, tile_m = 64 : i64, tile_n = 64 : i64, warps_m = 2 : i64, warps_n = 2 : i64}, predicted_us = [{{[0-9.]+}}, {{[0-9.]+}}]>

// CPU: kernel selection for @main on cpu: host
// CPU-NEXT: dynamic dims taken as 1, 8, 512
// CPU: * cpu.gemm.packed{{ +}}{{[0-9.]+}} us | {{[0-9.]+}} us | {{[0-9.]+}} us
// CPU-NEXT: cpu.gemm.dot{{ +}}{{[0-9.]+}} us | {{[0-9.]+}} us | {{[0-9.]+}} us
// CPU-NEXT: cpu.gemm.blocked{{ +}}{{[0-9.]+}} us | {{[0-9.]+}} us | {{[0-9.]+}} us

// Bad flags: an unknown profile, a GPU profile for the CPU target, a
// calibration that is not one, an unknown --explain format.
// RUN: not kestrelc %s --explain --device=h300 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: kestrelc: error: --device: h300: no such device profile (known: a100-80gb, h100-sxm, h200, l40s, rtx-4090; or a path to a .json profile)
// RUN: not kestrelc %s --explain --device=h200 2>&1 | FileCheck %s --check-prefix=KIND
// KIND: kestrelc: error: --device: h200 is a CUDA profile, the target is cpu
// RUN: echo '{"x": 1}' > %t.json
// RUN: not kestrelc %s --explain --calibration=%t.json 2>&1 | FileCheck %s --check-prefix=CALIB
// CALIB: kestrelc: error: --calibration: {{.*}}.json: not a Kestrel calibration (no "kestrel_calibration": 1; write one with kestrel-calibrate)
// RUN: not kestrelc %s --explain --emit=graph 2>&1 | FileCheck %s --check-prefix=EMIT
// EMIT: kestrelc: error: --explain shows the kernel selection, which --emit=graph stops before
// RUN: not kestrelc %s --explain=yaml 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: kestrelc: error: --explain=yaml is not text or json

module {
  func.func @main(%x: tensor<?x1024xf32> {kestrel.name = "x", kestrel.dim_names = ["tokens", ""]}) -> (tensor<?x1024xf32> {kestrel.name = "y"}) {
    %w = kestrel.weight "w" : tensor<1024x1024xf32>
    %p = kestrel.matmul %x, %w : (tensor<?x1024xf32>, tensor<1024x1024xf32>) -> tensor<?x1024xf32> loc("proj")
    %y = kestrel.relu %p : (tensor<?x1024xf32>) -> tensor<?x1024xf32> loc("act")
    return %y : tensor<?x1024xf32>
  }
}
