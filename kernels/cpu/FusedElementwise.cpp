//===- FusedElementwise.cpp - The driver of generated fused bodies --------===//
//
// kestrel.fused_elementwise on the CPU. The emitter writes each op's body
// as a block function over n elements in compute types (FusedBlockFn);
// this driver walks the output row by row over a StridedSpace (broadcast
// inputs step 0) and calls it on blocks of kBlock elements. Where an
// operand is contiguous and already in its compute type (f32, i64, i32, i1)
// the block function gets a pointer into the tensor; otherwise a per-task
// staging buffer that the driver fills first (widening f16/bf16/f8,
// repeating a broadcast value) or converts back afterwards (rounding to
// nearest even).
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/ElementTypes.h"
#include "kernels/cpu/StridedLoops.h"

#include <atomic>
#include <cstring>

namespace kestrel::cpu {

using namespace detail;

namespace {

/// Elements per block-function call: the staging buffers stay in L1.
constexpr int64_t kBlock = 256;

/// Whether `t` is its own compute type (the block function reads and writes
/// it in place).
bool isComputeType(DType t) {
  return t == DType::F32 || t == DType::I64 || t == DType::I32 ||
         t == DType::I1;
}

/// n elements of type `t` at `src` (element stride 0 or 1) into `dst` in the
/// compute type.
void stage(DType t, const char *src, int64_t stride, void *dst, int64_t n) {
  if (isFloat(t)) {
    auto *d = static_cast<float *>(dst);
    if (stride == 0) {
      float v;
      convertToF32(t, src, &v, 1);
      std::fill(d, d + n, v);
    } else {
      convertToF32(t, src, d, n);
    }
    return;
  }
  size_t width = dtypeSize(t);
  if (stride != 0) {
    std::memcpy(dst, src, size_t(n) * width);
    return;
  }
  auto *d = static_cast<char *>(dst);
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(d + i * width, src, width);
}

} // namespace

bool fusedElementwise(Context &ctx, const char *name, const Tensor *in,
                      int numIn, Tensor *out, int numOut, FusedBlockFn fn) {
  if (numIn < 1 || numOut < 1 || numIn + numOut > kMaxFusedOperands)
    return ctx.fail(std::string(name) + ": " + str(numIn) + " inputs and " +
                    str(numOut) + " results; 1 to " + str(kMaxFusedOperands) +
                    " operands in all are supported");
  Shape shape;
  for (int k = 0; k < numIn; ++k) {
    if (!checkTensor(ctx, name, "input", in[k]))
      return false;
    if (k == 0)
      shape = in[0].shape;
    else if (!broadcastShapes(ctx, name, shape, in[k].shape, shape))
      return false;
  }
  for (int k = 0; k < numOut; ++k)
    if (!checkOut(ctx, name, out[k], shape, out[k].dtype, "result"))
      return false;
  if (shape.numel() == 0)
    return true;

  StridedSpace<kMaxFusedOperands> s;
  s.rank = shape.rank;
  for (int d = 0; d < s.rank; ++d)
    s.dims[d] = shape[d];
  for (int k = 0; k < numIn; ++k)
    broadcastStrides(in[k].shape, s.rank, s.strides[k]);
  for (int k = 0; k < numOut; ++k)
    contiguousStrides(shape, s.strides[numIn + k]);
  s.simplify();
  int inner = s.rank - 1;

  std::atomic<bool> divisionByZero{false};
  forEachRow(ctx, s, kGrain, [&](const int64_t *off, int64_t len) {
    alignas(64) char staging[kMaxFusedOperands][kBlock * 8];
    const void *inPtr[kMaxFusedOperands];
    void *outPtr[kMaxFusedOperands];
    char *outData[kMaxFusedOperands];
    int error = 0;
    for (int64_t b = 0; b < len; b += kBlock) {
      int64_t n = std::min(kBlock, len - b);
      for (int k = 0; k < numIn; ++k) {
        int64_t stride = s.strides[k][inner];
        const char *src =
            static_cast<const char *>(elementAt(in[k], off[k] + b * stride));
        if (stride == 1 && isComputeType(in[k].dtype)) {
          inPtr[k] = src;
        } else {
          stage(in[k].dtype, src, stride, staging[k], n);
          inPtr[k] = staging[k];
        }
      }
      for (int k = 0; k < numOut; ++k) {
        outData[k] = static_cast<char *>(elementAt(out[k], off[numIn + k] + b));
        outPtr[k] = isComputeType(out[k].dtype)
                        ? static_cast<void *>(outData[k])
                        : staging[numIn + k];
      }
      fn(inPtr, outPtr, n, &error);
      for (int k = 0; k < numOut; ++k)
        if (!isComputeType(out[k].dtype))
          convertFromF32(out[k].dtype,
                         reinterpret_cast<const float *>(staging[numIn + k]),
                         outData[k], n);
    }
    if (error)
      divisionByZero = true;
  });
  if (divisionByZero)
    return ctx.fail(std::string(name) + ": integer division by zero");
  return true;
}

} // namespace kestrel::cpu
