//===- Checks.cpp - Argument checks and their messages --------------------===//

#include "kernels/common/Checks.h"

#include <cmath>
#include <utility>

namespace kestrel {

std::string str(int64_t v) { return std::to_string(v); }

namespace {
std::string prefix(const char *op) { return std::string(op) + ": "; }
} // namespace

bool checkRank(KernelStatus &status, const char *op, const char *what,
               int64_t rank) {
  if (rank < 0 || rank > kMaxRank)
    return status.fail(prefix(op) + what + " has rank " + str(rank) +
                       ", outside [0, " + str(kMaxRank) + "]");
  return true;
}

bool checkTensor(KernelStatus &status, const char *op, const char *name,
                 const Tensor &t) {
  if (dtypeSize(t.dtype) == 0)
    return status.fail(prefix(op) + name + " has an unknown dtype (" +
                       str(int(t.dtype)) + ")");
  if (!checkRank(status, op, name, t.shape.rank))
    return false;
  for (int d = 0; d < t.shape.rank; ++d)
    if (t.shape[d] < 0)
      return status.fail(prefix(op) + name + " has a negative dimension " +
                         t.shape.str());
  if (!t.data && t.numel() > 0)
    return status.fail(prefix(op) + name + " has no data");
  return true;
}

bool checkOut(KernelStatus &status, const char *op, const Tensor &out,
              const Shape &shape, DType dtype, const char *name) {
  if (!checkTensor(status, op, name, out))
    return false;
  if (out.dtype != dtype)
    return status.fail(prefix(op) + name + " has dtype " +
                       dtypeName(out.dtype) + ", expected " + dtypeName(dtype));
  if (out.shape != shape)
    return status.fail(prefix(op) + name + " has shape " + out.shape.str() +
                       ", expected " + shape.str());
  return true;
}

bool checkAxis(KernelStatus &status, const char *op, int64_t axis, int rank) {
  if (axis < 0 || axis >= rank)
    return status.fail(prefix(op) + "axis " + str(axis) + " is outside [0, " +
                       str(rank) + ")");
  return true;
}

bool broadcastShapes(KernelStatus &status, const char *op, const Shape &a,
                     const Shape &b, Shape &out) {
  if (!checkRank(status, op, "an operand", a.rank) ||
      !checkRank(status, op, "an operand", b.rank))
    return false;
  Shape result;
  result.rank = std::max(a.rank, b.rank);
  for (int d = 0; d < result.rank; ++d) {
    int i = d - (result.rank - a.rank), j = d - (result.rank - b.rank);
    int64_t x = i >= 0 ? a[i] : 1, y = j >= 0 ? b[j] : 1;
    if (x != y && x != 1 && y != 1)
      return status.fail(prefix(op) + "shapes " + a.str() + " and " + b.str() +
                         " do not broadcast (" + str(x) + " vs " + str(y) +
                         " in result dimension " + str(d) + ")");
    result[d] = x == 1 ? y : x;
  }
  out = result;
  return true;
}

bool checkBroadcastsTo(KernelStatus &status, const char *op, const char *name,
                       const Shape &x, const Shape &to) {
  bool ok = x.rank <= to.rank;
  for (int i = 0; ok && i < x.rank; ++i) {
    int64_t dim = to[to.rank - x.rank + i];
    ok = x[i] == 1 || x[i] == dim;
  }
  if (!ok)
    return status.fail(prefix(op) + name + " shape " + x.str() +
                       " does not broadcast to " + to.str());
  return true;
}

bool checkFloat(KernelStatus &status, const char *op, const char *name,
                const Tensor &t) {
  if (!checkTensor(status, op, name, t))
    return false;
  if (!isFloatType(t.dtype))
    return status.fail(prefix(op) + name + " must be a float tensor, got " +
                       dtypeName(t.dtype));
  return true;
}

bool checkIndexTensor(KernelStatus &status, const char *op,
                      const Tensor &indices) {
  if (!checkTensor(status, op, "indices", indices))
    return false;
  if (indices.dtype != DType::I64 && indices.dtype != DType::I32)
    return status.fail(prefix(op) + "indices must be i64 or i32, got " +
                       dtypeName(indices.dtype));
  return true;
}

bool checkNorm(KernelStatus &status, const char *op, const Tensor &x,
               int64_t axis, float epsilon, const Tensor &out) {
  if (!checkFloat(status, op, "x", x) ||
      !checkAxis(status, op, axis, x.shape.rank) ||
      !checkOut(status, op, out, x.shape, x.dtype))
    return false;
  if (!(epsilon >= 0.0f))
    return status.fail(prefix(op) + "epsilon must be non-negative, got " +
                       std::to_string(epsilon));
  return true;
}

bool checkNormParam(KernelStatus &status, const char *op, const char *name,
                    const Tensor &param, const Shape &x, int64_t axis) {
  if (!checkFloat(status, op, name, param))
    return false;
  bool ok = param.shape.rank == x.rank - axis;
  for (int d = 0; ok && d < param.shape.rank; ++d)
    ok = param.shape[d] == x[int(axis) + d];
  if (!ok) {
    Shape normalized;
    for (int d = int(axis); d < x.rank; ++d)
      normalized[normalized.rank++] = x[d];
    return status.fail(prefix(op) + name + " has shape " + param.shape.str() +
                       ", expected the normalized shape " + normalized.str());
  }
  return true;
}

bool checkResidual(KernelStatus &status, const char *op, const Tensor &x,
                   const Tensor &residual, const Tensor &sum) {
  if (!checkFloat(status, op, "residual", residual) ||
      !checkOut(status, op, sum, x.shape, x.dtype, "sum"))
    return false;
  if (residual.shape != x.shape)
    return status.fail(prefix(op) + "residual has shape " +
                       residual.shape.str() + ", expected x's shape " +
                       x.shape.str() + " (the fused add does not broadcast)");
  if (residual.dtype != x.dtype)
    return status.fail(prefix(op) + "residual is " + dtypeName(residual.dtype) +
                       ", expected x's dtype " + dtypeName(x.dtype));
  return true;
}

bool checkRope(KernelStatus &status, const Tensor &x, const Tensor &cos,
               const Tensor &sin, int64_t &rotaryDim, const Tensor &out) {
  if (!checkFloat(status, "rope", "x", x) ||
      !checkFloat(status, "rope", "cos", cos) ||
      !checkFloat(status, "rope", "sin", sin) ||
      !checkOut(status, "rope", out, x.shape, x.dtype))
    return false;
  int rank = x.shape.rank;
  if (rank < 2)
    return status.fail("rope: x must have rank 2 or more ([..., seq, "
                       "head_dim]), got " +
                       x.shape.str());
  if (cos.shape != sin.shape)
    return status.fail("rope: cos and sin have different shapes " +
                       cos.shape.str() + " and " + sin.shape.str());
  int64_t headDim = x.shape[rank - 1];
  if (rotaryDim <= 0)
    rotaryDim = headDim;
  if (rotaryDim % 2 != 0 || rotaryDim > headDim)
    return status.fail("rope: rotary_dim " + str(rotaryDim) +
                       " must be even and in (0, head_dim = " + str(headDim) +
                       "]");
  int tableRank = cos.shape.rank;
  if (tableRank < 1 || tableRank > rank)
    return status.fail("rope: cos and sin must have rank 1 to " + str(rank) +
                       ", got " + cos.shape.str());
  if (cos.shape[tableRank - 1] != rotaryDim / 2)
    return status.fail("rope: cos and sin have " +
                       str(cos.shape[tableRank - 1]) +
                       " entries in their last dimension, expected "
                       "rotary_dim / 2 = " +
                       str(rotaryDim / 2));
  // Leading table dims broadcast against x's leading dims (right-aligned).
  int offset = rank - tableRank;
  for (int i = 0; i + 1 < tableRank; ++i)
    if (cos.shape[i] != 1 && cos.shape[i] != x.shape[offset + i])
      return status.fail("rope: cos and sin shape " + cos.shape.str() +
                         " does not broadcast to the leading dims of x " +
                         x.shape.str());
  return true;
}

Shape attentionDims(const Shape &shape, AttentionLayout layout) {
  Shape dims = shape;
  if (layout == AttentionLayout::Bshd && dims.rank == 4)
    std::swap(dims[1], dims[2]);
  return dims;
}

bool checkAttention(KernelStatus &status, const Tensor &q, const Tensor &k,
                    const Tensor &v, const Tensor *mask, float scale,
                    int64_t &numHeads, int64_t &numKvHeads, const Tensor &out,
                    AttentionLayout layout) {
  if (!checkFloat(status, "attention", "query", q) ||
      !checkFloat(status, "attention", "key", k) ||
      !checkFloat(status, "attention", "value", v))
    return false;
  if (layout != AttentionLayout::Bhsd && layout != AttentionLayout::Bshd)
    return status.fail("attention: unknown layout " +
                       str(static_cast<int>(layout)));
  const bool bshd = layout == AttentionLayout::Bshd;
  if (q.shape.rank != 4 || k.shape.rank != 4 || v.shape.rank != 4)
    return status.fail(std::string("attention: query, key and value must "
                                   "have rank 4 (") +
                       (bshd ? "[batch, seq, heads, head_dim]"
                             : "[batch, heads, seq, head_dim]") +
                       "), got " + q.shape.str() + ", " + k.shape.str() +
                       " and " + v.shape.str());
  Shape qd = attentionDims(q.shape, layout),
        kd = attentionDims(k.shape, layout),
        vd = attentionDims(v.shape, layout);
  if (k.dtype != q.dtype || v.dtype != q.dtype)
    return status.fail(std::string("attention: query, key and value must "
                                   "share one dtype, got ") +
                       dtypeName(q.dtype) + ", " + dtypeName(k.dtype) +
                       " and " + dtypeName(v.dtype));
  // 0: the model left the head counts to the operands' shapes.
  if (numHeads == 0 && numKvHeads == 0) {
    numHeads = qd[1];
    numKvHeads = kd[1];
  }
  if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0)
    return status.fail("attention: num_heads (" + str(numHeads) +
                       ") must be a positive multiple of num_kv_heads (" +
                       str(numKvHeads) + ")");
  int64_t B = qd[0], Sq = qd[2], D = qd[3];
  int64_t Skv = kd[2], Dv = vd[3];
  bool ok = qd[1] == numHeads && kd[1] == numKvHeads && vd[1] == numKvHeads &&
            kd[0] == B && vd[0] == B && kd[3] == D && vd[2] == Skv;
  if (!ok)
    return status.fail("attention: shapes query " + q.shape.str() + ", key " +
                       k.shape.str() + ", value " + v.shape.str() +
                       " do not fit num_heads = " + str(numHeads) +
                       ", num_kv_heads = " + str(numKvHeads));
  if (!checkOut(status, "attention", out,
                attentionDims(Shape{B, numHeads, Sq, Dv}, layout), q.dtype))
    return false;
  if (mask) {
    if (!checkTensor(status, "attention", "mask", *mask))
      return false;
    if (mask->dtype != DType::I1 && !isFloatType(mask->dtype))
      return status.fail(std::string("attention: mask must be i1 or float, "
                                     "got ") +
                         dtypeName(mask->dtype));
    if (!checkBroadcastsTo(status, "attention", "mask", mask->shape,
                           Shape{B, numHeads, Sq, Skv}))
      return false;
  }
  if (!std::isfinite(scale))
    return status.fail("attention: scale must be finite, got " +
                       std::to_string(scale));
  return true;
}

