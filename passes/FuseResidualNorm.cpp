//===- FuseResidualNorm.cpp - Residual add + norm into one op -------------===//
//
// Implements kestrel-fuse-residual-norm: a norm whose input is a residual
// add,
//
//   h = add(x, r)                (x, r and h of one type: no broadcast)
//   y = rms_norm(h, w) | layer_norm(h, g[, b])
//
// becomes `h, y = kestrel.add_rms_norm x, r, w` (or `add_layer_norm`), one
// pass over the rows that writes both the residual stream h (which the
// next residual add reads) and the normalized y. It runs after
// kestrel-fuse-matmul-epilogue, which folds a residual add into the matmul
// that produces one of its operands and so saves the extra read and write
// of that operand; the adds this pass takes are the ones no epilogue could
// (after an MoE block, or the second add of a three-way sum). A shape that
// differs between x and r at run time (a broadcast the types did not show)
// is an error of the fused kernel, never a silent miscomputation.
//
// The fused op goes where the norm was when every other user of h comes
// after the norm (the usual order), or where the add was when the norm's
// parameters are defined before it. With `report`, every norm whose input
// is an add gets a remark saying whether it was fused and, if not, why.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-fuse-residual-norm"

namespace kestrel {
#define GEN_PASS_DEF_FUSERESIDUALNORM
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

/// Where the fused op can go: the norm, when every other user of the add
/// follows it; else the add, when the norm's operands other than the add
/// are available there. Null (with `why`) when neither works.
Operation *insertionPoint(Operation *norm, AddOp add, DominanceInfo &dom,
                          std::string &why) {
  if (llvm::all_of(add->getUsers(), [&](Operation *user) {
        return user == norm || dom.properlyDominates(norm, user);
      }))
    return norm;
  if (llvm::all_of(norm->getOperands().drop_front(), [&](Value param) {
        return dom.properlyDominates(param, add);
      }))
    return add;
  why = "the sum has users before the norm and the norm's parameters are "
        "defined after the add";
  return nullptr;
}

struct FuseResidualNormPass
    : public kestrel::impl::FuseResidualNormBase<FuseResidualNormPass> {
  using FuseResidualNormBase::FuseResidualNormBase;

  void runOnOperation() override {
    SmallVector<Operation *> norms;
    getOperation().walk([&](Operation *op) {
      if (isa<RmsNormOp, LayerNormOp>(op))
        norms.push_back(op);
    });
    DominanceInfo &dom = getAnalysis<DominanceInfo>();
    IRRewriter rewriter(&getContext());
    for (Operation *norm : norms) {
      auto add = norm->getOperand(0).getDefiningOp<AddOp>();
      if (!add)
        continue;
      std::string why;
      Operation *at = nullptr;
      Type type = add.getType();
      if (add.getLhs().getType() != type || add.getRhs().getType() != type)
        why = "the add broadcasts (its operands' types differ from its "
              "result's)";
      else
        at = insertionPoint(norm, add, dom, why);
      if (!at) {
        LLVM_DEBUG(llvm::dbgs()
                   << "not fused at " << norm->getLoc() << ": " << why << "\n");
        if (report)
          norm->emitRemark("residual add not fused into the norm: ") << why;
        continue;
      }
      rewriter.setInsertionPoint(at);
      Location loc = rewriter.getFusedLoc({add.getLoc(), norm->getLoc()});
      SmallVector<Type, 2> types{type, norm->getResult(0).getType()};
      Operation *fused;
      if (auto rms = dyn_cast<RmsNormOp>(norm))
        fused = AddRmsNormOp::create(rewriter, loc, types, add.getLhs(),
                                     add.getRhs(), rms.getWeight(),
                                     rms.getAxisAttr(), rms.getEpsilonAttr());
      else {
        auto layer = cast<LayerNormOp>(norm);
        fused = AddLayerNormOp::create(
            rewriter, loc, types, add.getLhs(), add.getRhs(), layer.getScale(),
            layer.getBias(), layer.getAxisAttr(), layer.getEpsilonAttr());
      }
      if (report)
        norm->emitRemark("residual add fused into the norm");
      rewriter.replaceOp(norm, fused->getResult(1));
      rewriter.replaceOp(add, fused->getResult(0));
      ++numFused;
    }
  }
};

} // namespace
