//===- Checks.h - Argument checks and their messages ------------*- C++ -*-===//
//
// The checks every kernel entry point runs on its arguments, with the
// messages users see, written once for both kernel libraries: a kernel
// context (cpu::Context, cuda::Context) is a KernelStatus, and each check
// returns status.fail(message) on a problem. Host code only.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_COMMON_CHECKS_H
#define KESTREL_KERNELS_COMMON_CHECKS_H

#include "kernels/common/Ops.h"
#include "kernels/common/Tensor.h"

#include <string>

namespace kestrel {

/// Where a kernel leaves the message of a failure: the base of every kernel
/// library's context.
struct KernelStatus {
  std::string error;

  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
};

/// Decimal text of v (for messages).
std::string str(int64_t v);

bool checkRank(KernelStatus &status, const char *op, const char *what,
               int64_t rank);
/// A valid descriptor: known dtype, rank in [0, kMaxRank], no negative dim,
/// data present when there are elements.
bool checkTensor(KernelStatus &status, const char *op, const char *name,
                 const Tensor &t);
/// `out` (named `name` in messages) is valid and has `shape` and `dtype`.
bool checkOut(KernelStatus &status, const char *op, const Tensor &out,
              const Shape &shape, DType dtype, const char *name = "out");
/// axis in [0, rank).
bool checkAxis(KernelStatus &status, const char *op, int64_t axis, int rank);
/// Right-aligned NumPy broadcast of a and b (for op `op`).
bool broadcastShapes(KernelStatus &status, const char *op, const Shape &a,
                     const Shape &b, Shape &out);
/// x broadcasts to `to` (rank no larger, dims equal or 1).
bool checkBroadcastsTo(KernelStatus &status, const char *op, const char *name,
                       const Shape &x, const Shape &to);
/// A valid float tensor.
bool checkFloat(KernelStatus &status, const char *op, const char *name,
                const Tensor &t);
/// Gather-style indices: a valid i64 or i32 tensor.
bool checkIndexTensor(KernelStatus &status, const char *op,
                      const Tensor &indices);

/// A unary, binary or reduce op code the libraries know ("unary: unknown
/// op 42" otherwise).
bool checkUnaryOp(KernelStatus &status, UnaryOp op);
bool checkBinaryOp(KernelStatus &status, BinaryOp op);
bool checkReduceOp(KernelStatus &status, ReduceOp op);
/// The failure for operands `a` and `b` of op `op` in different dtypes.
bool failOperandDtypes(KernelStatus &status, const char *op, const Tensor &a,
                       const Tensor &b);

/// conv's output shape: x [N, C, D...] (1 to 3 spatial dims), w [M, C /
/// group, K...], `strides` and `dilations` (positive) one per spatial dim,
/// `pads` (non-negative) the begin pads then the end pads; out [N, M,
/// O...].
bool convShape(KernelStatus &status, const Shape &x, const Shape &w,
               const int64_t *strides, const int64_t *pads,
               const int64_t *dilations, int64_t group, Shape &out);
/// conv_transpose's output shape: x [N, C, D...] (1 to 3 spatial dims), w
/// [C, M / group, K...]; out [N, M, O...] with O = stride * (D - 1) +
/// outputPadding + dilation * (K - 1) + 1 - begin pad - end pad.
bool convTransposeShape(KernelStatus &status, const Shape &x, const Shape &w,
                        const int64_t *strides, const int64_t *pads,
                        const int64_t *dilations, const int64_t *outputPadding,
                        int64_t group, Shape &out);
/// conv_transpose's operands, as checkConv's.
bool checkConvTranspose(KernelStatus &status, const Tensor &x, const Tensor &w,
                        const Tensor *bias, const int64_t *strides,
                        const int64_t *pads, const int64_t *dilations,
                        const int64_t *outputPadding, int64_t group,
                        const Tensor &out);

/// conv's operands: x and w of one float dtype with convShape's shapes,
/// an optional bias [M] of that dtype, out of the result's shape.
bool checkConv(KernelStatus &status, const Tensor &x, const Tensor &w,
               const Tensor *bias, const int64_t *strides, const int64_t *pads,
               const int64_t *dilations, int64_t group, const Tensor &out);
/// cumsum: a valid numeric x (not i1), an axis in it, out of x's shape and
/// dtype.
bool checkCumSum(KernelStatus &status, const Tensor &x, int64_t axis,
                 const Tensor &out);
/// scatter_elements: valid x, indices (i64/i32) and updates of one shape
/// and x's rank, no larger than x outside `axis`, updates in x's dtype (not
/// i1), a known reduction, out of x's shape and dtype.
bool checkScatterElements(KernelStatus &status, const Tensor &x,
                          const Tensor &indices, const Tensor &updates,
                          int64_t axis, ScatterReduction reduction,
                          const Tensor &out);
/// scatter_nd: indices [..., k] (i64/i32, k <= x's rank), updates of shape
/// indices.shape[:-1] + x.shape[k:] in x's dtype (not i1), a known
/// reduction, out of x's shape and dtype.
bool checkScatterNd(KernelStatus &status, const Tensor &x,
                    const Tensor &indices, const Tensor &updates,
                    ScatterReduction reduction, const Tensor &out);
/// matmul's lhs and rhs: valid, of one float or integer dtype.
bool checkMatmulOperands(KernelStatus &status, const Tensor &lhs,
                         const Tensor &rhs);

/// copy (and reshape): x and out valid, of one dtype and element count.
bool checkCopy(KernelStatus &status, const Tensor &x, const Tensor &out);
/// where: an i1 condition, true and false values of one dtype, and out of
/// the three shapes' broadcast (written to `shape`) in that dtype.
bool checkWhere(KernelStatus &status, const Tensor &cond, const Tensor &a,
                const Tensor &b, const Tensor &out, Shape &shape);
/// split: `numOutputs` >= 1 valid outputs in x's dtype, equal to x outside
/// `axis`, whose sizes along it add up to x's.
bool checkSplit(KernelStatus &status, const Tensor &x, int64_t axis,
                const Tensor *outs, int numOutputs);
/// gather_elements: valid x, indices of x's rank no larger outside `axis`,
/// out of the indices' shape in x's dtype.
bool checkGatherElements(KernelStatus &status, const Tensor &x,
                         const Tensor &indices, int64_t axis,
                         const Tensor &out);

/// The norms' checks: a float x, an axis in it, out of x's shape and dtype,
/// a non-negative epsilon.
bool checkNorm(KernelStatus &status, const char *op, const Tensor &x,
               int64_t axis, float epsilon, const Tensor &out);
/// A norm's parameter (weight, scale, bias) has exactly the dims [axis,
/// rank) of x.
bool checkNormParam(KernelStatus &status, const char *op, const char *name,
                    const Tensor &param, const Shape &x, int64_t axis);
/// The add-norm ops' residual and sum: x's shape and dtype (no broadcast).
bool checkResidual(KernelStatus &status, const char *op, const Tensor &x,
                   const Tensor &residual, const Tensor &sum);

/// kestrel.rope's operands: float x of rank >= 2, out of x's shape and
/// dtype, cos and sin of one shape that broadcasts to x's leading dims with
/// rotary_dim / 2 entries last; rotaryDim <= 0 becomes head_dim (written
/// back), and must be even and at most head_dim.
bool checkRope(KernelStatus &status, const Tensor &x, const Tensor &cos,
               const Tensor &sin, int64_t &rotaryDim, const Tensor &out);
/// kestrel.attention's operands: float query, key and value of one dtype and
/// rank 4 ([batch, heads, seq, head_dim], or [batch, seq, heads, head_dim]
/// in the Bshd layout); head counts that fit them (both 0: taken from the
/// shapes, and written back); out of [batch, heads, q seq, value head_dim]
/// (in `layout`) in query's dtype; an optional i1 or float mask that
/// broadcasts to the [batch, heads, q seq, k seq] scores; a finite scale.
bool checkAttention(KernelStatus &status, const Tensor &q, const Tensor &k,
                    const Tensor &v, const Tensor *mask, float scale,
                    int64_t &numHeads, int64_t &numKvHeads, const Tensor &out,
                    AttentionLayout layout = AttentionLayout::Bhsd);
/// A rank-4 attention operand's shape as [batch, heads, seq, head_dim].
Shape attentionDims(const Shape &shape, AttentionLayout layout);

} // namespace kestrel

#endif // KESTREL_KERNELS_COMMON_CHECKS_H
