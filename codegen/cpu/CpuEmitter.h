//===- CpuEmitter.h - kestrel dialect to C++ for the CPU --------*- C++ -*-===//
//
// Turns the entry function of a kestrel module into one C++ source file: the
// model's tables (inputs, outputs, weights, constants, values with their
// storage from the BufferPlan) and two straight-line functions,
// `inferShapes` and `execute`, that call the kernel library
// (kernels/cpu/Kernels.h) once per op. The runtime
// (runtime/ModelDef.h) drives them. Plus the model's public header.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_CPU_CPUEMITTER_H
#define KESTREL_CODEGEN_CPU_CPUEMITTER_H

#include "passes/BufferPlan.h"
#include "runtime/CpuLevel.h"
#include "runtime/WeightsFile.h"
#include "runtime/WeightsManifest.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kestrel::codegen {

/// The backend the emitted code runs on. Both share the tables and the
/// host-side shape code; `Cuda` emits an `execute` that launches the CUDA
/// kernel library (kernels/cuda/Kernels.h) over device tensors.
enum class EmitTarget { Cpu, Cuda };

/// One tensor-core GEMM instantiation a CUDA model needs (emitted into its
/// own kernel source by codegen/cuda).
struct GemmInstance {
  std::string function; ///< e.g. "kestrel_gemm_128x128x32_2x4_bf16_nn"
  int tileM, tileN, tileK, warpsM, warpsN;
  /// The one storage type and layout compiled (Gemm.cuh's gemm_variant).
  bool f16 = false, transA = false, transB = false;
  bool operator<(const GemmInstance &o) const { return function < o.function; }
};

struct CpuEmitOptions {
  EmitTarget target = EmitTarget::Cpu;
  /// Cuda: the element type f32 values are stored in on the device
  /// ("bf16", "f16" or "f32"); math runs in f32 either way.
  std::string precision = "f32";
  /// Cuda: the architectures the kernels are compiled for ("sm_90a").
  std::vector<std::string> archs;
  /// The x86-64 level the CPU code (the model's and the kernels') is built
  /// for (kestrelc --cpu); recorded in the model and checked at open.
  runtime::CpuLevel cpuLevel = runtime::CpuLevel::V3;
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
  /// The element type each weight is stored in (its device precision for
  /// Cuda, else the source type), parallel to `weights`.
  std::vector<mlir::Type> weightTypes;
  BufferPlan plan;
  int64_t numKernelCalls = 0;
  /// Cuda: the GEMM instantiations `execute` calls.
  std::vector<GemmInstance> gemms;
  /// Cuda: kernels generated from fused_elementwise ops, as (launcher
  /// name, .cu source).
  std::vector<std::pair<std::string, std::string>> fusedKernels;
};

/// Emits the C++ of `module`'s @main into `source` and its header into
/// `header`. Errors are emitted on the offending op.
mlir::FailureOr<CpuEmitResult> emitCpuModel(mlir::ModuleOp module,
                                            const CpuEmitOptions &options,
                                            llvm::raw_ostream &source,
                                            llvm::raw_ostream &header);

/// The hash that ties a library to its weights file. It identifies the
/// architecture, not the parameters: the compiled module's text (every op,
/// type and shape, and each kestrel.weight's name, type and shape; weight
/// data is never in the IR, constants' data is elided and the source path
/// left out) and `target`, the backend and its storage precision ("cpu",
/// "cuda:bf16"). So weights from the ONNX model, from kestrel-pack or dummy
/// ones fit every library compiled from the same architecture for the same
/// target; the file's checksum guards the data and the runtime checks each
/// tensor's dtype and shape.
uint64_t modelHash(mlir::ModuleOp module, llvm::StringRef target);
/// The same over IR text printed by the caller.
uint64_t modelHash(llvm::StringRef irText, llvm::StringRef target);

/// Adds the data of the weights named in `names` (a CpuEmitResult's order)
/// to `writer`, each converted (runtime/WeightsConvert.h) to its entry of
/// `storedTypes` (parallel to `names`, e.g. CpuEmitResult::weightTypes; an
/// empty list or a null type keeps the declared type). False with `error`
/// naming a weight without data, with a type it cannot be stored in, or
/// with data the writer refuses. `bytes` accumulates the stored size.
bool addWeights(llvm::ArrayRef<std::string> names,
                llvm::ArrayRef<mlir::Type> storedTypes,
                const std::map<std::string, mlir::DenseElementsAttr> &weights,
                runtime::WeightsWriter &writer, uint64_t &bytes,
                std::string &error);
/// addWeights with every weight stored as declared.
bool addWeights(llvm::ArrayRef<std::string> names,
                const std::map<std::string, mlir::DenseElementsAttr> &weights,
                runtime::WeightsWriter &writer, uint64_t &bytes,
                std::string &error);

/// The weights manifest (NAME.kweights.json) of a compiled model: the
/// weights of `emitted`'s table in order, each with the type the weights
/// file stores it in (emitted.weightTypes, as addWeights writes them) and
/// the type and shape its kestrel.weight op declares in `module`.
mlir::FailureOr<runtime::WeightsManifest>
weightsManifest(mlir::ModuleOp module, const CpuEmitResult &emitted,
                llvm::StringRef name, uint64_t modelHash,
                llvm::StringRef source);

/// Row-major little-endian bytes of a dense attribute (i1 as one byte per
/// element, splats expanded), as the weights file and the runtime store
/// tensors.
std::vector<uint8_t> denseBytes(mlir::DenseElementsAttr attr);

} // namespace kestrel::codegen

#endif // KESTREL_CODEGEN_CPU_CPUEMITTER_H
