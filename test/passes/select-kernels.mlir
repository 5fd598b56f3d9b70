// RUN: kestrel-opt %s -split-input-file -kestrel-select-kernels | FileCheck %s --check-prefix=CPU
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels=target=cuda | FileCheck %s --check-prefix=BF16
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=f32 -kestrel-select-kernels=target=cuda | FileCheck %s --check-prefix=F32
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels="target=cuda force=cuda.gemm.simt" | FileCheck %s --check-prefix=SIMT

// GEMMs by predicted latency (passes/KernelSelection.h). These are tiny
// (64 deep, 256 wide) and launch-bound on a GPU. bf16 storage: up to 8
// static rows the GEMV kernels, otherwise the tensor-core GEMM with the
// 64x64 tile (more tiles over the SMs than 128x128); a row count known
// only at run time adds the GEMV guard and records one predicted time per
// scenario (1 and 64 rows). f32 storage: the CUDA-core kernel, cuBLASLt's
// set-up costing more than it saves at this size. On the CPU every GEMM
// against a weight runs on the weight packed at load (at 4 rows the dot
// path is predicted as fast, and the tie keeps the registry's order). The
// weight has no kernel.

// CPU-LABEL: func.func @gemms(
// CPU-NOT: kestrel.weight {{.*}}kestrel.impl
// CPU-COUNT-4: kestrel.impl = #kestrel.impl<"cpu.gemm.packed", {}, predicted_us = [{{[0-9.e+-]+}}]>
// CPU: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cpu.gemm.packed", {}, predicted_us = [{{[0-9.e+-]+}}, {{[0-9.e+-]+}}]>
// CPU: kestrel.fused_matmul {{.+}}kestrel.impl = #kestrel.impl<"cpu.gemm.packed", {}, predicted_us = [{{[0-9.e+-]+}}, {{[0-9.e+-]+}}]>
// CPU: kestrel.relu {{.+}}kestrel.impl = #kestrel.impl<"cpu.elementwise", {}, predicted_us = [{{[0-9., e+-]+}}]>

// BF16-LABEL: func.func @gemms(
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.gemv", {}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16-COUNT-3: kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {tile_k = 32 : i64, tile_m = 64 : i64, tile_n = 64 : i64, warps_m = 2 : i64, warps_n = 2 : i64}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {gemv_max_m = 8 : i64, tile_k = 32 : i64, tile_m = 64 : i64, tile_n = 64 : i64, warps_m = 2 : i64, warps_n = 2 : i64}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16: kestrel.fused_matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {gemv_max_m = 8 : i64, tile_k = 32 : i64, tile_m = 64 : i64, tile_n = 64 : i64, warps_m = 2 : i64, warps_n = 2 : i64}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16: kestrel.relu {{.+}}kestrel.impl = #kestrel.impl<"cuda.elementwise", {}, predicted_us = [{{[0-9., e+-]+}}]>

// F32-LABEL: func.func @gemms(
// F32: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.gemv", {}, predicted_us = [{{[0-9., e+-]+}}]>
// F32-COUNT-3: kestrel.impl = #kestrel.impl<"cuda.gemm.simt", {}, predicted_us = [{{[0-9., e+-]+}}]>
// F32: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.simt", {gemv_max_m = 8 : i64}, predicted_us = [{{[0-9., e+-]+}}]>
// F32: kestrel.fused_matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.simt", {gemv_max_m = 8 : i64}, predicted_us = [{{[0-9., e+-]+}}]>

// SIMT-LABEL: func.func @gemms(
// SIMT-COUNT-6: kestrel.impl = #kestrel.impl<"cuda.gemm.simt",
func.func @gemms(%x4: tensor<4x64xf32>, %x32: tensor<32x64xf32>,
                 %x64: tensor<64x64xf32>, %x512: tensor<512x64xf32>,
                 %xd: tensor<?x64xf32>) -> (tensor<4x256xf32>, tensor<32x256xf32>, tensor<64x256xf32>, tensor<512x256xf32>, tensor<?x256xf32>, tensor<?x64xf32>) {
  %w = kestrel.weight "w" : tensor<64x256xf32>
  %w2 = kestrel.weight "w2" : tensor<256x64xf32>
  %a = kestrel.matmul %x4, %w : (tensor<4x64xf32>, tensor<64x256xf32>) -> tensor<4x256xf32>
  %b = kestrel.matmul %x32, %w : (tensor<32x64xf32>, tensor<64x256xf32>) -> tensor<32x256xf32>
  %c = kestrel.matmul %x64, %w : (tensor<64x64xf32>, tensor<64x256xf32>) -> tensor<64x256xf32>
  %d = kestrel.matmul %x512, %w : (tensor<512x64xf32>, tensor<64x256xf32>) -> tensor<512x256xf32>
  %e = kestrel.matmul %xd, %w : (tensor<?x64xf32>, tensor<64x256xf32>) -> tensor<?x256xf32>
  %f = kestrel.fused_matmul %e, %w2 {activation = "relu"} : (tensor<?x256xf32>, tensor<256x64xf32>) -> tensor<?x64xf32>
  %g = kestrel.relu %f : (tensor<?x64xf32>) -> tensor<?x64xf32>
  return %a, %b, %c, %d, %e, %g : tensor<4x256xf32>, tensor<32x256xf32>, tensor<64x256xf32>, tensor<512x256xf32>, tensor<?x256xf32>, tensor<?x64xf32>
}