bool checkUnaryOp(KernelStatus &status, UnaryOp op) {
  if (isKnownUnary(op))
    return true;
  return status.fail("unary: unknown op " + str(static_cast<int>(op)));
}

bool checkBinaryOp(KernelStatus &status, BinaryOp op) {
  if (binaryKind(op) != BinaryKind::Unknown)
    return true;
  return status.fail("binary: unknown op " + str(static_cast<int>(op)));
}

bool checkReduceOp(KernelStatus &status, ReduceOp op) {
  if (isKnownReduce(op))
    return true;
  return status.fail("reduce: unknown op " + str(static_cast<int>(op)));
}

bool failOperandDtypes(KernelStatus &status, const char *op, const Tensor &a,
                       const Tensor &b) {
  return status.fail(std::string(op) + ": operand dtypes differ (" +
                     dtypeName(a.dtype) + " vs " + dtypeName(b.dtype) + ")");
}

bool convShape(KernelStatus &status, const Shape &x, const Shape &w,
               const int64_t *strides, const int64_t *pads,
               const int64_t *dilations, int64_t group, Shape &out) {
  int spatial = x.rank - 2;
  if (spatial < 1 || spatial > 3)
    return status.fail("conv: x must be [N, C, D1, ...] with 1 to 3 spatial "
                       "dims, got rank " +
                       std::to_string(x.rank));
  if (w.rank != x.rank)
    return status.fail("conv: w must have x's rank " + std::to_string(x.rank) +
                       ", got " + std::to_string(w.rank));
  int64_t m = w[0];
  if (group < 1 || m % group != 0 || x[1] != w[1] * group)
    return status.fail("conv: x has " + std::to_string(x[1]) + " channels, w " +
                       std::to_string(m) + " outputs of " +
                       std::to_string(w[1]) + " channels, group " +
                       std::to_string(group) + ": inconsistent");
  out = x;
  out.dims[1] = m;
  for (int i = 0; i < spatial; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 ||
        pads[i + spatial] < 0)
      return status.fail("conv: strides and dilations must be positive and "
                         "pads non-negative");
    int64_t span =
        x[i + 2] + pads[i] + pads[i + spatial] - dilations[i] * (w[i + 2] - 1);
    if (span < 1)
      return status.fail("conv: the kernel does not fit spatial dim " +
                         std::to_string(i) + " of size " +
                         std::to_string(x[i + 2]) + " with its pads");
    out.dims[i + 2] = (span - 1) / strides[i] + 1;
  }
  return true;
}

