//===- PlanMemory.cpp - Liveness-based arena planning ---------------------===//
//
// Implements kestrel-plan-memory by annotating the function with the
// BufferPlan analysis: arena offsets per op, the peak and the sum.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/BufferPlan.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-plan-memory"

namespace kestrel {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

struct PlanMemoryPass : public kestrel::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    FailureOr<BufferPlan> plan = planBuffers(func);
    if (failed(plan))
      return signalPassFailure();
    Builder b(&getContext());
    // A plan from an earlier run goes first: the IR may have changed since.
    func->removeAttr(kArenaPlanningAttr);
    func->removeAttr(kArenaBytesAttr);
    func->removeAttr(kIntermediateBytesAttr);
    func->removeAttr(kNumStagesAttr);
    for (Operation &op : func.getBody().front()) {
      op.removeAttr(kArenaOffsetsAttr);
      op.removeAttr(kStageAttr);
    }
    if (plan->numStages > 1) {
      func->setAttr(kNumStagesAttr, b.getI64IntegerAttr(plan->numStages));
      for (Operation &op : func.getBody().front().without_terminator())
        if (int64_t stage = plan->stages.lookup(&op))
          op.setAttr(kStageAttr, b.getI64IntegerAttr(stage));
    }
    if (!plan->isStatic) {
      // Symbolic dims: the runtime places the arena from the actual shapes.
      func->setAttr(kArenaPlanningAttr, b.getStringAttr("runtime"));
      return;
    }
    for (Operation &op : func.getBody().front()) {
      SmallVector<int64_t> offsets;
      bool any = false;
      for (Value result : op.getResults()) {
        const ValuePlan &p = plan->of(result);
        offsets.push_back(p.offset);
        any |= p.storage == ValueStorage::Arena;
      }
      if (any)
        op.setAttr(kArenaOffsetsAttr, b.getDenseI64ArrayAttr(offsets));
    }
    LLVM_DEBUG(llvm::dbgs()
               << func.getName() << ": " << plan->numArena << " intermediates, "
               << plan->intermediateBytes << " bytes apart, "
               << plan->arenaBytes << " bytes planned\n");
    func->setAttr(kArenaBytesAttr, b.getI64IntegerAttr(plan->arenaBytes));
    func->setAttr(kIntermediateBytesAttr,
                  b.getI64IntegerAttr(plan->intermediateBytes));
  }
};

} // namespace
