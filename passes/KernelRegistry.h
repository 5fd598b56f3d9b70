//===- KernelRegistry.h - The kernels each target can run -------*- C++ -*-===//
//
// For each target, the candidate implementations of each compute op: the
// kernels the target's library (kernels/cpu, kernels/cuda) and its code
// generator provide, each with its configuration space and the constraints
// an op must meet (storage types, shapes). kestrel-select-kernels picks one
// candidate and configuration per op and records it as `#kestrel.impl`;
// code generation reads that attribute and nothing else. The registry is
// compiler-side data: passes see it without including codegen, and the
// latency predictor will rank its candidates.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PASSES_KERNELREGISTRY_H
#define KESTREL_PASSES_KERNELREGISTRY_H

#include "dialects/kestrel/IR/KestrelDialect.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kestrel {

enum class KernelTarget { Cpu, Cuda };

/// "cpu" or "cuda".
llvm::StringRef kernelTargetName(KernelTarget target);
std::optional<KernelTarget> parseKernelTarget(llvm::StringRef name);

/// What a candidate's constraints see of an op: the op and the element type
/// each operand and result is stored in on the target (the CUDA target
/// keeps some f32 values in bf16/f16: passes/StorageTypes.h).
struct KernelSite {
  mlir::Operation *op = nullptr;
  llvm::SmallVector<mlir::Type> operandTypes, resultTypes;
};

/// One point of a candidate's configuration space: (name, value) pairs.
using KernelConfig = llvm::SmallVector<std::pair<llvm::StringRef, int64_t>>;

struct KernelCandidate {
  /// "<target>.<family>[.<variant>]", e.g. "cuda.gemm.mma".
  llvm::StringRef name;
  KernelTarget target;
  /// What it is, for --print-kernels and the docs.
  llvm::StringRef summary;
  /// The ops it implements (operation names).
  llvm::SmallVector<llvm::StringRef> ops;
  /// Its configuration space: the configurations it is built and tested
  /// with (one empty configuration when it has no parameters).
  llvm::SmallVector<KernelConfig> space = {KernelConfig()};
  /// Parameters a configuration may add to a point of the space, with the
  /// values they may take (e.g. a run-time shape guard).
  llvm::SmallVector<std::pair<llvm::StringRef, llvm::SmallVector<int64_t>>>
      guards;
  /// Why the candidate cannot run `site`; empty when it can.
  std::function<std::string(const KernelSite &site)> check;
};

class KernelRegistry {
public:
  /// The candidates of `target`.
  static const KernelRegistry &get(KernelTarget target);

  llvm::ArrayRef<KernelCandidate> candidates() const { return all; }
  /// The candidate named `name`, or null.
  const KernelCandidate *lookup(llvm::StringRef name) const;
  /// The candidates that implement ops named `opName`, in registry order.
  llvm::SmallVector<const KernelCandidate *>
  candidatesFor(llvm::StringRef opName) const;
  /// Whether `config` is a point of `candidate`'s space, plus guards it
  /// allows; otherwise false with `error` saying what is wrong.
  static bool isValidConfig(const KernelCandidate &candidate,
                            mlir::DictionaryAttr config, std::string &error);

private:
  explicit KernelRegistry(std::vector<KernelCandidate> candidates)
      : all(std::move(candidates)) {}
  std::vector<KernelCandidate> all;
};

/// The largest number of rows the CUDA library's GEMV kernels take
/// (kernels/cuda/Matmul.cu's kGemvMaxM).
constexpr int64_t kCudaGemvMaxRows = 8;

} // namespace kestrel

#endif // KESTREL_PASSES_KERNELREGISTRY_H
