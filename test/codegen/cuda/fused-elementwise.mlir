// A fused_elementwise body becomes a generated CUDA kernel: the scalar body
// as a device function over f32 math, a broadcasting grid-stride kernel, a
// 16-byte vector kernel, loads and stores in each tensor's device type (the
// bf16 input and output here, the f32 position-derived input kept f32).
// REQUIRES: cuda
// RUN: rm -rf %t && kestrelc %s --target=cuda --emit=source -o %t --name m
// RUN: FileCheck %s --check-prefix=HOST < %t/m.cpp
// RUN: cat %t/kernels/kestrel_fused_*.cu | FileCheck %s
// The generated kernel compiles with nvcc and links into a library.
// RUN: rm -rf %t.lib %t.cache && kestrelc %s --target=cuda:sm_80 -o %t.lib --name m \
// RUN:   --cache-dir %t.cache 2>&1 | FileCheck %s --check-prefix=LIB
// LIB: kestrelc: nvcc kestrel_fused_{{[0-9a-f]+}}.cu (sm_80) ... compiled
// LIB: kestrelc: linking libm.so
// Integer division keeps the kernel library's rules (x / 0 raises the
// device error, MIN / -1 wraps); `one` is false for NaN.
// (The library build leaves only the deliverables in the output folder;
// --emit=source writes the kernels.)
// RUN: rm -rf %t.int %t.int.src %t.int.cache && kestrelc %S/Inputs/fused-int.mlir \
// RUN:   --target=cuda:sm_80 -o %t.int --cache-dir %t.int.cache > /dev/null 2>&1
// RUN: test -f %t.int/libfused_int.so
// RUN: not test -e %t.int/kernels
// RUN: not test -e %t.int/obj
// RUN: kestrelc %S/Inputs/fused-int.mlir --target=cuda:sm_80 --emit=source \
// RUN:   -o %t.int.src
// RUN: cat %t.int.src/kernels/kestrel_fused_*.cu | FileCheck %s --check-prefix=INT
// INT: const int64_t t0 = (x1 == 0 ? (raiseError(errorFlag, DeviceError::DivisionByZero), int64_t(0)) : x1 == -1 ? static_cast<int64_t>(static_cast<std::make_unsigned_t<int64_t>>(0) - static_cast<std::make_unsigned_t<int64_t>>(x0)) : x0 / x1);
// INT: const int64_t t1 = (x1 == 0 ? (raiseError(errorFlag, DeviceError::DivisionByZero), int64_t(0)) : x1 == -1 ? int64_t(0) : x0 % x1);
// INT: const bool t2 = (x2 == x2 && x2 == x2 && x2 != x2);
// Both generated kernels run on the CUDA emulator (--target=cuda-emu)
// and match NumPy, including the integer rules and the device error.
// RUN: rm -rf %t.emu %t.emu-int && kestrelc %s --target=cuda-emu \
// RUN:   --precision=f32 -o %t.emu --name m --cache-dir %t.cache > /dev/null 2>&1
// RUN: kestrelc %S/Inputs/fused-int.mlir --target=cuda-emu -o %t.emu-int \
// RUN:   --name m --cache-dir %t.cache > /dev/null 2>&1
// RUN: %python %S/Inputs/check_fused.py kestrel-run %t.emu %t.emu-int %t.work
// A body op the generator does not translate is an error on that op.
// RUN: not kestrelc %S/Inputs/fused-unsupported.mlir --target=cuda \
// RUN:   --emit=source -o %t.bad 2>&1 | FileCheck %s --check-prefix=ERROR

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

// HOST: namespace kestrel::cuda::instances {
// HOST-NEXT: bool [[$FN:kestrel_fused_[0-9a-f]+]](Context &, const Tensor *inputs, Tensor *outputs);
// HOST-LABEL: bool inferShapes(Exec &x, int32_t stage) {
// HOST: { Shape s = v[0].shape; OP_TRY(broadcastShape(c, s, v[1].shape, s)); OP_TRY(x.setShape(2, s, Shape{-1, 64})); OP_TRY(x.setShape(3, s, Shape{-1, 64})); }
// HOST-LABEL: bool execute(Exec &x, int32_t stage) {
// HOST: { const Tensor in[] = {v[0], v[1]};
// HOST-NEXT: Tensor out[] = {v[2], v[3]};
// HOST-NEXT: if (!kestrel::cuda::instances::[[$FN]](c, in, out)) return x.opFailed("%2 = kestrel.fused_elementwise");

// CHECK: #include "kernels/cuda/Common.cuh"
// CHECK: constexpr int kInputs = 2, kOutputs = 2, kVec = 8;
// CHECK: __device__ __forceinline__ void body(int *errorFlag, float x0, float x1, float &r0, bool &r1) {
// CHECK-NEXT: const float t0 = 0.0f;
// CHECK-NEXT: const float t1 = 1.0f;
// CHECK-NEXT: const float t2 = (x0 + x1);
// CHECK-NEXT: const float t3 = (-t2);
// CHECK-NEXT: const float t4 = expf(t3);
// CHECK-NEXT: const float t5 = (t4 + t1);
// CHECK-NEXT: const float t6 = (t2 / t5);
// CHECK-NEXT: const bool t7 = (t6 > t0);
// CHECK-NEXT: r0 = t6;
// CHECK-NEXT: r1 = t7;
// CHECK: __global__ void __launch_bounds__(256) fusedScalar(Args a) {
// CHECK: const float x0 = toF32(static_cast<const bf16 *>(a.in[0])[broadcastOffset(a.strides[0], i)]);
// CHECK: const float x1 = toF32(static_cast<const bf16 *>(a.in[1])[broadcastOffset(a.strides[1], i)]);
// CHECK: static_cast<bf16 *>(a.out[0])[i] = fromF32<bf16>(r0);
// CHECK: static_cast<uint8_t *>(a.out[1])[i] = static_cast<uint8_t>(r1);
// CHECK: __global__ void __launch_bounds__(256) fusedVector(Args a) {
// CHECK: const Vec<bf16, 8> in0 = *reinterpret_cast<const Vec<bf16, 8> *>(static_cast<const bf16 *>(a.in[0]) + i);
// CHECK: bool [[$FN:kestrel_fused_[0-9a-f]+]](Context &ctx, const Tensor *inputs, Tensor *outputs) {
// CHECK: KESTREL_LAUNCH(gridFor(a.n / kVec, 256), 256, 0, streamOf(ctx), fusedVector)(a);
// CHECK: KESTREL_LAUNCH(gridFor(a.n, 256), 256, 0, streamOf(ctx), fusedScalar)(a);
// CHECK: return checkLaunch(ctx, "fused_elementwise");

// ERROR: error: 'arith.bitcast' op has a body op the fused-body generator does not handle: 'arith.bitcast'
