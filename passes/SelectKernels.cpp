//===- SelectKernels.cpp - Choose each compute op's kernel ----------------===//
//
// Implements kestrel-select-kernels: every op that runs a kernel gets
// `#kestrel.impl`, a candidate of the target's KernelRegistry and its
// configuration, by the rules in Passes.td (until the latency predictor
// ranks the candidates).
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelOps.h"
#include "passes/BufferPlan.h"
#include "passes/KernelRegistry.h"
#include "passes/Passes.h"
#include "passes/StorageTypes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-select-kernels"

namespace kestrel {
#define GEN_PASS_DEF_SELECTKERNELS
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

/// The tensor-core GEMM tile for a result of `m` rows and `n` columns (-1:
/// known only at run time): 32-row tiles (4 warps) for few rows, 64x64 (4
/// warps) for narrow or short problems, 128x128 (8 warps) otherwise.
KernelConfig mmaTile(int64_t m, int64_t n) {
  auto tile = [](int64_t tm, int64_t tn, int64_t tk, int64_t wm, int64_t wn) {
    return KernelConfig{{"tile_m", tm},
                        {"tile_n", tn},
                        {"tile_k", tk},
                        {"warps_m", wm},
                        {"warps_n", wn}};
  };
  if (m >= 0 && m <= 32)
    return tile(32, 128, 64, 1, 4);
  if ((n >= 0 && n < 128) || (m >= 0 && m <= 64))
    return tile(64, 64, 32, 2, 2);
  return tile(128, 128, 32, 2, 4);
}

struct Choice {
  const KernelCandidate *candidate = nullptr;
  KernelConfig config;
};

class SelectKernelsPass
    : public kestrel::impl::SelectKernelsBase<SelectKernelsPass> {
public:
  using SelectKernelsBase::SelectKernelsBase;

  void runOnOperation() override;

private:
  /// Today's rule for a GEMM on the CUDA device.
  Choice chooseCudaGemm(const KernelRegistry &registry,
                        const KernelSite &site) const;
  /// The configuration `candidate` gets for `site` when forced.
  KernelConfig forcedConfig(const KernelCandidate &candidate,
                            const KernelSite &site) const;
};

std::pair<int64_t, int64_t> resultRowsCols(Operation *op) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t rank = type.getRank();
  auto dim = [&](int64_t d) {
    return d < 0 || type.isDynamicDim(d) ? int64_t(-1) : type.getDimSize(d);
  };
  return {dim(rank - 2), dim(rank - 1)};
}

Choice SelectKernelsPass::chooseCudaGemm(const KernelRegistry &registry,
                                         const KernelSite &site) const {
  auto [rows, cols] = resultRowsCols(site.op);
  Type t = site.resultTypes[0];
  auto pick = [&](StringRef name, KernelConfig config) {
    return Choice{registry.lookup(name), std::move(config)};
  };
  bool isFloat = isa<FloatType>(t);
  if (isFloat && rows >= 0 && rows <= kCudaGemvMaxRows)
    return pick("cuda.gemm.gemv", {});
  // Rows known only at run time: few of them go to the GEMV kernels.
  KernelConfig guard;
  if (isFloat && rows < 0)
    guard.push_back({"gemv_max_m", kCudaGemvMaxRows});
  const KernelCandidate *mma = registry.lookup("cuda.gemm.mma");
  if (mma->check(site).empty()) {
    KernelConfig config = mmaTile(rows, cols);
    llvm::append_range(config, guard);
    return Choice{mma, config};
  }
  if (t.isF32())
    return pick("cuda.gemm.cublaslt", guard);
  return pick("cuda.gemm.simt", guard);
}

KernelConfig SelectKernelsPass::forcedConfig(const KernelCandidate &candidate,
                                             const KernelSite &site) const {
  if (candidate.name == "cuda.gemm.mma") {
    auto [rows, cols] = resultRowsCols(site.op);
    return mmaTile(rows, cols);
  }
  return candidate.space.front();
}

void SelectKernelsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (func.isExternal())
    return;
  std::optional<KernelTarget> kernelTarget =
      parseKernelTarget(target.getValue());
  if (!kernelTarget) {
    func.emitError("kestrel-select-kernels: unknown target '")
        << target.getValue() << "' (expected cpu or cuda)";
    return signalPassFailure();
  }
  FailureOr<BufferPlan> plan = planBuffers(func);
  if (failed(plan))
    return signalPassFailure();

  const KernelCandidate *forced = nullptr;
  if (!force.getValue().empty()) {
    forced = KernelRegistry::get(*kernelTarget).lookup(force.getValue());
    if (!forced) {
      func.emitError("kestrel-select-kernels: no kernel '")
          << force.getValue() << "' on the " << kernelTargetName(*kernelTarget)
          << " target";
      return signalPassFailure();
    }
  }

  Builder b(&getContext());
  bool failedAny = false, forcedAny = false;
  for (Operation &op : func.getBody().front().without_terminator()) {
    op.removeAttr(ImplAttr::kName);
    if (isa<WeightOp, ConstantOp>(op) || op.getNumResults() == 0)
      continue;
    ValueStorage storageKind = plan->of(op.getResult(0)).storage;
    if (isa<ReshapeOp>(op) && storageKind == ValueStorage::Alias)
      continue; // shares its operand's data: no kernel
    // The CUDA target computes the values that decide shapes on the host.
    bool device = *kernelTarget == KernelTarget::Cuda &&
                  storageKind != ValueStorage::Host;
    const KernelRegistry &registry =
        KernelRegistry::get(device ? KernelTarget::Cuda : KernelTarget::Cpu);

    KernelSite site;
    site.op = &op;
    // The storage type on the device (#kestrel.storage); host kernels
    // read values in their element types.
    auto storedType = [&](Value v) {
      return device ? storageType(v)
                    : cast<RankedTensorType>(v.getType()).getElementType();
    };
    for (Value v : op.getOperands())
      site.operandTypes.push_back(storedType(v));
    for (Value v : op.getResults())
      site.resultTypes.push_back(storedType(v));

    SmallVector<const KernelCandidate *> candidates =
        registry.candidatesFor(op.getName().getStringRef());
    if (candidates.empty()) {
      op.emitOpError("has no kernel on the ")
          << kernelTargetName(registry.candidates().front().target)
          << " target";
      failedAny = true;
      continue;
    }

    Choice choice;
    if (device && isa<MatmulOp, FusedMatmulOp>(op)) {
      choice = chooseCudaGemm(registry, site);
    } else {
      std::string reasons;
      for (const KernelCandidate *c : candidates) {
        std::string why = c->check ? c->check(site) : std::string();
        if (why.empty()) {
          choice = {c, c->space.front()};
          break;
        }
        reasons += "; " + c->name.str() + " " + why;
      }
      if (!choice.candidate) {
        op.emitOpError("has no kernel that runs it") << reasons;
        failedAny = true;
        continue;
      }
    }

    if (forced && llvm::is_contained(candidates, forced) &&
        forced != choice.candidate) {
      std::string why = forced->check ? forced->check(site) : std::string();
      if (why.empty()) {
        choice = {forced, forcedConfig(*forced, site)};
      } else {
        op.emitWarning("cannot run on the forced kernel ")
            << forced->name << ": it " << why << "; keeping "
            << choice.candidate->name;
      }
    }
    forcedAny |= forced && choice.candidate == forced;

    SmallVector<NamedAttribute> entries;
    for (const auto &[key, value] : choice.config)
      entries.push_back(b.getNamedAttr(key, b.getI64IntegerAttr(value)));
    op.setAttr(ImplAttr::kName,
               ImplAttr::get(&getContext(),
                             b.getStringAttr(choice.candidate->name),
                             b.getDictionaryAttr(entries)));
    LLVM_DEBUG(llvm::dbgs()
               << op.getName() << " -> " << choice.candidate->name << "\n");
  }
  if (forced && !forcedAny && !failedAny) {
    func.emitError("kestrel-select-kernels: the forced kernel ")
        << forced->name << " runs none of the function's ops";
    failedAny = true;
  }
  if (failedAny)
    signalPassFailure();
}

} // namespace
