// The host code the CUDA target emits: the same tables and shape code as
// the CPU target, an `execute` that launches the CUDA library over device
// tensors, per-value device types (bf16 for model data, f32 kept for the
// position-derived values), and the GEMM instantiation the compiler chose.
// RUN: rm -rf %t && kestrelc %s --target=cuda:sm_80,sm_90a --emit=source \
// RUN:   -o %t --name m --dim-range seq=1:64
// RUN: FileCheck %s < %t/m.cpp
// RUN: FileCheck %s --check-prefix=GEMM < %t/kernels/kestrel_gemm_64x64x32_2x2_bf16_nn.cu
// RUN: FileCheck %s --check-prefix=CMAKE < %t/CMakeLists.txt
// RUN: test -f %t/kestrel-src/runtime/cuda/CudaBackend.cpp
// RUN: test -f %t/kestrel-src/kernels/cuda/Kernels.h
// RUN: test -f %t/kestrel-src/tools/kestrel-run/kestrel-run.cpp
// What codegen reads: the kernel choices in the IR.
// RUN: kestrelc %s --target=cuda --emit=mlir | FileCheck %s --check-prefix=IMPL
// A forced kernel (kestrelc --kernel) shows in the IR and in the code.
// RUN: rm -rf %t.simt && kestrelc %s --target=cuda --emit=source -o %t.simt \
// RUN:   --name m --kernel=cuda.gemm.simt
// RUN: FileCheck %s --check-prefix=SIMT < %t.simt/m.cpp
// RUN: not kestrelc %s --target=cuda --emit=mlir --kernel=cuda.gemm.nope 2>&1 \
// RUN:   | FileCheck %s --check-prefix=UNKNOWN

module {
  func.func @main(%x: tensor<?x64xf32> {kestrel.name = "x", kestrel.dim_names = ["seq", ""]}) -> (tensor<?x128xf32> {kestrel.name = "y"}) {
    %w = kestrel.constant dense<0.5> : tensor<64x128xf32>
    %zero = kestrel.constant dense<0> : tensor<i64>
    %one = kestrel.constant dense<1> : tensor<i64>
    %mm = kestrel.matmul %x, %w : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
    %s = kestrel.shape_of %x : (tensor<?x64xf32>) -> tensor<2xi64>
    %n = kestrel.slice %s {starts = array<i64: 0>, ends = array<i64: 1>, steps = array<i64: 1>} : (tensor<2xi64>) -> tensor<1xi64>
    %n0 = kestrel.reshape %n : (tensor<1xi64>) -> tensor<i64>
    %pos = kestrel.range %zero, %n0, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %pf = kestrel.cast %pos : (tensor<?xi64>) -> tensor<?xf32>
    %c = kestrel.cos %pf : (tensor<?xf32>) -> tensor<?xf32>
    %c2 = kestrel.reshape %c : (tensor<?xf32>) -> tensor<?x1xf32>
    %y = kestrel.mul %mm, %c2 : (tensor<?x128xf32>, tensor<?x1xf32>) -> tensor<?x128xf32>
    return %y : tensor<?x128xf32>
  }
}

// CHECK: #include "kernels/cuda/Kernels.h"
// CHECK: #include "runtime/cuda/CudaBackend.h"
// CHECK: namespace kestrel::cuda::instances {
// CHECK-NEXT: bool kestrel_gemm_64x64x32_2x2_bf16_nn(Context &, const GemmArgs &);
// CHECK: using namespace kestrel::cuda;
// The constant matmul operand carries model data (bf16 on the device, like
// a weight would); positions and their cosine stay f32; the product of
// the two is model data again.
// CHECK: const DType deviceDtypes[] = {
// CHECK-NEXT: DType::BF16, DType::BF16, DType::I64, DType::I64, DType::BF16, DType::I64, DType::I64, DType::I64,
// CHECK-NEXT: DType::I64, DType::F32, DType::F32, DType::F32, DType::BF16,
// CHECK-LABEL: bool inferShapes(Exec &x, int32_t stage) {
// CHECK: kestrel::cpu::Context &c = x.ctx;
// CHECK-LABEL: bool execute(Exec &x, int32_t stage) {
// CHECK-NEXT: kestrel::cuda::Context &c = *x.cuda;
// CHECK-NEXT: std::vector<Tensor> &v = x.d;
// CHECK-NEXT: std::vector<Tensor> &h = x.v;
// The kernel is the one #kestrel.impl names: the tensor-core GEMM, and the
// GEMV kernels for calls of at most 8 rows (the row count is dynamic).
// CHECK: if (!matmul(c, v[0], v[1], false, false, v[4], nullptr, kestrel::cuda::GemmChoice{kestrel::cuda::GemmImpl::MmaSync, kestrel::cuda::instances::kestrel_gemm_64x64x32_2x2_bf16_nn, 8}))
// The range's bounds are host scalars.
// CHECK: if (!range(c, h[2], h[7], h[3], v[8]))
// CHECK: if (!binary(c, BinaryOp::Mul, v[4], v[11], v[12]))
// CHECK: &kCudaBackend,
// CHECK-NEXT: deviceDtypes,

// GEMM: #include "kernels/cuda/Gemm.cuh"
// GEMM: bool kestrel_gemm_64x64x32_2x2_bf16_nn(Context &ctx, const GemmArgs &args) {
// GEMM-NEXT: return gemmMma<64, 64, 32, 2, 2,
// GEMM-NEXT: gemm_variant::kBf16 | gemm_variant::kNN>(ctx, args);

// CMAKE: project(m LANGUAGES C CXX CUDA)
// CMAKE: set(KESTREL_CUDA_GENCODE "-gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_90a,code=sm_90a"
// CMAKE: add_library(m SHARED
// CMAKE-NEXT: m.cpp
// CMAKE-NEXT: kernels/kestrel_gemm_64x64x32_2x2_bf16_nn.cu
// CMAKE: add_executable(kestrel-run
// CMAKE: add_executable(kestrel-pack

// IMPL: kestrel.matmul {{.+}}kestrel.impl = #kestrel.impl<"cuda.gemm.mma", {gemv_max_m = 8 : i64, tile_k = 32 : i64, tile_m = 64 : i64, tile_n = 64 : i64, warps_m = 2 : i64, warps_n = 2 : i64}, predicted_us = [{{.+}}]>
// The shape arithmetic runs on the host, with the CPU's kernels.
// IMPL: kestrel.shape_of {{.+}}kestrel.impl = #kestrel.impl<"cpu.data_movement", {}, predicted_us = [{{[0-9., e+-]+}}]>
// IMPL: kestrel.range {{.+}}kestrel.impl = #kestrel.impl<"cuda.data_movement", {}, predicted_us = [{{[0-9., e+-]+}}]>
// IMPL: kestrel.cos {{.+}}kestrel.impl = #kestrel.impl<"cuda.elementwise", {}, predicted_us = [{{[0-9., e+-]+}}]>

// SIMT: if (!matmul(c, v[0], v[1], false, false, v[4], nullptr, kestrel::cuda::GemmChoice{kestrel::cuda::GemmImpl::Simt, nullptr, 8}))
// SIMT-NOT: kestrel_gemm_

// UNKNOWN: kestrelc: error: --kernel=cuda.gemm.nope is not a kernel of the cuda target (kestrelc --print-kernels --target=cuda lists them)
