//===- CpuEmitter.h - kestrel dialect to C++ for the CPU --------*- C++ -*-===//
//
// Turns the entry function of a kestrel module into one C++ source file: the
// model's tables (inputs, outputs, weights, constants, values with their
// storage from the BufferPlan) and two straight-line functions,
// `inferShapes` and `execute`, that call the kernel library
// (codegen/cpu/kernels/Kernels.h) once per op. The runtime
// (runtime/ModelDef.h) drives them. Plus the model's public header.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_CPU_CPUEMITTER_H
#define KESTREL_CODEGEN_CPU_CPUEMITTER_H

#include "passes/BufferPlan.h"
#include "runtime/WeightsFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kestrel::codegen {

struct CpuEmitOptions {
  /// The C identifier the model's symbols use (NAME_model()).
  std::string name = "model";
  /// Ranges of symbolic input dims by name; others get [1, kDefaultDimMax].
  std::map<std::string, std::pair<int64_t, int64_t>> dimRanges;
  /// Ties the library to its weights file.
  uint64_t modelHash = 0;
  /// A line for the generated file's banner (the source model).
  std::string source;
};

constexpr int64_t kDefaultDimMax = (int64_t(1) << 31) - 1;

struct CpuEmitResult {
  /// Weight names in the order of the model's weight table.
  std::vector<std::string> weights;
  BufferPlan plan;
  int64_t numKernelCalls = 0;
};

/// Emits the C++ of `module`'s @main into `source` and its header into
/// `header`. Errors are emitted on the offending op.
mlir::FailureOr<CpuEmitResult> emitCpuModel(mlir::ModuleOp module,
                                            const CpuEmitOptions &options,
                                            llvm::raw_ostream &source,
                                            llvm::raw_ostream &header);

/// The hash that ties a library to its weights file: the compiled module's
/// text and the raw data of every weight.
uint64_t
modelHash(llvm::StringRef irText,
          const std::map<std::string, mlir::DenseElementsAttr> &weights);

/// Adds the data of the weights named in `names` (a CpuEmitResult's order)
/// to `writer`; false with `error` naming a weight without data or with
/// data the writer refuses. `bytes` accumulates the data size.
bool addWeights(llvm::ArrayRef<std::string> names,
                const std::map<std::string, mlir::DenseElementsAttr> &weights,
                runtime::WeightsWriter &writer, uint64_t &bytes,
                std::string &error);

/// Row-major little-endian bytes of a dense attribute (i1 as one byte per
/// element, splats expanded), as the weights file and the runtime store
/// tensors.
std::vector<uint8_t> denseBytes(mlir::DenseElementsAttr attr);

} // namespace kestrel::codegen

#endif // KESTREL_CODEGEN_CPU_CPUEMITTER_H
