//===- KernelSelection.h - Kernel candidates ranked by predicted latency -===//
//
// What kestrel-select-kernels decides and kestrelc --explain shows: for each
// op that runs a kernel, every candidate of the target's registry (each
// point of its configuration space, with and without its run-time guards)
// that can run the op, with its predicted latency (predictor/CostModel.h)
// at each of the dynamic-dim scenarios, or why it cannot run the op. The
// candidate with the lowest score wins: the sum over the scenarios of its
// predicted time over the best predicted time of that scenario, so a
// decode-shaped and a prefill-shaped call count alike whatever their
// lengths. Ties keep registry order. One function ranks for both, so what
// --explain prints is what the pass chose.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PASSES_KERNELSELECTION_H
#define KESTREL_PASSES_KERNELSELECTION_H

#include "passes/KernelRegistry.h"
#include "predictor/CostModel.h"
#include "predictor/DeviceProfile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

#include <optional>
#include <string>
#include <vector>

namespace kestrel {

struct SelectionOptions {
  KernelTarget target = KernelTarget::Cpu;
  /// The device the target's kernels run on (a CUDA profile for cuda) and
  /// the host CPU (the cpu target, and the host ops of a cuda model).
  predictor::DeviceProfile device, host;
  /// Corrects the CPU's predictions when set (kestrel-calibrate).
  std::optional<predictor::Calibration> calibration;
  /// The values every dynamic dim takes, one scenario each.
  llvm::SmallVector<int64_t> dynamicDims = {1, 64};
  /// CPU threads the library runs with; 0: the profile's cores.
  int threads = 0;
  /// A candidate to use wherever it can run the op (kestrelc --kernel).
  std::string force;
};

/// Builds the options from a pass's or kestrelc's flags: `device` a
/// profile name ("h200"), a .json path, "host" (this CPU, detected without
/// timing it) or empty (host for cpu, h100-sxm for cuda); `calibration` a
/// kestrel-calibrate file or empty. Errors name the flag and the problem.
llvm::Expected<SelectionOptions> makeSelectionOptions(
    llvm::StringRef target, llvm::StringRef device, llvm::StringRef calibration,
    llvm::ArrayRef<int64_t> dynamicDims, int threads, llvm::StringRef force);

struct RankedCandidate {
  const KernelCandidate *candidate = nullptr;
  KernelConfig config;
  /// Per scenario (SelectionOptions::dynamicDims; one when the op's shapes
  /// are static), microseconds.
  llvm::SmallVector<double> predictedUs;
  double score = 0;
  /// Why it cannot run the op; empty when it can.
  std::string rejected;
};

struct OpRanking {
  mlir::Operation *op = nullptr;
  /// Every candidate the registry has for the op, ranked ones first in
  /// score order, then the rejected ones.
  std::vector<RankedCandidate> candidates;
  /// The choice (an index into candidates), -1 when none can run the op.
  int chosen = -1;
  /// Whether `force` replaced the predictor's choice.
  bool forced = false;
  /// Whether the op runs on the host in a cuda model.
  bool onHost = false;
};

/// Ranks the candidates of every op of `func` that runs a kernel, in op
/// order. Fails (with errors on the ops) when an op has no candidate that
/// runs it or the forced kernel is unknown.
mlir::FailureOr<std::vector<OpRanking>>
rankKernels(mlir::func::FuncOp func, const SelectionOptions &options);

/// Prints `rankings` of `func` (kestrelc --explain): per op the candidates
/// with their predicted times per scenario, the choice, the rejected ones
/// with the reason, and the predicted total per scenario; as JSON with
/// `json`.
void printExplanation(llvm::raw_ostream &os, mlir::func::FuncOp func,
                      llvm::ArrayRef<OpRanking> rankings,
                      const SelectionOptions &options, bool json);

} // namespace kestrel

#endif // KESTREL_PASSES_KERNELSELECTION_H
