// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=bf16 | FileCheck %s --check-prefix=BF16
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=f16 | FileCheck %s --check-prefix=F16
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=f32 | FileCheck %s --check-prefix=F32
// RUN: kestrel-opt %s -split-input-file -kestrel-assign-storage | FileCheck %s --check-prefix=F32
// RUN: not kestrel-opt %s -split-input-file -kestrel-assign-storage=precision=fp8 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: kestrel-assign-storage: unknown precision 'fp8' (expected f32, bf16 or f16)

// Model data (the float input, the projection weight, what is computed
// from them) is stored in bf16/f16, the function's signature included; the
// norm's vector weight, the i64 positions and the f32 values computed from
// them alone (a rotary table) stay as they are. Ops still compute in f32.

// BF16-LABEL: func.func @block(
// BF16-SAME: %{{[^:]+}}: tensor<2x64xf32, #kestrel.storage<bf16>>, %{{[^:]+}}: tensor<2xi64>)
// BF16-SAME: -> (tensor<2x32xf32, #kestrel.storage<bf16>>, tensor<2xf32>)
// BF16: kestrel.weight "w" : tensor<64x32xf32, #kestrel.storage<bf16>>
// BF16: kestrel.weight "g" : tensor<64xf32>
// BF16: kestrel.rms_norm {{.+}} -> tensor<2x64xf32, #kestrel.storage<bf16>>
// BF16: kestrel.matmul {{.+}} -> tensor<2x32xf32, #kestrel.storage<bf16>>
// BF16: kestrel.cast {{.+}} : (tensor<2xi64>) -> tensor<2xf32>
// BF16: kestrel.cos {{.+}} : (tensor<2xf32>) -> tensor<2xf32>

// F16-LABEL: func.func @block(
// F16-SAME: tensor<2x64xf32, #kestrel.storage<f16>>
// F16: kestrel.weight "w" : tensor<64x32xf32, #kestrel.storage<f16>>

// F32-LABEL: func.func @block(
// F32-NOT: #kestrel.storage
// F32: return
func.func @block(%x: tensor<2x64xf32>, %pos: tensor<2xi64>)
    -> (tensor<2x32xf32>, tensor<2xf32>) {
  %w = kestrel.weight "w" : tensor<64x32xf32>
  %g = kestrel.weight "g" : tensor<64xf32>
  %n = kestrel.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32}
      : (tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  %y = kestrel.matmul %n, %w : (tensor<2x64xf32>, tensor<64x32xf32>) -> tensor<2x32xf32>
  %p = kestrel.cast %pos : (tensor<2xi64>) -> tensor<2xf32>
  %c = kestrel.cos %p : (tensor<2xf32>) -> tensor<2xf32>
  return %y, %c : tensor<2x32xf32>, tensor<2xf32>
}

// -----

// Values one kernel reads and writes in one type get one storage type: a
// literal concatenated with model data is stored as it is (its value too).
// BF16-LABEL: func.func @literal(
// BF16: kestrel.constant dense<1.000000e+00> : tensor<1x4xf32, #kestrel.storage<bf16>>
// BF16: kestrel.concat {{.+}} -> tensor<3x4xf32, #kestrel.storage<bf16>>
func.func @literal(%x: tensor<2x4xf32>) -> tensor<3x4xf32> {
  %c = kestrel.constant dense<1.0> : tensor<1x4xf32>
  %y = kestrel.concat %x, %c {axis = 0 : i64} : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
