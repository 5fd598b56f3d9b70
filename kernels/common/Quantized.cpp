//===- Quantized.cpp - Packed low-bit weights' shapes and argument checks -===//

#include "kernels/common/Quantized.h"
#include "kernels/common/Checks.h"

namespace kestrel {

/// The block layout of `weight` for rows of k elements.
static bool checkPackedRows(KernelStatus &status, const char *op,
                            const Shape &weight, int64_t bits,
                            int64_t blockSize, int64_t k) {
  if (bits != 2 && bits != 4 && bits != 8)
    return status.fail(std::string(op) + ": bits must be 2, 4 or 8, got " +
                       str(bits));
  if (blockSize < 16 || blockSize > (int64_t(1) << 30) ||
      (blockSize & (blockSize - 1)) || k < 1)
    return status.fail(std::string(op) +
                       ": block_size must be a power of 2 of at least 16 and "
                       "k positive, got " +
                       str(blockSize) + " and " + str(k));
  int64_t blocks = (k + blockSize - 1) / blockSize;
  if (weight.rank != 3 || weight[1] != blocks ||
      weight[2] != blockSize * bits / 8)
    return status.fail(std::string(op) + ": weight must be [N, " + str(blocks) +
                       ", " + str(blockSize * bits / 8) + "], got " +
                       weight.str());
  return true;
}

/// Scales and zero points: [rows, blocks] of f32 (u8 or f32).
static bool checkBlockParams(KernelStatus &status, const char *op,
                             const Tensor &weight, const Tensor &scales,
                             const Tensor *zeroPoints) {
  Shape perBlock{weight.shape[0], weight.shape[1]};
  if (scales.dtype != DType::F32 || scales.shape != perBlock)
    return status.fail(std::string(op) + ": scales must be f32 " +
                       perBlock.str() + ", got " + dtypeName(scales.dtype) +
                       " " + scales.shape.str());
  if (zeroPoints &&
      ((zeroPoints->dtype != DType::U8 && zeroPoints->dtype != DType::F32) ||
       zeroPoints->shape != perBlock))
    return status.fail(std::string(op) + ": zero_points must be u8 or f32 " +
                       perBlock.str() + ", got " +
                       dtypeName(zeroPoints->dtype) + " " +
                       zeroPoints->shape.str());
  return true;
}

bool matmulNBitsShape(KernelStatus &status, const Shape &lhs,
                      const Shape &weight, int64_t bits, int64_t blockSize,
                      int64_t k, Shape &out) {
  if (!checkPackedRows(status, "matmul_nbits", weight, bits, blockSize, k))
    return false;
  if (lhs.rank < 1 || lhs[lhs.rank - 1] != k)
    return status.fail("matmul_nbits: lhs must be [..., " + str(k) + "], got " +
                       lhs.str());
  out = lhs;
  out.dims[lhs.rank - 1] = weight[0];
  return true;
}

bool gatherNBitsShape(KernelStatus &status, const Shape &weight,
                      const Shape &indices, int64_t bits, int64_t blockSize,
                      int64_t k, Shape &out) {
  if (!checkPackedRows(status, "gather_nbits", weight, bits, blockSize, k))
    return false;
  if (indices.rank >= kMaxRank)
    return status.fail("gather_nbits: indices of rank " + str(indices.rank) +
                       " give a result past rank " + str(kMaxRank));
  out = indices;
  out.dims[out.rank++] = k;
  return true;
}

bool checkGatherNBits(KernelStatus &status, const Tensor &weight,
                      const Tensor &scales, const Tensor *zeroPoints,
                      const Tensor &indices, int64_t bits, int64_t blockSize,
                      int64_t k, const Tensor &out) {
  const char *op = "gather_nbits";
  Shape shape;
  if (!checkTensor(status, op, "weight", weight) ||
      !checkTensor(status, op, "scales", scales) ||
      (zeroPoints && !checkTensor(status, op, "zero_points", *zeroPoints)) ||
      !checkIndexTensor(status, op, indices) ||
      !gatherNBitsShape(status, weight.shape, indices.shape, bits, blockSize, k,
                        shape) ||
      !checkTensor(status, op, "out", out))
    return false;
  if (!isFloatType(out.dtype))
    return status.fail(std::string("gather_nbits: out must be a float "
                                   "tensor, got ") +
                       dtypeName(out.dtype));
  if (!checkOut(status, op, out, shape, out.dtype))
    return false;
  if (weight.dtype != DType::U8)
    return status.fail(std::string("gather_nbits: weight must be u8, got ") +
                       dtypeName(weight.dtype));
  return checkBlockParams(status, op, weight, scales, zeroPoints);
}

bool checkMatmulNBits(KernelStatus &status, const Tensor &lhs,
                      const Tensor &weight, const Tensor &scales,
                      const Tensor *zeroPoints, int64_t bits, int64_t blockSize,
                      int64_t k, const Tensor &out) {
  const char *op = "matmul_nbits";
  Shape shape;
  if (!checkFloat(status, op, "lhs", lhs) ||
      !checkTensor(status, op, "weight", weight) ||
      !checkTensor(status, op, "scales", scales) ||
      (zeroPoints && !checkTensor(status, op, "zero_points", *zeroPoints)) ||
      !matmulNBitsShape(status, lhs.shape, weight.shape, bits, blockSize, k,
                        shape) ||
      !checkOut(status, op, out, shape, lhs.dtype))
    return false;
  if (weight.dtype != DType::U8)
    return status.fail(std::string("matmul_nbits: weight must be u8, got ") +
                       dtypeName(weight.dtype));
  return checkBlockParams(status, op, weight, scales, zeroPoints);
}

NBitsWeights nbitsWeights(const Tensor &weight, const Tensor &scales,
                          const Tensor *zeroPoints, int64_t bits,
                          int64_t blockSize, int64_t k) {
  NBitsWeights w;
  w.data = weight.as<const uint8_t>();
  w.scales = scales.as<const float>();
  if (zeroPoints && zeroPoints->dtype == DType::U8)
    w.zeroBytes = zeroPoints->as<const uint8_t>();
  else if (zeroPoints)
    w.zeroFloats = zeroPoints->as<const float>();
  w.bits = int(bits);
  w.blockSize = blockSize;
  w.k = k;
  w.n = weight.shape[0];
  w.blocks = weight.shape[1];
  return w;
}

} // namespace kestrel