bool convTransposeShape(KernelStatus &status, const Shape &x, const Shape &w,
                        const int64_t *strides, const int64_t *pads,
                        const int64_t *dilations, const int64_t *outputPadding,
                        int64_t group, Shape &out) {
  int spatial = x.rank - 2;
  if (spatial < 1 || spatial > 3)
    return status.fail("conv_transpose: x must be [N, C, D1, ...] with 1 to 3 "
                       "spatial dims, got rank " +
                       std::to_string(x.rank));
  if (w.rank != x.rank)
    return status.fail("conv_transpose: w must have x's rank " +
                       std::to_string(x.rank) + ", got " +
                       std::to_string(w.rank));
  if (group < 1 || x[1] % group != 0 || w[0] != x[1])
    return status.fail("conv_transpose: x has " + std::to_string(x[1]) +
                       " channels, w " + std::to_string(w[0]) +
                       " inputs, group " + std::to_string(group) +
                       ": inconsistent");
  out = x;
  out.dims[1] = w[1] * group;
  for (int i = 0; i < spatial; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 ||
        pads[i + spatial] < 0 || outputPadding[i] < 0 ||
        strides[i] > (int64_t(1) << 20) || dilations[i] > (int64_t(1) << 20))
      return status.fail("conv_transpose: strides and dilations must be "
                         "positive, pads and output_padding non-negative");
    int64_t o = strides[i] * (x[i + 2] - 1) + outputPadding[i] +
                dilations[i] * (w[i + 2] - 1) + 1 - pads[i] - pads[i + spatial];
    if (x[i + 2] < 1 || o < 1)
      return status.fail("conv_transpose: spatial dim " + std::to_string(i) +
                         " of size " + std::to_string(x[i + 2]) +
                         " gives no output with its pads");
    out.dims[i + 2] = o;
  }
  return true;
}

