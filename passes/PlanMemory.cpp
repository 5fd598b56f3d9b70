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
    if (!plan->isStatic) {
      // Symbolic dims: the runtime places the arena from the actual shapes.
      func->setAttr("kestrel.arena_planning", b.getStringAttr("runtime"));
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
        op.setAttr("kestrel.arena_offsets", b.getDenseI64ArrayAttr(offsets));
    }
    LLVM_DEBUG(llvm::dbgs()
               << func.getName() << ": " << plan->numArena << " intermediates, "
               << plan->intermediateBytes << " bytes apart, "
               << plan->arenaBytes << " bytes planned\n");
    func->setAttr("kestrel.arena_bytes", b.getI64IntegerAttr(plan->arenaBytes));
    func->setAttr("kestrel.intermediate_bytes",
                  b.getI64IntegerAttr(plan->intermediateBytes));
  }
};

} // namespace
