// RUN: kestrel-opt %s -kestrel-select-kernels | FileCheck %s --check-prefix=CPU
// RUN: kestrel-opt %s -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels=target=cuda | FileCheck %s --check-prefix=BF16
// RUN: kestrel-opt %s -kestrel-assign-storage=precision=f32 -kestrel-select-kernels=target=cuda | FileCheck %s --check-prefix=F32
// RUN: kestrel-opt %s -kestrel-assign-storage=precision=bf16 -kestrel-select-kernels="target=cuda force=cuda.attention.generic" | FileCheck %s --check-prefix=GENERIC

// GENERIC-LABEL: func.func @attention(
// GENERIC-COUNT-4: kestrel.impl = #kestrel.impl<"cuda.attention.generic", {}, predicted_us = [{{[0-9., e+-]+}}]>
// GENERIC-LABEL: func.func @real_size(
// GENERIC-COUNT-2: kestrel.impl = #kestrel.impl<"cuda.attention.generic", {}
// Attention on CUDA, by predicted latency: at a real size the flash kernel
// for prefill (bf16/f16, head dim 64 or 128), split-KV for decode (few
// queries over many keys: the keys split over warps); f32 storage has no
// flash kernel, so prefill runs the generic one. At the tiny sizes of
// @attention two heads of 16 queries are launch-bound: the generic kernel
// spreads them over more SMs (a flash or split-KV choice would fall back at
// run time anyway: kestrel::cuda::AttentionImpl). The CPU has one kernel.
// CPU-LABEL: func.func @attention(
// CPU-COUNT-4: kestrel.impl = #kestrel.impl<"cpu.attention", {}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16-LABEL: func.func @attention(
// BF16-COUNT-4: kestrel.impl = #kestrel.impl<"cuda.attention.generic", {}, predicted_us = [{{[0-9., e+-]+}}]>
// F32-LABEL: func.func @attention(
// F32-COUNT-4: kestrel.impl = #kestrel.impl<"cuda.attention.generic", {}, predicted_us = [{{[0-9., e+-]+}}]>
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

// BF16-LABEL: func.func @real_size(
// BF16: kestrel.attention {{.+}}kestrel.impl = #kestrel.impl<"cuda.attention.flash", {}, predicted_us = [{{[0-9., e+-]+}}]>
// BF16: kestrel.attention {{.+}}kestrel.impl = #kestrel.impl<"cuda.attention.split_kv", {}, predicted_us = [{{[0-9., e+-]+}}]>
// F32-LABEL: func.func @real_size(
// F32: kestrel.attention {{.+}}kestrel.impl = #kestrel.impl<"cuda.attention.generic", {}, predicted_us = [{{[0-9., e+-]+}}]>
// F32: kestrel.attention {{.+}}kestrel.impl = #kestrel.impl<"cuda.attention.split_kv", {}, predicted_us = [{{[0-9., e+-]+}}]>
func.func @real_size(%q: tensor<1x32x512x128xf32>, %qd: tensor<1x32x1x128xf32>, %kd: tensor<1x8x2048x128xf32>)
    -> (tensor<1x32x512x128xf32>, tensor<1x32x1x128xf32>) {
  %p = kestrel.attention %q, %q, %q {causal = true}
      : (tensor<1x32x512x128xf32>, tensor<1x32x512x128xf32>, tensor<1x32x512x128xf32>) -> tensor<1x32x512x128xf32>
  %d = kestrel.attention %qd, %kd, %kd {num_heads = 32, num_kv_heads = 8}
      : (tensor<1x32x1x128xf32>, tensor<1x8x2048x128xf32>, tensor<1x8x2048x128xf32>) -> tensor<1x32x1x128xf32>
  return %p, %d : tensor<1x32x512x128xf32>, tensor<1x32x1x128xf32>
}
