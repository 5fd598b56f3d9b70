//===- Quantized.h - Block-quantized low-bit weights ------------*- C++ -*-===//
//
// kestrel.matmul_nbits' weights and kestrel.gather_nbits' tables (ONNX
// com.microsoft MatMulNBits' and GatherBlockQuantized's layout) written
// once for both kernel libraries: row n of the packed [N, blocks,
// block_size * bits / 8] bytes holds W[:, n] (a table's row n) quantized,
// element k at bits [k * bits, (k + 1) * bits) of the row, low bits first;
// W[k][n] = (q - zero point) * scale with the block b = k / block_size's
// scale and zero point. The shape functions and argument checks with their
// messages are here too.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_COMMON_QUANTIZED_H
#define KESTREL_KERNELS_COMMON_QUANTIZED_H

#include "kernels/common/Ops.h"
#include "kernels/common/Tensor.h"

#include <cstdint>

namespace kestrel {

struct KernelStatus;

/// The packed weights of one matmul_nbits, as the kernels read them.
struct NBitsWeights {
  const uint8_t *data = nullptr; ///< [N, blocks, blockBytes]
  const float *scales = nullptr; ///< [N, blocks]
  /// [N, blocks]: one byte per block, or floats, or neither (2^(bits - 1)).
  const uint8_t *zeroBytes = nullptr;
  const float *zeroFloats = nullptr;
  int bits = 4;
  int64_t blockSize = 32, k = 0, n = 0, blocks = 0;

  KESTREL_HOST_DEVICE int64_t rowBytes() const {
    return blocks * blockSize * bits / 8;
  }
  /// The quantized value of element k of row n.
  KESTREL_HOST_DEVICE int value(int64_t row, int64_t kk) const {
    int64_t bit = kk * bits;
    const uint8_t *r = data + row * rowBytes();
    return (r[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1);
  }
  KESTREL_HOST_DEVICE float scale(int64_t row, int64_t block) const {
    return scales[row * blocks + block];
  }
  KESTREL_HOST_DEVICE float zeroPoint(int64_t row, int64_t block) const {
    if (zeroBytes)
      return float(zeroBytes[row * blocks + block]);
    if (zeroFloats)
      return zeroFloats[row * blocks + block];
    return float(1 << (bits - 1));
  }
  /// W[kk][row], dequantized.
  KESTREL_HOST_DEVICE float at(int64_t row, int64_t kk) const {
    int64_t b = kk / blockSize;
    return (float(value(row, kk)) - zeroPoint(row, b)) * scale(row, b);
  }
};

/// matmul_nbits' output shape: lhs [..., k], weight [N, ceil(k /
/// blockSize), blockSize * bits / 8]; out [..., N].
bool matmulNBitsShape(KernelStatus &status, const Shape &lhs,
                      const Shape &weight, int64_t bits, int64_t blockSize,
                      int64_t k, Shape &out);
/// matmul_nbits' operands: a float lhs, u8 weight, f32 scales [N, blocks],
/// zero points (optional) [N, blocks] of u8 or f32, out of lhs's dtype and
/// matmulNBitsShape's shape.
bool checkMatmulNBits(KernelStatus &status, const Tensor &lhs,
                      const Tensor &weight, const Tensor &scales,
                      const Tensor *zeroPoints, int64_t bits, int64_t blockSize,
                      int64_t k, const Tensor &out);
/// gather_nbits' output shape: weight [V, blocks, blockSize * bits / 8]
/// holding rows of k elements; out [indices..., k].
bool gatherNBitsShape(KernelStatus &status, const Shape &weight,
                      const Shape &indices, int64_t bits, int64_t blockSize,
                      int64_t k, Shape &out);
/// gather_nbits' operands: u8 weight, f32 scales [V, blocks], zero points
/// (optional) [V, blocks] of u8 or f32, i64/i32 indices, a float out of
/// gatherNBitsShape's shape.
bool checkGatherNBits(KernelStatus &status, const Tensor &weight,
                      const Tensor &scales, const Tensor *zeroPoints,
                      const Tensor &indices, int64_t bits, int64_t blockSize,
                      int64_t k, const Tensor &out);
/// The kernels' view of checked operands.
NBitsWeights nbitsWeights(const Tensor &weight, const Tensor &scales,
                          const Tensor *zeroPoints, int64_t bits,
                          int64_t blockSize, int64_t k);

} // namespace kestrel

#endif // KESTREL_KERNELS_COMMON_QUANTIZED_H