// -----

// Integer matmuls run the CUDA-core kernel (no GEMV guard); a reshape that
// aliases its operand runs nothing (a returned one copies); ops whose
// values decide shapes run on the host with the CPU's kernels.
// BF16-LABEL: func.func @ints_and_host(
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.simt", {}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.simt", {}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16: kestrel.shape_of {{.+}}kestrel.impl = #kestrel.impl<"cpu.data_movement", {}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16: kestrel.exp {{.+}}kestrel.impl = #kestrel.impl<"cuda.elementwise", {}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16: kestrel.reshape %{{[^ ]+}}, %{{[^ ]+}} :
// BF16: kestrel.reshape %{{[^ ]+}} {kestrel.impl = #kestrel.impl<"cuda.data_movement", {}, predicted_us = [{{[0-9., e+-]+}}]>}
func.func @ints_and_host(%i: tensor<16x8xi32>, %j: tensor<8x16xi32>,
                         %id: tensor<?x8xi64>, %jd: tensor<8x16xi64>, %x: tensor<2x8xf32>)
    -> (tensor<16x16xi32>, tensor<?x16xi64>, tensor<16xf32>) {
  %ij = kestrel.matmul %i, %j : (tensor<16x8xi32>, tensor<8x16xi32>) -> tensor<16x16xi32>
  %ijd = kestrel.matmul %id, %jd : (tensor<?x8xi64>, tensor<8x16xi64>) -> tensor<?x16xi64>
  %s = kestrel.shape_of %x : (tensor<2x8xf32>) -> tensor<2xi64>
  %e = kestrel.exp %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %r = kestrel.reshape %e, %s : (tensor<2x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
  %t = kestrel.reshape %r : (tensor<2x8xf32>) -> tensor<16xf32>
  return %ij, %ijd, %t : tensor<16x16xi32>, tensor<?x16xi64>, tensor<16xf32>
}

// -----

// A forced kernel that can run none of the ops is an error; one that cannot
// run some keeps the predictor's choice there, with a warning.
// RUN: not kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=f32 -kestrel-select-kernels="target=cuda force=cuda.gemm.mma" 2>&1 | FileCheck %s --check-prefix=FORCE
// FORCE: warning: cannot run on the forced kernel cuda.gemm.mma: it needs lhs, rhs and result stored in one of bf16/f16; keeping cuda.gemm.gemv
// FORCE: error: kestrel-select-kernels: the forced kernel cuda.gemm.mma runs none of the function's ops
// RUN: not kestrel-opt %s -split-input-file -kestrel-select-kernels="target=tpu" 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: kestrel-select-kernels: unknown target 'tpu' (expected cpu or cuda)
// RUN: not kestrel-opt %s -split-input-file -kestrel-select-kernels="target=cuda force=cuda.nope" 2>&1 | FileCheck %s --check-prefix=NOPE
// NOPE: error: kestrel-select-kernels: no kernel 'cuda.nope' on the cuda target

// -----

// Where the choice depends on the device and the shape. The same bf16 GEMM
// (512 x 1024, 1024 deep): on the A100 (312 TFLOP/s bf16, 108 SMs) the
// compute outweighs cuBLASLt's set-up and cuBLASLt wins; on the H200 (989
// TFLOP/s, 132 SMs) it takes a fraction of that and Kestrel's own 64x64
// tile wins. Decode-shaped (4 rows) against prefill-shaped (2048 rows) on
// one device: the GEMV kernels stream the weight, cuBLASLt runs the big
// one. On the CPU, the weights packed at load for all three.
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels="target=cuda device=h200" | FileCheck %s --check-prefix=H200
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels="target=cuda device=a100-80gb" | FileCheck %s --check-prefix=A100
// H200-LABEL: func.func @by_device(
// H200: kestrel.matmul {{.+}}#kestrel.impl<"cuda.gemm.mma", {tile_k = 32 : i64, tile_m = 64 : i64, tile_n = 64 : i64, warps_m = 2 : i64, warps_n = 2 : i64}, predicted_us = [{{[0-9., e+-]+}}]>
// H200: kestrel.matmul {{.+}}#kestrel.impl<"cuda.gemm.gemv", {}, predicted_us = [{{[0-9., e+-]+}}]>
// H200: kestrel.matmul {{.+}}#kestrel.impl<"cuda.gemm.cublaslt", {}, predicted_us = [{{[0-9., e+-]+}}]>
// A100-LABEL: func.func @by_device(
// A100: kestrel.matmul {{.+}}#kestrel.impl<"cuda.gemm.cublaslt", {}, predicted_us = [{{[0-9., e+-]+}}]>
// A100: kestrel.matmul {{.+}}#kestrel.impl<"cuda.gemm.gemv", {}, predicted_us = [{{[0-9., e+-]+}}]>
// A100: kestrel.matmul {{.+}}#kestrel.impl<"cuda.gemm.cublaslt", {}, predicted_us = [{{[0-9., e+-]+}}]>
// CPU-LABEL: func.func @by_device(
// CPU-COUNT-3: #kestrel.impl<"cpu.gemm.packed", {}, predicted_us = [{{[0-9., e+-]+}}]>
func.func @by_device(%x: tensor<512x1024xf32>, %xs: tensor<4x4096xf32>, %xp: tensor<2048x4096xf32>)
    -> (tensor<512x1024xf32>, tensor<4x1536xf32>, tensor<2048x1536xf32>) {
  %w = kestrel.weight "w" : tensor<1024x1024xf32>
  %w2 = kestrel.weight "w2" : tensor<4096x1536xf32>
  %a = kestrel.matmul %x, %w : (tensor<512x1024xf32>, tensor<1024x1024xf32>) -> tensor<512x1024xf32>
  %b = kestrel.matmul %xs, %w2 : (tensor<4x4096xf32>, tensor<4096x1536xf32>) -> tensor<4x1536xf32>
  %c = kestrel.matmul %xp, %w2 : (tensor<2048x4096xf32>, tensor<4096x1536xf32>) -> tensor<2048x1536xf32>
  return %a, %b, %c : tensor<512x1024xf32>, tensor<4x1536xf32>, tensor<2048x1536xf32>
}

// -----

// The packed kernel needs a rank-2 weight as the rhs and the lhs as
// stored: activations times activations (attention's scores), a
// transposed lhs and an integer weight run on the dot path.
// CPU-LABEL: func.func @packed_needs_a_weight(
// CPU: kestrel.matmul %arg0, %arg1 {{.+}}#kestrel.impl<"cpu.gemm.dot"
// CPU: kestrel.matmul %arg2, %0 {{.+}}#kestrel.impl<"cpu.gemm.dot"
// CPU: kestrel.matmul %arg0, %0 {{.+}}#kestrel.impl<"cpu.gemm.packed"
// CPU: kestrel.matmul %arg3, %1 {{.+}}#kestrel.impl<"cpu.gemm.dot"
func.func @packed_needs_a_weight(%x: tensor<64x64xf32>, %y: tensor<64x256xf32>, %xt: tensor<64x64xf32>, %i: tensor<64x64xi32>)
    -> (tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xi32>) {
  %w = kestrel.weight "w" : tensor<64x256xf32>
  %wi = kestrel.weight "wi" : tensor<64x256xi32>
  %a = kestrel.matmul %x, %y : (tensor<64x64xf32>, tensor<64x256xf32>) -> tensor<64x256xf32>
  %b = kestrel.matmul %xt, %w {transpose_a = true} : (tensor<64x64xf32>, tensor<64x256xf32>) -> tensor<64x256xf32>
  %c = kestrel.matmul %x, %w : (tensor<64x64xf32>, tensor<64x256xf32>) -> tensor<64x256xf32>
  %d = kestrel.matmul %i, %wi : (tensor<64x64xi32>, tensor<64x256xi32>) -> tensor<64x256xi32>
  return %a, %b, %c, %d : tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xi32>
}
