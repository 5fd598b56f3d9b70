//===- FuseNorms.cpp - RMSNorm chains into kestrel.rms_norm ---------------===//
//
// Implements kestrel-fuse-norms for RMS normalization as exporters write it:
//
//   s = pow(x, 2) | mul(x, x)
//   m = reduce_mean(s) over the trailing dims, keepdims
//   a = add(m, eps)                       (eps a scalar constant, either side)
//   n = mul(x, rsqrt(a)) | mul(x, reciprocal(sqrt(a))) | div(x, sqrt(a))
//       | mul(x, div(1, sqrt(a)))
//   y = mul(n, w)                          (optional; w of the normalized dims)
//
// becomes `kestrel.rms_norm x, w` (w a splat 1 when the chain has none). The
// intermediates must have no other users; anything else stays unfused, and
// --debug-only=kestrel-fuse-norms says why.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/kestrel/IR/ConstantFolding.h"
#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-fuse-norms"

namespace kestrel {
#define GEN_PASS_DEF_FUSENORMS
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

/// The value of a scalar (single-element or splat) float constant.
std::optional<double> scalarConstant(Value v) {
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto dense = dyn_cast<DenseFPElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToDouble();
}

/// The other operand of a commutative binary op, when one operand is `v`.
Value otherOperand(Operation *op, Value v) {
  if (op->getOperand(0) == v)
    return op->getOperand(1);
  if (op->getOperand(1) == v)
    return op->getOperand(0);
  return {};
}

/// The single user of `v`, if it has exactly one.
Operation *singleUser(Value v) {
  return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
}

struct FuseRmsNorm : public OpRewritePattern<ReduceMeanOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReduceMeanOp mean,
                                PatternRewriter &rewriter) const override {
    // The squares: pow(x, 2) or mul(x, x).
    Operation *square = mean.getInput().getDefiningOp();
    if (!square || !mean.getInput().hasOneUse())
      return rewriter.notifyMatchFailure(mean, "input is not a lone square");
    Value x;
    if (auto pow = dyn_cast<PowOp>(square)) {
      if (scalarConstant(pow.getRhs()) != 2.0)
        return rewriter.notifyMatchFailure(mean, "pow exponent is not 2");
      x = pow.getLhs();
    } else if (auto mul = dyn_cast<MulOp>(square)) {
      if (mul.getLhs() != mul.getRhs())
        return rewriter.notifyMatchFailure(mean, "mul is not x * x");
      x = mul.getLhs();
    } else {
      return rewriter.notifyMatchFailure(mean, "input is not pow or mul");
    }
    auto xType = cast<RankedTensorType>(x.getType());
    if (!isa<FloatType>(xType.getElementType()))
      return rewriter.notifyMatchFailure(mean, "x is not a float tensor");

    // Over the trailing dims, kept.
    ArrayRef<int64_t> axes = mean.getAxes();
    int64_t rank = xType.getRank();
    int64_t axis = rank - static_cast<int64_t>(axes.size());
    for (auto [i, a] : llvm::enumerate(axes))
      if (a != axis + static_cast<int64_t>(i))
        return rewriter.notifyMatchFailure(mean, "axes are not trailing");
    if (!mean.getKeepdims())
      return rewriter.notifyMatchFailure(mean, "keepdims is false");

    // + eps.
    auto add = dyn_cast_or_null<AddOp>(singleUser(mean.getResult()));
    if (!add)
      return rewriter.notifyMatchFailure(mean, "mean is not followed by +eps");
    std::optional<double> eps =
        scalarConstant(otherOperand(add, mean.getResult()));
    if (!eps || *eps < 0)
      return rewriter.notifyMatchFailure(mean, "eps is not a scalar constant");

    // 1 / sqrt in one of three spellings, applied to x.
    Operation *user = singleUser(add.getResult());
    Operation *normalized = nullptr;
    if (auto rsqrt = dyn_cast_or_null<RsqrtOp>(user)) {
      auto mul = dyn_cast_or_null<MulOp>(singleUser(rsqrt.getResult()));
      if (mul && otherOperand(mul, rsqrt.getResult()) == x)
        normalized = mul;
    } else if (auto sqrt = dyn_cast_or_null<SqrtOp>(user)) {
      Operation *next = singleUser(sqrt.getResult());
      if (auto recip = dyn_cast_or_null<ReciprocalOp>(next)) {
        auto mul = dyn_cast_or_null<MulOp>(singleUser(recip.getResult()));
        if (mul && otherOperand(mul, recip.getResult()) == x)
          normalized = mul;
      } else if (auto div = dyn_cast_or_null<DivOp>(next)) {
        if (div.getLhs() == x && div.getRhs() == sqrt.getResult()) {
          normalized = div;
        } else if (div.getRhs() == sqrt.getResult() &&
                   scalarConstant(div.getLhs()) == 1.0) {
          // 1 / sqrt(a), then x * that (the TorchScript exporter).
          auto mul = dyn_cast_or_null<MulOp>(singleUser(div.getResult()));
          if (mul && otherOperand(mul, div.getResult()) == x)
            normalized = mul;
        }
      }
    }
    if (!normalized)
      return rewriter.notifyMatchFailure(mean, "no x * rsqrt(mean + eps)");
    if (normalized->getResult(0).getType() != x.getType() &&
        !cast<RankedTensorType>(normalized->getResult(0).getType())
             .getShape()
             .equals(xType.getShape()))
      return rewriter.notifyMatchFailure(mean, "normalized x changes shape");

    // The scale: a following mul by a tensor of exactly the normalized dims.
    ArrayRef<int64_t> normShape = xType.getShape().drop_front(axis);
    Operation *last = normalized;
    Value weight;
    if (auto scale =
            dyn_cast_or_null<MulOp>(singleUser(normalized->getResult(0)))) {
      Value w = otherOperand(scale, normalized->getResult(0));
      auto wType = cast<RankedTensorType>(w.getType());
      if (wType.getElementType() == xType.getElementType() &&
          wType.getShape().equals(normShape) &&
          !ShapedType::isDynamicShape(normShape) &&
          scale.getResult().getType() == normalized->getResult(0).getType()) {
        weight = w;
        last = scale;
      }
    }
    if (ShapedType::isDynamicShape(normShape))
      return rewriter.notifyMatchFailure(mean, "normalized dims are dynamic");

    rewriter.setInsertionPoint(last);
    Location loc = rewriter.getFusedLoc({square->getLoc(), last->getLoc()});
    if (!weight) {
      auto wType = RankedTensorType::get(normShape, xType.getElementType());
      weight = ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(
              wType, rewriter.getFloatAttr(xType.getElementType(), 1.0)));
    }
    auto norm =
        RmsNormOp::create(rewriter, loc, last->getResult(0).getType(), x,
                          weight, rewriter.getI64IntegerAttr(axis),
                          rewriter.getF32FloatAttr(static_cast<float>(*eps)));
    LLVM_DEBUG(llvm::dbgs() << "fused RMSNorm at " << mean.getLoc() << "\n");
    rewriter.replaceOp(last, norm.getResult());
    return success();
  }
};

struct FuseNormsPass : public kestrel::impl::FuseNormsBase<FuseNormsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseRmsNorm>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
