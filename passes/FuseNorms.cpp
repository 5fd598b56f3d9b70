//===- FuseNorms.cpp - Norm chains into kestrel.rms_norm / layer_norm -----===//
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
// becomes `kestrel.rms_norm x, w` (w a splat 1 when the chain has none); and
// LayerNorm from primitives,
//
//   d = x - mean(x); n = d / sqrt(mean(d^2) + eps); y = n * g + b
//
// becomes `kestrel.layer_norm x, g, b` (scale and bias optional). The
// intermediates must have no other users; anything else stays unfused, and
// --debug-only=kestrel-fuse-norms says why.
//
//===----------------------------------------------------------------------===//

#include "passes/MatchUtils.h"
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

/// A splat-1 tensor of the normalized dims: the scale of a norm that has
/// none.
Value onesLike(PatternRewriter &rewriter, Location loc, ArrayRef<int64_t> shape,
               Type element) {
  auto type = RankedTensorType::get(shape, element);
  return ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(type, rewriter.getFloatAttr(element, 1.0)));
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
      if (scalarFloatConstant(pow.getRhs()) != 2.0)
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
    // x - mean(x) is a LayerNorm's centered input: FuseLayerNorm takes it.
    if (auto sub = x.getDefiningOp<SubOp>())
      if (auto centre = sub.getRhs().getDefiningOp<ReduceMeanOp>();
          centre && centre.getInput() == sub.getLhs())
        return rewriter.notifyMatchFailure(mean, "x is centered: LayerNorm");

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
        scalarFloatConstant(otherOperand(add, mean.getResult()));
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
                   scalarFloatConstant(div.getLhs()) == 1.0) {
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
    if (!weight)
      weight = onesLike(rewriter, loc, normShape, xType.getElementType());
    auto norm =
        RmsNormOp::create(rewriter, loc, last->getResult(0).getType(), x,
                          weight, rewriter.getI64IntegerAttr(axis),
                          rewriter.getF32FloatAttr(static_cast<float>(*eps)));
    LLVM_DEBUG(llvm::dbgs() << "fused RMSNorm at " << mean.getLoc() << "\n");
    rewriter.replaceOp(last, norm.getResult());
    return success();
  }
};

/// Whether `mean` reduces exactly the trailing dims of a rank-`rank` tensor
/// with keepdims; sets `axis` to the first reduced dim.
bool isTrailingMean(ReduceMeanOp mean, int64_t rank, int64_t &axis) {
  ArrayRef<int64_t> axes = mean.getAxes();
  axis = rank - static_cast<int64_t>(axes.size());
  for (auto [i, a] : llvm::enumerate(axes))
    if (a != axis + static_cast<int64_t>(i))
      return false;
  return mean.getKeepdims();
}

/// LayerNorm from primitives, as older exporters write it:
///   d = x - mean(x); v = mean(d^2 | d*d); n = d / sqrt(v + eps)
///   y = n * g + b   (scale and bias optional)
struct FuseLayerNorm : public OpRewritePattern<ReduceMeanOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReduceMeanOp mean,
                                PatternRewriter &rewriter) const override {
    Value x = mean.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t axis;
    if (!isa<FloatType>(xType.getElementType()) ||
        !isTrailingMean(mean, xType.getRank(), axis))
      return rewriter.notifyMatchFailure(mean, "not a trailing float mean");
    auto sub = dyn_cast_or_null<SubOp>(singleUser(mean.getResult()));
    if (!sub || sub.getLhs() != x || sub.getRhs() != mean.getResult() ||
        sub.getResult().getType() != x.getType())
      return rewriter.notifyMatchFailure(mean, "not followed by x - mean");
    Value d = sub.getResult();

    // d feeds exactly the square and the division.
    Operation *square = nullptr;
    DivOp div;
    for (Operation *user : d.getUsers()) {
      bool isSquare = false;
      if (auto pow = dyn_cast<PowOp>(user))
        isSquare =
            pow.getLhs() == d && scalarFloatConstant(pow.getRhs()) == 2.0;
      else if (auto mul = dyn_cast<MulOp>(user))
        isSquare = mul.getLhs() == d && mul.getRhs() == d;
      auto dv = dyn_cast<DivOp>(user);
      if (isSquare && (!square || square == user))
        square = user;
      else if (dv && dv.getLhs() == d && dv.getRhs() != d && !div)
        div = dv;
      else
        return rewriter.notifyMatchFailure(mean, "x - mean has other users");
    }
    if (!square || !div || !square->getResult(0).hasOneUse())
      return rewriter.notifyMatchFailure(mean, "no (x - mean)^2 and division");
    auto var = dyn_cast<ReduceMeanOp>(*square->getResult(0).getUsers().begin());
    int64_t varAxis;
    if (!var || var.getAxes() != mean.getAxes() ||
        !isTrailingMean(var, xType.getRank(), varAxis))
      return rewriter.notifyMatchFailure(mean,
                                         "no variance over the same dims");
    auto add = dyn_cast_or_null<AddOp>(singleUser(var.getResult()));
    if (!add)
      return rewriter.notifyMatchFailure(mean,
                                         "variance is not followed by +eps");
    std::optional<double> eps =
        scalarFloatConstant(otherOperand(add, var.getResult()));
    auto sqrt = dyn_cast_or_null<SqrtOp>(singleUser(add.getResult()));
    if (!eps || *eps < 0 || !sqrt || div.getRhs() != sqrt.getResult() ||
        !sqrt.getResult().hasOneUse())
      return rewriter.notifyMatchFailure(mean,
                                         "no (x - mean) / sqrt(var + eps)");
    if (div.getResult().getType() != x.getType())
      return rewriter.notifyMatchFailure(mean, "the division changes shape");

    ArrayRef<int64_t> normShape = xType.getShape().drop_front(axis);
    if (ShapedType::isDynamicShape(normShape))
      return rewriter.notifyMatchFailure(mean, "normalized dims are dynamic");
    auto isParam = [&](Value v) {
      auto t = cast<RankedTensorType>(v.getType());
      return t.getElementType() == xType.getElementType() &&
             t.getShape().equals(normShape);
    };
    Operation *last = div;
    Value scale, bias;
    if (auto mul = dyn_cast_or_null<MulOp>(singleUser(div.getResult()))) {
      Value g = otherOperand(mul, div.getResult());
      if (isParam(g) && mul.getResult().getType() == x.getType()) {
        scale = g;
        last = mul;
      }
    }
    if (auto plus = dyn_cast_or_null<AddOp>(singleUser(last->getResult(0)))) {
      Value b = otherOperand(plus, last->getResult(0));
      if (isParam(b) && plus.getResult().getType() == x.getType()) {
        bias = b;
        last = plus;
      }
    }

    rewriter.setInsertionPoint(last);
    Location loc = rewriter.getFusedLoc({mean.getLoc(), last->getLoc()});
    if (!scale)
      scale = onesLike(rewriter, loc, normShape, xType.getElementType());
    auto norm =
        LayerNormOp::create(rewriter, loc, last->getResult(0).getType(), x,
                            scale, bias, rewriter.getI64IntegerAttr(axis),
                            rewriter.getF32FloatAttr(static_cast<float>(*eps)));
    LLVM_DEBUG(llvm::dbgs() << "fused LayerNorm at " << mean.getLoc() << "\n");
    rewriter.replaceOp(last, norm.getResult());
    return success();
  }
};

struct FuseNormsPass : public kestrel::impl::FuseNormsBase<FuseNormsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseNormsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void kestrel::populateFuseNormsPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseRmsNorm, FuseLayerNorm>(patterns.getContext());
}
