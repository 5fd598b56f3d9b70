//===- ModelEmitter.h - A kestrel module as a model's C++ source -*- C++
//-*-===//
//
// Turns the entry function of a compiled kestrel module (every op with its
// #kestrel.impl, the memory plan of kestrel-plan-memory) into one C++ source
// file and the model's public header. The source holds the model's tables
// (inputs with their symbolic dims, outputs, weights, constants, values with
// their storage), `inferShapes` (the shape code, and the ops the plan keeps
// on the host), `execute` (one kernel call per op) and the
// kestrel_model_def the runtime (runtime/ModelDef.h) drives. All of it is
// target-neutral except the kernel calls and a few pieces around them,
// which a TargetBackend (codegen/cpu, codegen/cuda) writes.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_HOST_MODELEMITTER_H
#define KESTREL_CODEGEN_HOST_MODELEMITTER_H

#include "codegen/host/TargetBackend.h"
#include "passes/BufferPlan.h"
#include "runtime/CpuLevel.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kestrel::codegen {

struct ModelEmitOptions {
  /// The x86-64 level the CPU code (the model's and the kernels') is built
  /// for (kestrelc --cpu); recorded in the model and checked at open.
  runtime::CpuLevel cpuLevel = runtime::CpuLevel::V3;
  /// The C identifier the model's symbols use (NAME_model()).
  std::string name = "model";
  /// Ranges of symbolic input dims by name; others get [1, kDefaultDimMax].
  std::map<std::string, std::pair<int64_t, int64_t>> dimRanges;
  /// Ties the library to its weights file (codegen/host/Weights.h).
  uint64_t modelHash = 0;
  /// A line for the generated file's banner (the source model).
  std::string source;
};

constexpr int64_t kDefaultDimMax = (int64_t(1) << 31) - 1;

struct ModelEmitResult {
  /// Weight names in the order of the model's weight table.
  std::vector<std::string> weights;
  /// The element type each weight is stored in (the backend's
  /// storageType), parallel to `weights`.
  std::vector<mlir::Type> weightTypes;
  BufferPlan plan;
  /// Kernels each run launches: ops run on the device (on the CPU target,
  /// on the CPU), not shape computations or reshapes that alias.
  int64_t numKernelCalls = 0;
  /// Ops run on the host while shapes are worked out, before the kernels.
  int64_t numHostCalls = 0;
  /// The kernel calls from each kestrel.attention (exclusive) to the next
  /// one (inclusive): one decoder layer's worth, whichever op it starts at;
  /// empty with fewer than two attention ops.
  std::vector<int64_t> kernelCallsPerLayer;
  /// The model's symbolic input dims (named ones shared, unnamed ones named
  /// "input[d]") with their compiled ranges, and per input dim its index in
  /// `symbols` (-1 for a static dim): the runtime's table, and the header's.
  struct Symbol {
    std::string name;
    int64_t min, max;
  };
  std::vector<Symbol> symbols;
  std::vector<std::vector<int64_t>> inputSymbols;
};

/// Emits the C++ of `module`'s @main into `source` and its header into
/// `header`, with `backend`'s kernel calls in `execute` (`host`'s, the CPU
/// backend, for ops run on the host; the same object for a CPU model).
/// Errors are emitted on the offending op.
mlir::FailureOr<ModelEmitResult>
emitModel(mlir::ModuleOp module, TargetBackend &backend, TargetBackend &host,
          const ModelEmitOptions &options, llvm::raw_ostream &source,
          llvm::raw_ostream &header);

} // namespace kestrel::codegen

#endif // KESTREL_CODEGEN_HOST_MODELEMITTER_H
