//===- OnnxImporter.h - ONNX to kestrel dialect importer --------*- C++ -*-===//
//
// Imports an ONNX model (opset 13 and newer, plus the com.microsoft LLM
// ops) into a module holding one func.func @main in the kestrel dialect.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_FRONTENDS_ONNX_ONNXIMPORTER_H
#define KESTREL_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace kestrel::onnx_frontend {

/// Oldest and newest default-domain opsets the importer accepts.
constexpr int64_t kMinOnnxOpset = 13;
constexpr int64_t kMaxOnnxOpset = 28;

struct ImportOptions {
  /// Run libonnx's shape inference first (only when it knows the opset).
  bool onnxShapeInference = true;
  /// Static shapes for graph inputs (by name), replacing their dynamic dims;
  /// a static dim must match the one the model declares.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Called with the data of every tensor imported as a kestrel.weight (by
  /// the weight's name), e.g. to write the weights file.
  std::function<void(llvm::StringRef name, mlir::DenseElementsAttr data)>
      onWeight;
  /// Do not read initializers kept in external data files (kestrelc
  /// --no-weight-data, for models whose data is absent or too large to
  /// hold): they import as kestrel.weight ops of their declared type and
  /// shape, without onWeight. Small ones that would become constants are
  /// still read when their file is there, so the IR (and the model hash)
  /// is the one a compile with the data gives.
  bool skipExternalWeightData = false;
};

/// One row of the op histogram.
struct OpCount {
  std::string domain;
  std::string opType;
  int64_t opset;
  int64_t count;
};

/// The (domain, op, opset) histogram of `model`'s graph.
std::vector<OpCount> collectOpStats(const onnx::ModelProto &model);

/// One supported op: its domain, type, first supported opset and limits.
struct SupportedOp {
  std::string domain;
  std::string opType;
  int64_t minOpset;
  std::string notes;
};
std::vector<SupportedOp> supportedOps();

/// Loads `path` and imports it. Problems are reported as MLIR diagnostics
/// (located at the node, `NameLoc(node, path)`); returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(mlir::MLIRContext &context,
                                                 llvm::StringRef path,
                                                 const ImportOptions &options);

/// Imports an already parsed model; `path` names it in diagnostics and
/// locates external data.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxModel(mlir::MLIRContext &context,
                                                  onnx::ModelProto &model,
                                                  llvm::StringRef path,
                                                  const ImportOptions &options);

} // namespace kestrel::onnx_frontend

#endif // KESTREL_FRONTENDS_ONNX_ONNXIMPORTER_H
