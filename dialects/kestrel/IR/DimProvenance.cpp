//===- DimProvenance.cpp - Dimensions read off their earliest value -------===//
//
// gather(shape_of(x), i) reads dimension i of x. Exporters compute the
// same dimension from a different value in every layer (onnxruntime-genai's
// builder takes the sequence length for each layer's rotary tables from
// that layer's query projection), so the computations that follow are
// copies that CSE cannot merge. This canonicalization reads the dimension
// off the earliest value known to have it instead: through reshapes that
// copy it, splits and concatenations along another axis, transposes,
// gathers, the rows of matmuls, and ops whose result has their input's
// shape. Then the copies are identical and merge.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/ConstantFolding.h"
#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace kestrel {

namespace {

int64_t rankOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getRank();
}

/// The one dynamic dim of `t`, or -1 (none, or several).
int64_t onlyDynamicDim(RankedTensorType t) {
  int64_t found = -1;
  for (auto [d, size] : llvm::enumerate(t.getShape())) {
    if (!ShapedType::isDynamic(size))
      continue;
    if (found >= 0)
      return -1;
    found = int64_t(d);
  }
  return found;
}

/// The product of the static dims of `t`.
int64_t staticProduct(RankedTensorType t) {
  int64_t n = 1;
  for (int64_t size : t.getShape())
    if (!ShapedType::isDynamic(size))
      n *= size;
  return n;
}

/// If dim `d` of `v` is, by its defining op's semantics, dim `d'` of one of
/// the op's operands, moves (v, d) there and returns true.
bool traceDim(Value &v, int64_t &d) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  auto move = [&](Value to, int64_t dim) {
    if (dim < 0 || dim >= rankOf(to))
      return false;
    v = to;
    d = dim;
    return true;
  };
  const int64_t rank = rankOf(v);
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    auto in = cast<RankedTensorType>(reshape.getInput().getType());
    auto out = cast<RankedTensorType>(reshape.getType());
    // A 0 in the shape (without allow_zero) copies the input's dim.
    if (Value shape = reshape.getShape()) {
      DenseElementsAttr s;
      if (auto c = shape.getDefiningOp<ConstantOp>())
        s = getFoldableConstant(c.getValue());
      if (!s || reshape.getAllowZero() || d >= int64_t(s.getNumElements()))
        return false;
      if (s.getValues<APInt>()[d].isZero())
        return move(reshape.getInput(), d);
      return false;
    }
    // A reshape by its types alone: with one dynamic dim on each side and
    // the same non-zero static product, the dynamic dims are equal (with a
    // static 0 both sides are empty whatever they are).
    int64_t from = onlyDynamicDim(in), to = onlyDynamicDim(out);
    if (from >= 0 && to == d && staticProduct(in) != 0 &&
        staticProduct(in) == staticProduct(out))
      return move(reshape.getInput(), from);
    return false;
  }
  if (auto split = dyn_cast<SplitOp>(op))
    return d != int64_t(split.getAxis()) && move(split.getInput(), d);
  if (auto concat = dyn_cast<ConcatOp>(op))
    return d != int64_t(concat.getAxis()) && !concat.getInputs().empty() &&
           move(concat.getInputs().front(), d);
  if (auto transpose = dyn_cast<TransposeOp>(op))
    return move(transpose.getInput(), transpose.getPermutation()[d]);
  if (auto gather = dyn_cast<GatherOp>(op)) {
    // input.shape[:axis] + indices.shape + input.shape[axis+1:].
    int64_t axis = gather.getAxis(), count = rankOf(gather.getIndices());
    if (d < axis)
      return move(gather.getInput(), d);
    if (d < axis + count)
      return move(gather.getIndices(), d - axis);
    return move(gather.getInput(), d - count + 1);
  }
  // Products of [..., K] rows against rank-2 weights: every dim but the
  // last is the lhs'.
  if (isa<MatmulNBitsOp, MultiMatmulOp>(op))
    return d < rank - 1 && rankOf(op->getOperand(0)) == rank &&
           move(op->getOperand(0), d);
  if (isa<MatmulOp, FusedMatmulOp>(op)) {
    auto transA = op->getAttrOfType<BoolAttr>("transpose_a");
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    if (rankOf(rhs) == 2 && rankOf(lhs) == rank && d < rank - 1 &&
        !(transA && transA.getValue()))
      return move(lhs, d);
    return false;
  }
  // Results shaped like the first operand (query for attention, whose
  // last dim is the value's).
  if (isa<AttentionOp>(op))
    return d < rank - 1 && rankOf(op->getOperand(0)) == rank &&
           move(op->getOperand(0), d);
  if (isa<RmsNormOp, AddRmsNormOp, RopeOp>(op))
    return op->getOperand(0).getType() == v.getType() &&
           move(op->getOperand(0), d);
  return false;
}