bool checkConvTranspose(KernelStatus &status, const Tensor &x, const Tensor &w,
                        const Tensor *bias, const int64_t *strides,
                        const int64_t *pads, const int64_t *dilations,
                        const int64_t *outputPadding, int64_t group,
                        const Tensor &out) {
  Shape shape;
  if (!checkTensor(status, "conv_transpose", "x", x) ||
      !checkTensor(status, "conv_transpose", "w", w) ||
      !convTransposeShape(status, x.shape, w.shape, strides, pads, dilations,
                          outputPadding, group, shape) ||
      !checkOut(status, "conv_transpose", out, shape, x.dtype))
    return false;
  if (!isFloatType(x.dtype))
    return status.fail(std::string("conv_transpose: does not support ") +
                       dtypeName(x.dtype));
  if (w.dtype != x.dtype)
    return failOperandDtypes(status, "conv_transpose", x, w);
  if (bias && (!checkTensor(status, "conv_transpose", "bias", *bias) ||
               bias->dtype != x.dtype || bias->shape.rank != 1 ||
               bias->shape[0] != out.shape[1]))
    return status.fail("conv_transpose: bias must be [" +
                       std::to_string(out.shape[1]) + "] of x's dtype");
  return true;
}

bool checkConv(KernelStatus &status, const Tensor &x, const Tensor &w,
               const Tensor *bias, const int64_t *strides, const int64_t *pads,
               const int64_t *dilations, int64_t group, const Tensor &out) {
  Shape shape;
  if (!checkTensor(status, "conv", "x", x) ||
      !checkTensor(status, "conv", "w", w) ||
      !convShape(status, x.shape, w.shape, strides, pads, dilations, group,
                 shape) ||
      !checkOut(status, "conv", out, shape, x.dtype))
    return false;
  if (!isFloatType(x.dtype))
    return status.fail(std::string("conv: does not support ") +
                       dtypeName(x.dtype));
  if (w.dtype != x.dtype)
    return failOperandDtypes(status, "conv", x, w);
  if (bias &&
      (!checkTensor(status, "conv", "bias", *bias) || bias->dtype != x.dtype ||
       bias->shape.rank != 1 || bias->shape[0] != w.shape[0]))
    return status.fail("conv: bias must be [" + std::to_string(w.shape[0]) +
                       "] of x's dtype");
  return true;
}

