//===- SelectKernels.cpp - Choose each compute op's kernel ----------------===//
//
// Implements kestrel-select-kernels: every op that runs a kernel gets
// `#kestrel.impl`, the candidate of the target's KernelRegistry and the
// configuration the latency predictor ranks first (passes/KernelSelection.h),
// with its predicted times.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelOps.h"
#include "passes/KernelSelection.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-select-kernels"

namespace kestrel {
#define GEN_PASS_DEF_SELECTKERNELS
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

class SelectKernelsPass
    : public kestrel::impl::SelectKernelsBase<SelectKernelsPass> {
public:
  using SelectKernelsBase::SelectKernelsBase;

  LogicalResult initialize(MLIRContext *context) override {
    llvm::Expected<SelectionOptions> parsed = makeSelectionOptions(
        target, device, calibration, dynamicDims, threads, force);
    if (!parsed) {
      emitError(UnknownLoc::get(context), "kestrel-select-kernels: ")
          << llvm::toString(parsed.takeError());
      return failure();
    }
    options = std::make_shared<SelectionOptions>(std::move(*parsed));
    return success();
  }

  void runOnOperation() override;

private:
  /// Shared by the pass's clones (one per thread).
  std::shared_ptr<const SelectionOptions> options;
};

void SelectKernelsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (func.isExternal())
    return;
  func.walk([](Operation *op) { op->removeAttr(ImplAttr::kName); });
  FailureOr<std::vector<OpRanking>> rankings = rankKernels(func, *options);
  if (failed(rankings))
    return signalPassFailure();
  Builder b(&getContext());
  for (const OpRanking &ranking : *rankings) {
    const RankedCandidate &choice = ranking.candidates[size_t(ranking.chosen)];
    SmallVector<NamedAttribute> entries;
    for (const auto &[key, value] : choice.config)
      entries.push_back(b.getNamedAttr(key, b.getI64IntegerAttr(value)));
    // Rounded to 0.01 us: the IR stays readable and stable across builds.
    SmallVector<double> predicted;
    for (double us : choice.predictedUs)
      predicted.push_back(std::round(us * 100) / 100);
    ranking.op->setAttr(ImplAttr::kName,
                        ImplAttr::get(&getContext(),
                                      b.getStringAttr(choice.candidate->name),
                                      b.getDictionaryAttr(entries),
                                      b.getDenseF64ArrayAttr(predicted)));
    LLVM_DEBUG(llvm::dbgs() << ranking.op->getName() << " -> "
                            << choice.candidate->name << "\n");
  }
}

} // namespace
