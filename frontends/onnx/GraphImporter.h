//===- GraphImporter.h - State of one ONNX graph import ---------*- C++ -*-===//
//
// Internal to the importer: the value map, the declared types and the op
// registry that NodeContext works against.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_FRONTENDS_ONNX_GRAPHIMPORTER_H
#define KESTREL_FRONTENDS_ONNX_GRAPHIMPORTER_H

#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <optional>

namespace kestrel::onnx_frontend {

/// The MLIR element type of an ONNX TensorProto data type, or null when
/// Kestrel does not support it.
mlir::Type convertElementType(mlir::MLIRContext *context, int32_t onnxType);
/// The ONNX name of a TensorProto data type ("FLOAT", "DOUBLE", ...).
std::string onnxTypeName(int32_t onnxType);

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext &context, onnx::ModelProto &model,
                llvm::StringRef path, const ImportOptions &options);

  mlir::OwningOpRef<mlir::ModuleOp> run();

  mlir::MLIRContext &context;
  mlir::OpBuilder builder;
  llvm::StringMap<mlir::Value> values;
  /// Initializers that ops read themselves (quantized weights, their scales
  /// and zero points) rather than as imported values.
  llvm::StringSet<> rawInitializers;
  /// Outputs of the Reshapes of raw initializers that are skipped (only
  /// ops reading raw data use them): the initializer and the 2-D shape.
  struct RawAlias {
    std::string initializer;
    int64_t rows = 0, columns = 0;
  };
  llvm::StringMap<RawAlias> rawAliases;
  llvm::SmallPtrSet<const onnx::NodeProto *, 4> skippedNodes;
  /// QuantizeLinear outputs: float values holding the integers of the ONNX
  /// type named here (Kestrel keeps no 8- or 16-bit integer tensors), which
  /// only DequantizeLinear may read.
  llvm::StringMap<std::string> quantizedValues;
  llvm::DenseMap<mlir::Operation *, bool> nonZeroReaders;

  /// The type ONNX declares for `name` (graph input/output or value_info),
  /// or null when it declares no ranked tensor type.
  mlir::RankedTensorType declaredType(llvm::StringRef name) const;

  /// Whether `op` reads, directly or through the ops before it, a
  /// kestrel.nonzero's result: the sizes that count decides are known only
  /// at run time, whatever the file declares (memoized).
  bool readsNonZero(mlir::Operation *op);

  /// Rewrites the model's nodes in `order` (from sortNodes); every
  /// pointer into the old node list is invalid after it.
  void sortModelNodes(llvm::ArrayRef<const onnx::NodeProto *> order);

  /// The importer of (domain, op) at `opset`, or null.
  const OpEntry *lookup(llvm::StringRef domain, llvm::StringRef opType) const;

  /// The type of a tensor literal (its element type and dims); emits an
  /// error at `loc` and fails for an unsupported type or a negative dim.
  mlir::FailureOr<mlir::RankedTensorType>
  tensorType(const onnx::TensorProto &tensor, mlir::Location loc);
  /// Tensor data (inline, typed fields or external) as a dense attribute;
  /// emits an error at `loc` and fails when it is malformed.
  mlir::FailureOr<mlir::DenseElementsAttr>
  decodeTensor(const onnx::TensorProto &tensor, mlir::Location loc);
  /// A tensor literal as a kestrel.constant (small) or kestrel.weight.
  mlir::FailureOr<mlir::Value> importTensor(const onnx::TensorProto &tensor,
                                            llvm::StringRef name,
                                            mlir::Location loc);

  /// The initializer named `name`, or null.
  const onnx::TensorProto *initializer(llvm::StringRef name) const;
  /// The bytes of a UINT8 tensor literal (raw, external or int32_data);
  /// emits an error at `loc` and fails when it is malformed or not UINT8.
  mlir::FailureOr<std::string> uint8Data(const onnx::TensorProto &tensor,
                                         mlir::Location loc);
  /// The values of an integer or FP8 tensor literal (INT4 to INT32, UINT4
  /// to UINT16, the FLOAT8 types) as doubles, for dequantizing at import;
  /// emits an error at `loc` and fails for another type or malformed data.
  mlir::FailureOr<std::vector<double>>
  quantizedData(const onnx::TensorProto &tensor, mlir::Location loc);
  /// A kestrel.weight named `name` holding `data`, computed at import
  /// (e.g. dequantized weights); its data goes where initializers' go.
  mlir::Value derivedWeight(llvm::StringRef name, mlir::DenseElementsAttr data,
                            mlir::Location loc);
  /// True when the import runs without weight data (kestrelc
  /// --no-weight-data) and `tensor`'s data is in an external file.
  bool skipsData(const onnx::TensorProto &tensor) const;

  mlir::Location fileLoc() const;
  /// Imports one node at `loc`: its importer (an error for an unsupported
  /// op or opset, an undefined input or an output the importer did not
  /// set).
  mlir::LogicalResult importNode(const onnx::NodeProto &node,
                                 mlir::Location loc);
  /// Imports a branch of If inline (its initializers and nodes, reading
  /// outer values by name); returns its outputs.
  mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  importSubgraph(const onnx::GraphProto &graph, mlir::Location loc);
  mlir::Location nodeLoc(const onnx::NodeProto &node, int index) const;
  /// How many node inputs (in the graph and its subgraphs) and graph
  /// outputs name `value`.
  int64_t readers(llvm::StringRef value);

private:
  mlir::RankedTensorType convertType(const onnx::TypeProto &type) const;
  mlir::LogicalResult checkOpsSupported();
  mlir::FailureOr<std::vector<const onnx::NodeProto *>> sortNodes();

  onnx::ModelProto &model;
  const ImportOptions &options;
  std::string path, dir;
  llvm::StringMap<const onnx::TypeProto *> declared;
  llvm::StringMap<const onnx::TensorProto *> initializers;
  llvm::StringMap<int64_t> opsets;
  llvm::StringMap<OpEntry> registry;
  llvm::DenseMap<const onnx::NodeProto *, int> nodeIndex;
  /// readers(), counted on first use.
  std::optional<llvm::StringMap<int64_t>> readerCounts;
};

} // namespace kestrel::onnx_frontend

#endif // KESTREL_FRONTENDS_ONNX_GRAPHIMPORTER_H