bool checkCumSum(KernelStatus &status, const Tensor &x, int64_t axis,
                 const Tensor &out) {
  if (!checkTensor(status, "cumsum", "x", x) ||
      !checkAxis(status, "cumsum", axis, x.shape.rank) ||
      !checkOut(status, "cumsum", out, x.shape, x.dtype))
    return false;
  if (x.dtype == DType::I1)
    return status.fail("cumsum: does not support i1");
  return true;
}

/// The checks both scatters share: x, indices, updates, reduction, out.
static bool checkScatterOperands(KernelStatus &status, const char *op,
                                 const Tensor &x, const Tensor &indices,
                                 const Tensor &updates,
                                 ScatterReduction reduction,
                                 const Tensor &out) {
  if (!checkTensor(status, op, "x", x) ||
      !checkIndexTensor(status, op, indices) ||
      !checkTensor(status, op, "updates", updates) ||
      !checkOut(status, op, out, x.shape, x.dtype))
    return false;
  if (x.dtype == DType::I1)
    return status.fail(std::string(op) + ": does not support i1");
  if (updates.dtype != x.dtype)
    return status.fail(std::string(op) + ": updates have dtype " +
                       dtypeName(updates.dtype) + ", x has " +
                       dtypeName(x.dtype));
  if (!scatterReductionName(reduction))
    return status.fail(std::string(op) + ": unknown reduction " +
                       str(static_cast<int>(reduction)));
  return true;
}

bool checkScatterElements(KernelStatus &status, const Tensor &x,
                          const Tensor &indices, const Tensor &updates,
                          int64_t axis, ScatterReduction reduction,
                          const Tensor &out) {
  const char *op = "scatter_elements";
  if (!checkScatterOperands(status, op, x, indices, updates, reduction, out) ||
      !checkAxis(status, op, axis, x.shape.rank))
    return false;
  bool ok = indices.shape.rank == x.shape.rank;
  for (int d = 0; ok && d < x.shape.rank; ++d)
    ok = d == axis || indices.shape[d] <= x.shape[d];
  if (!ok)
    return status.fail("scatter_elements: indices " + indices.shape.str() +
                       " do not fit the input " + x.shape.str() +
                       " (same rank, no larger outside axis " + str(axis) +
                       ")");
  if (!(updates.shape == indices.shape))
    return status.fail("scatter_elements: updates " + updates.shape.str() +
                       " and indices " + indices.shape.str() +
                       " differ in shape");
  return true;
}

bool checkScatterNd(KernelStatus &status, const Tensor &x,
                    const Tensor &indices, const Tensor &updates,
                    ScatterReduction reduction, const Tensor &out) {
  const char *op = "scatter_nd";
  if (!checkScatterOperands(status, op, x, indices, updates, reduction, out))
    return false;
  if (indices.shape.rank < 1)
    return status.fail("scatter_nd: indices need rank 1 or more");
  int64_t k = indices.shape[indices.shape.rank - 1];
  if (k < 1 || k > x.shape.rank)
    return status.fail("scatter_nd: the index depth " + str(k) +
                       " (the last dim of indices) must be in [1, " +
                       str(x.shape.rank) + "]");
  Shape want;
  want.rank = indices.shape.rank - 1 + x.shape.rank - int(k);
  if (want.rank > kMaxRank)
    return status.fail("scatter_nd: updates would have rank " + str(want.rank));
  for (int d = 0; d < indices.shape.rank - 1; ++d)
    want[d] = indices.shape[d];
  for (int d = int(k); d < x.shape.rank; ++d)
    want[indices.shape.rank - 1 + d - int(k)] = x.shape[d];
  if (!(updates.shape == want))
    return status.fail("scatter_nd: updates have shape " + updates.shape.str() +
                       ", expected " + want.str() +
                       " (indices.shape[:-1] + x.shape[k:])");
  return true;
}

