// RUN: kestrel-opt %s -kestrel-select-kernels | FileCheck %s --check-prefix=CPU
// RUN: kestrel-opt %s -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels=target=cuda | FileCheck %s --check-prefix=BF16
// RUN: kestrel-opt %s -kestrel-assign-storage=precision=f32 -kestrel-select-kernels=target=cuda | FileCheck %s --check-prefix=F32
// RUN: kestrel-opt %s -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels="target=cuda force=cuda.attention.generic" | FileCheck %s --check-prefix=GENERIC

// GENERIC-LABEL: func.func @attention(
// GENERIC-COUNT-4: kestrel.impl = #kestrel.impl<"cuda.attention.generic", {}>
// Attention on CUDA: the flash kernel where the storage is bf16/f16 and the
// head dim 64 or 128 (or known only at run time), else split-KV (both fall
// back at run time: kestrel::cuda::AttentionImpl). The CPU has one kernel.
// CPU-LABEL: func.func @attention(
// CPU-COUNT-4: kestrel.impl = #kestrel.impl<"cpu.attention", {}>
// BF16-LABEL: func.func @attention(
// BF16: kestrel.attention {{.+}}kestrel.impl = #kestrel.impl<"cuda.attention.flash", {}>
// BF16: kestrel.attention {{.+}}kestrel.impl = #kestrel.impl<"cuda.attention.split_kv", {}>
// BF16: kestrel.attention {{.+}}kestrel.impl = #kestrel.impl<"cuda.attention.flash", {}>
// BF16: kestrel.attention {{.+}}kestrel.impl = #kestrel.impl<"cuda.attention.split_kv", {}>
// F32-LABEL: func.func @attention(
// F32-COUNT-4: kestrel.impl = #kestrel.impl<"cuda.attention.split_kv", {}>
func.func @attention(%q64: tensor<1x2x16x64xf32>, %q32: tensor<1x2x16x32xf32>,
                     %qd: tensor<1x2x16x?xf32>)
    -> (tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x?xf32>, tensor<1x2x16x32xf32>) {
  %a = kestrel.attention %q64, %q64, %q64 {causal = true}
      : (tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>) -> tensor<1x2x16x64xf32>
  %b = kestrel.attention %q32, %q32, %q32 {causal = true}
      : (tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32>) -> tensor<1x2x16x32xf32>
  %c = kestrel.attention %qd, %qd, %qd {causal = true}
      : (tensor<1x2x16x?xf32>, tensor<1x2x16x?xf32>, tensor<1x2x16x?xf32>) -> tensor<1x2x16x?xf32>
  // Value head dim 32 against query 64: not the flash kernel's.
  %d = kestrel.attention %q64, %q64, %q32 {causal = true}
      : (tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32>) -> tensor<1x2x16x32xf32>
  return %a, %b, %c, %d : tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x?xf32>, tensor<1x2x16x32xf32>
}

