//===- FuseMatmulEpilogue.cpp - Matmul epilogues into kestrel.fused_matmul ===//
//
// Implements kestrel-fuse-matmul-epilogue: the elementwise ops exporters
// write right after a float matmul, in the order a GEMM epilogue applies
// them,
//
//   y = matmul(a, b) [* alpha] [+ bias[N]] [relu | gelu | silu] [+ residual]
//
// (silu also as `x * sigmoid(x)`, as the dynamo exporter writes it)
// (alpha a scalar constant, bias a vector of the output's last dim, the
// residual a tensor of the output's type; each step optional, each
// intermediate with no other user) become one `kestrel.fused_matmul`, so the
// output is written once instead of once per op. A residual whose shape
// differs from the output's at run time (a broadcast the types did not
// show) is an error of the fused kernel, never a silent miscomputation.
//
//===----------------------------------------------------------------------===//

#include "passes/MatchUtils.h"
#include "passes/Passes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-fuse-matmul-epilogue"

namespace kestrel {
#define GEN_PASS_DEF_FUSEMATMULEPILOGUE
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

/// The mul of `x * sigmoid(x)` (SiLU as the dynamo exporter writes it),
/// when x has no other users and the sigmoid no other user than the mul.
Operation *decomposedSilu(Value x) {
  if (!llvm::hasNItems(x.getUses(), 2))
    return nullptr;
  SigmoidOp sigmoid;
  MulOp mul;
  for (Operation *user : x.getUsers()) {
    if (auto s = dyn_cast<SigmoidOp>(user))
      sigmoid = s;
    else if (auto m = dyn_cast<MulOp>(user))
      mul = m;
  }
  if (!sigmoid || !mul || !sigmoid->hasOneUse() ||
      *sigmoid->user_begin() != mul.getOperation() ||
      sigmoid.getType() != x.getType() || mul.getType() != x.getType())
    return nullptr;
  Value other = mul.getLhs() == x ? mul.getRhs() : mul.getLhs();
  return other == sigmoid.getResult() ? mul.getOperation() : nullptr;
}

struct FuseEpilogue : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp matmul,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(matmul.getType());
    if (!isa<FloatType>(type.getElementType()))
      return rewriter.notifyMatchFailure(matmul, "not a float matmul");
    int64_t n = type.getShape().back();
    Value current = matmul.getResult();
    Operation *last = matmul;
    float alpha = 1.0f;
    Value bias, residual;
    StringRef activation = "none";
    // The next op keeps the output's type (and is not, say, func.return).
    auto sameType = [&](Operation *op) {
      return op->getNumResults() == 1 &&
             op->getResult(0).getType() == current.getType();
    };
    // A reshape that keeps the last dim maps the output's rows to rows in
    // order, so the epilogue may follow it (GPT-2 and GPT-J reshape the
    // [B*S, N] projection back to [B, S, N] before the bias and residual).
    // The fused op then computes in the matmul's shape and the reshape moves
    // after it; a residual is reshaped to the matmul's shape, which needs
    // that shape to have at most one dynamic dim.
    ReshapeOp through = dyn_cast_or_null<ReshapeOp>(singleUser(current));
    auto throughType =
        through ? cast<RankedTensorType>(through.getType()) : nullptr;
    if (through && !ShapedType::isDynamic(n) && throughType.getRank() > 0 &&
        throughType.getShape().back() == n && type.getNumDynamicDims() <= 1)
      current = through.getResult();
    else
      through = nullptr;

    if (auto mul = dyn_cast_or_null<MulOp>(singleUser(current))) {
      std::optional<double> c = scalarFloatConstant(otherOperand(mul, current));
      if (c && sameType(mul)) {
        alpha = static_cast<float>(*c);
        current = mul.getResult();
        last = mul;
      }
    }
    if (auto add = dyn_cast_or_null<AddOp>(singleUser(current))) {
      Value b = otherOperand(add, current);
      auto bType = b ? dyn_cast<RankedTensorType>(b.getType()) : nullptr;
      if (bType && bType.getRank() == 1 && !ShapedType::isDynamic(n) &&
          bType.getDimSize(0) == n && sameType(add) &&
          bType.getElementType() == type.getElementType()) {
        bias = b;
        current = add.getResult();
        last = add;
      }
    }
    if (Operation *user = singleUser(current); user && sameType(user)) {
      if (isa<ReluOp>(user))
        activation = "relu";
      else if (isa<SiluOp>(user))
        activation = "silu";
      else if (auto gelu = dyn_cast<GeluOp>(user))
        activation = gelu.getApproximate() ? "gelu_tanh" : "gelu";
      if (activation != "none") {
        current = user->getResult(0);
        last = user;
      }
    } else if (Operation *silu = decomposedSilu(current); silu) {
      activation = "silu";
      current = silu->getResult(0);
      last = silu;
    }
    if (auto add = dyn_cast_or_null<AddOp>(singleUser(current))) {
      Value r = otherOperand(add, current);
      if (r && r != current && r.getType() == current.getType() &&
          sameType(add) && !(through && r == through.getResult())) {
        residual = r;
        current = add.getResult();
        last = add;
      }
    }
    if (last == matmul.getOperation() || (through && last == through))
      return rewriter.notifyMatchFailure(matmul, "no epilogue op follows");

    rewriter.setInsertionPoint(last);
    Location loc = rewriter.getFusedLoc({matmul.getLoc(), last->getLoc()});
    if (through && residual)
      residual = ReshapeOp::create(rewriter, loc, type, residual, Value(),
                                   rewriter.getBoolAttr(false));
    auto fused = FusedMatmulOp::create(
        rewriter, loc, through ? Type(type) : current.getType(),
        matmul.getLhs(), matmul.getRhs(), bias, residual,
        rewriter.getBoolAttr(matmul.getTransposeA()),
        rewriter.getBoolAttr(matmul.getTransposeB()),
        rewriter.getF32FloatAttr(alpha), rewriter.getStringAttr(activation));
    Value result = fused.getResult();
    if (through)
      result = ReshapeOp::create(rewriter, through.getLoc(), current.getType(),
                                 result, through.getShape(),
                                 through.getAllowZeroAttr());
    LLVM_DEBUG(llvm::dbgs()
               << "fused an epilogue into " << matmul.getLoc() << "\n");
    rewriter.replaceOp(last, result);
    return success();
  }
};

struct FuseMatmulEpiloguePass
    : public kestrel::impl::FuseMatmulEpilogueBase<FuseMatmulEpiloguePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseMatmulEpiloguePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void kestrel::populateFuseMatmulEpiloguePatterns(RewritePatternSet &patterns) {
  patterns.add<FuseEpilogue>(patterns.getContext());
}
