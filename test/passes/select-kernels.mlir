// RUN: kestrel-opt %s -split-input-file -kestrel-select-kernels | FileCheck %s --check-prefix=CPU
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels=target=cuda | FileCheck %s --check-prefix=BF16
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=f32 -kestrel-select-kernels=target=cuda | FileCheck %s --check-prefix=F32
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels="target=cuda force=cuda.gemm.simt" | FileCheck %s --check-prefix=SIMT

// The GEMM rules on CUDA, by rows (dim -2) and columns. bf16 storage: up to
// 8 static rows the GEMV kernels, then the tensor-core GEMM with a 32-row
// tile up to 32 rows, 64x64 below 128 columns or up to 64 rows, 128x128
// beyond; a dynamic row count adds the GEMV guard. f32 storage: cuBLASLt.
// Every other op has one kernel per target; the weight has none.

// CPU-LABEL: func.func @gemms(
// CPU-NOT: kestrel.weight {{.*}}kestrel.impl
// CPU-COUNT-6: kestrel.impl = #kestrel.impl<"cpu.gemm.dot", {}>
// CPU: kestrel.relu {{.+}}kestrel.impl = #kestrel.impl<"cpu.elementwise", {}>

// BF16-LABEL: func.func @gemms(
// BF16: %[[D:.+]] = kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.gemv", {}>
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {tile_k = 64 : i64, tile_m = 32 : i64, tile_n = 128 : i64, warps_m = 1 : i64, warps_n = 4 : i64}>
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {tile_k = 32 : i64, tile_m = 64 : i64, tile_n = 64 : i64, warps_m = 2 : i64, warps_n = 2 : i64}>
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {tile_k = 32 : i64, tile_m = 128 : i64, tile_n = 128 : i64, warps_m = 2 : i64, warps_n = 4 : i64}>
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {gemv_max_m = 8 : i64, tile_k = 32 : i64, tile_m = 128 : i64, tile_n = 128 : i64, warps_m = 2 : i64, warps_n = 4 : i64}>
// BF16: kestrel.fused_matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {gemv_max_m = 8 : i64, tile_k = 32 : i64, tile_m = 64 : i64, tile_n = 64 : i64, warps_m = 2 : i64, warps_n = 2 : i64}>
// BF16: kestrel.relu {{.+}}kestrel.impl = #kestrel.impl<"cuda.elementwise", {}>

// F32-LABEL: func.func @gemms(
// F32: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.gemv", {}>
// F32-COUNT-3: kestrel.impl = #kestrel.impl<"cuda.gemm.cublaslt", {}>
// F32: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.cublaslt", {gemv_max_m = 8 : i64}>
// F32: kestrel.fused_matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.cublaslt", {gemv_max_m = 8 : i64}>

// SIMT-LABEL: func.func @gemms(
// SIMT-COUNT-6: kestrel.impl = #kestrel.impl<"cuda.gemm.simt", {}>
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
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.simt", {}>
// BF16: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.simt", {}>
// BF16: kestrel.shape_of {{.+}}kestrel.impl = #kestrel.impl<"cpu.data_movement", {}>
// BF16: kestrel.exp {{.+}}kestrel.impl = #kestrel.impl<"cuda.elementwise", {}>
// BF16: kestrel.reshape %{{[^ ]+}}, %{{[^ ]+}} :
// BF16: kestrel.reshape %{{[^ ]+}} {kestrel.impl = #kestrel.impl<"cuda.data_movement", {}>}
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
// run some keeps the rule's choice there, with a warning.
// RUN: not kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=f32 -kestrel-select-kernels="target=cuda force=cuda.gemm.mma" 2>&1 | FileCheck %s --check-prefix=FORCE
// FORCE: warning: cannot run on the forced kernel cuda.gemm.mma: it needs lhs, rhs and result stored in one of bf16/f16; keeping cuda.gemm.gemv
// FORCE: error: kestrel-select-kernels: the forced kernel cuda.gemm.mma runs none of the function's ops
// RUN: not kestrel-opt %s -split-input-file -kestrel-select-kernels="target=tpu" 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: kestrel-select-kernels: unknown target 'tpu' (expected cpu or cuda)
// RUN: not kestrel-opt %s -split-input-file -kestrel-select-kernels="target=cuda force=cuda.nope" 2>&1 | FileCheck %s --check-prefix=NOPE
// NOPE: error: kestrel-select-kernels: no kernel 'cuda.nope' on the cuda target