bool checkMatmulOperands(KernelStatus &status, const Tensor &lhs,
                         const Tensor &rhs) {
  if (!checkTensor(status, "matmul", "lhs", lhs) ||
      !checkTensor(status, "matmul", "rhs", rhs))
    return false;
  if (lhs.dtype != rhs.dtype)
    return failOperandDtypes(status, "matmul", lhs, rhs);
  if (!isFloatType(lhs.dtype) && !isIntType(lhs.dtype))
    return status.fail(std::string("matmul: does not support ") +
                       dtypeName(lhs.dtype));
  return true;
}

bool checkCopy(KernelStatus &status, const Tensor &x, const Tensor &out) {
  if (!checkTensor(status, "copy", "x", x) ||
      !checkTensor(status, "copy", "out", out))
    return false;
  if (x.dtype != out.dtype)
    return status.fail(std::string("copy: out has dtype ") +
                       dtypeName(out.dtype) + ", expected " +
                       dtypeName(x.dtype));
  if (x.numel() != out.numel())
    return status.fail("copy: out has shape " + out.shape.str() + " (" +
                       str(out.numel()) + " elements), but x has shape " +
                       x.shape.str() + " (" + str(x.numel()) + ")");
  return true;
}

bool checkWhere(KernelStatus &status, const Tensor &cond, const Tensor &a,
                const Tensor &b, const Tensor &out, Shape &shape) {
  if (!checkTensor(status, "where", "condition", cond) ||
      !checkTensor(status, "where", "true value", a) ||
      !checkTensor(status, "where", "false value", b))
    return false;
  if (cond.dtype != DType::I1)
    return status.fail(std::string("where: condition must be i1, got ") +
                       dtypeName(cond.dtype));
  if (a.dtype != b.dtype)
    return status.fail(std::string("where: true and false values differ in "
                                   "dtype (") +
                       dtypeName(a.dtype) + " vs " + dtypeName(b.dtype) + ")");
  return broadcastShapes(status, "where", cond.shape, a.shape, shape) &&
         broadcastShapes(status, "where", shape, b.shape, shape) &&
         checkOut(status, "where", out, shape, a.dtype);
}

bool checkSplit(KernelStatus &status, const Tensor &x, int64_t axis,
                const Tensor *outs, int numOutputs) {
  if (!checkTensor(status, "split", "x", x) ||
      !checkAxis(status, "split", axis, x.shape.rank))
    return false;
  if (numOutputs < 1 || !outs)
    return status.fail("split: needs at least one output");
  int a = int(axis);
  int64_t total = 0;
  for (int i = 0; i < numOutputs; ++i) {
    const Tensor &o = outs[i];
    if (!checkTensor(status, "split", "an output", o))
      return false;
    if (o.dtype != x.dtype)
      return status.fail("split: output " + str(i) + " has dtype " +
                         dtypeName(o.dtype) + ", expected " +
                         dtypeName(x.dtype));
    bool ok = o.shape.rank == x.shape.rank;
    for (int d = 0; ok && d < x.shape.rank; ++d)
      ok = d == a || o.shape[d] == x.shape[d];
    if (!ok)
      return status.fail("split: output " + str(i) + " has shape " +
                         o.shape.str() + ", which differs from the input " +
                         x.shape.str() + " outside axis " + str(axis));
    total += o.shape[a];
  }
  if (total != x.shape[a])
    return status.fail("split: the outputs' sizes along axis " + str(axis) +
                       " add up to " + str(total) + ", but the input " +
                       x.shape.str() + " has " + str(x.shape[a]));
  return true;
}

bool checkGatherElements(KernelStatus &status, const Tensor &x,
                         const Tensor &indices, int64_t axis,
                         const Tensor &out) {
  if (!checkTensor(status, "gather_elements", "x", x) ||
      !checkIndexTensor(status, "gather_elements", indices) ||
      !checkAxis(status, "gather_elements", axis, x.shape.rank))
    return false;
  int rank = x.shape.rank;
  bool ok = indices.shape.rank == rank;
  for (int d = 0; ok && d < rank; ++d)
    ok = d == axis || indices.shape[d] <= x.shape[d];
  if (!ok)
    return status.fail("gather_elements: indices " + indices.shape.str() +
                       " do not fit the input " + x.shape.str() +
                       " (same rank, no larger outside axis " + str(axis) +
                       ")");
  return checkOut(status, "gather_elements", out, indices.shape, x.dtype);
}

} // namespace kestrel