/// gather(shape_of(x), i) -> gather(shape_of(y), j) for the earliest (y, j)
/// with x's dim i; and gather(gather(s, p), i) -> gather(s, p[i]) for a
/// 1-D s and constant p and i.
struct GatherDimFromSource : public OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatherOp gather,
                                PatternRewriter &rewriter) const override {
    if (gather.getAxis() != 0 || rankOf(gather.getInput()) != 1)
      return rewriter.notifyMatchFailure(gather, "not a gather from a 1-D "
                                                 "tensor");
    auto indicesConst = gather.getIndices().getDefiningOp<ConstantOp>();
    DenseElementsAttr indices =
        indicesConst ? getFoldableConstant(indicesConst.getValue())
                     : DenseElementsAttr();
    if (!indices || indices.getNumElements() != 1)
      return rewriter.notifyMatchFailure(gather, "not one constant index");
    auto indexType = cast<ShapedType>(indices.getType());
    Location loc = gather.getLoc();

    if (auto inner = gather.getInput().getDefiningOp<GatherOp>()) {
      auto innerConst = inner.getIndices().getDefiningOp<ConstantOp>();
      DenseElementsAttr p = innerConst
                                ? getFoldableConstant(innerConst.getValue())
                                : DenseElementsAttr();
      if (inner.getAxis() != 0 || rankOf(inner.getInput()) != 1 || !p ||
          rankOf(inner.getIndices()) != 1)
        return rewriter.notifyMatchFailure(gather,
                                           "inner gather not composable");
      int64_t n = p.getNumElements();
      int64_t i = indices.getValues<APInt>()[0].getSExtValue();
      if (i < 0)
        i += n;
      if (i < 0 || i >= n)
        return rewriter.notifyMatchFailure(gather, "index out of range");
      APInt picked = p.getValues<APInt>()[i];
      Value index = ConstantOp::create(
          rewriter, loc,
          DenseIntElementsAttr::get(
              RankedTensorType::get(indexType.getShape(),
                                    p.getType().getElementType()),
              ArrayRef<APInt>{picked}));
      rewriter.replaceOpWithNewOp<GatherOp>(gather, gather.getType(),
                                            inner.getInput(), index,
                                            rewriter.getI64IntegerAttr(0));
      return success();
    }

    auto shapeOf = gather.getInput().getDefiningOp<ShapeOfOp>();
    if (!shapeOf)
      return rewriter.notifyMatchFailure(gather, "not a gather from a shape");
    Value x = shapeOf.getInput();
    int64_t rank = rankOf(x);
    int64_t d = indices.getValues<APInt>()[0].getSExtValue();
    if (d < 0)
      d += rank;
    if (d < 0 || d >= rank)
      return rewriter.notifyMatchFailure(gather, "index out of range");
    Value y = x;
    int64_t dim = d;
    while (traceDim(y, dim)) {
    }
    if (y == x)
      return rewriter.notifyMatchFailure(gather,
                                         "no earlier value has the dim");
    Value shape = ShapeOfOp::create(
        rewriter, loc,
        RankedTensorType::get({rankOf(y)}, rewriter.getI64Type()), y);
    Value index = ConstantOp::create(
        rewriter, loc,
        DenseIntElementsAttr::get(
            RankedTensorType::get(indexType.getShape(),
                                  indexType.getElementType()),
            ArrayRef<APInt>{APInt(indexType.getElementTypeBitWidth(),
                                  uint64_t(dim), /*isSigned=*/true)}));
    rewriter.replaceOpWithNewOp<GatherOp>(gather, gather.getType(), shape,
                                          index, rewriter.getI64IntegerAttr(0));
    return success();
  }
};

} // namespace

void GatherOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<GatherDimFromSource>(context);
}

} // namespace kestrel
