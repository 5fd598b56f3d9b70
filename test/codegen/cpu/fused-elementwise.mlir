// A fused_elementwise body becomes a block function in the model's C++:
// one loop over n elements in compute types (restrict pointers, the kernel
// library's polynomial exp, `omp simd` so that it vectorizes at -O2),
// called through the library's broadcasting fusedElementwise driver.
// RUN: rm -rf %t && kestrelc %s --emit=source -o %t --name m
// RUN: FileCheck %s < %t/m.cpp
// The library runs and matches NumPy: silu(x + b) with b broadcast, the
// i1 result, and (the CUDA test's integer model) divsi/remsi with the
// kernel library's rules and a reported division by zero.
// RUN: rm -rf %t.lib %t.int && kestrelc %s -o %t.lib --name m > /dev/null 2>&1
// RUN: kestrelc %S/../cuda/Inputs/fused-int.mlir -o %t.int --name m > /dev/null 2>&1
// RUN: %python %S/../cuda/Inputs/check_fused.py kestrel-run %t.lib %t.int %t.work

module {
  func.func @main(%x: tensor<?x64xf32> {kestrel.name = "x", kestrel.dim_names = ["seq", ""]}, %b: tensor<64xf32> {kestrel.name = "b"}) -> (tensor<?x64xf32> {kestrel.name = "y"}, tensor<?x64xi1> {kestrel.name = "pos"}) {
    %y, %p = kestrel.fused_elementwise ins(%x, %b : tensor<?x64xf32>, tensor<64xf32>) {
    ^bb0(%a: f32, %c: f32):
      %s = arith.addf %a, %c : f32
      %n = arith.negf %s : f32
      %e = math.exp %n : f32
      %one = arith.constant 1.0 : f32
      %d = arith.addf %e, %one : f32
      %r = arith.divf %s, %d : f32
      %zero = arith.constant 0.0 : f32
      %gt = arith.cmpf ogt, %r, %zero : f32
      kestrel.yield %r, %gt : f32, i1
    } -> tensor<?x64xf32>, tensor<?x64xi1>
    return %y, %p : tensor<?x64xf32>, tensor<?x64xi1>
  }
}

// CHECK: #include "kernels/cpu/VectorMath.h"
// CHECK: void [[$FN:fused_[0-9a-f]+]](const void *const *inputs, void *const *outputs, int64_t n,
// CHECK-NEXT: int *errorFlag) {
// CHECK-NEXT: const float *__restrict in0 = static_cast<const float *>(inputs[0]);
// CHECK-NEXT: const float *__restrict in1 = static_cast<const float *>(inputs[1]);
// CHECK-NEXT: float *__restrict out0 = static_cast<float *>(outputs[0]);
// CHECK-NEXT: uint8_t *__restrict out1 = static_cast<uint8_t *>(outputs[1]);
// CHECK-NEXT: (void)errorFlag;
// CHECK-NEXT: #pragma omp simd
// CHECK-NEXT: for (int64_t i = 0; i < n; ++i) {
// CHECK-NEXT: const float x0 = in0[i];
// CHECK-NEXT: const float x1 = in1[i];
// CHECK-NEXT: float r0;
// CHECK-NEXT: bool r1;
// CHECK-NEXT: const float t0 = 0.0f;
// CHECK-NEXT: const float t1 = 1.0f;
// CHECK-NEXT: const float t2 = (x0 + x1);
// CHECK-NEXT: const float t3 = (-t2);
// CHECK-NEXT: const float t4 = kestrel::cpu::expApprox(t3);
// CHECK-NEXT: const float t5 = (t4 + t1);
// CHECK-NEXT: const float t6 = (t2 / t5);
// CHECK-NEXT: const bool t7 = (t6 > t0);
// CHECK-NEXT: r0 = t6;
// CHECK-NEXT: r1 = t7;
// CHECK-NEXT: out0[i] = r0;
// CHECK-NEXT: out1[i] = r1;
// CHECK-LABEL: bool execute(Exec &x, int32_t stage) {
// CHECK: { const Tensor in[] = {v[0], v[1]};
// CHECK-NEXT: Tensor out[] = {v[2], v[3]};
// CHECK-NEXT: if (!fusedElementwise(c, "fused_elementwise", in, 2, out, 2, [[$FN]])) return x.opFailed("%2 = kestrel.fused_elementwise");
