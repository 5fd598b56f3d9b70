//===- NodeContext.h - An ONNX op importer's view of its node ---*- C++ -*-===//
//
// Each ONNX op is imported by one function taking a NodeContext: typed
// access to the node's inputs, constant inputs and attributes (with errors
// naming the node), and op creation that infers result types, checks them
// against what ONNX declares, verifies and folds.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_FRONTENDS_ONNX_NODECONTEXT_H
#define KESTREL_FRONTENDS_ONNX_NODECONTEXT_H

#include "dialects/kestrel/IR/KestrelOps.h"
#include "dialects/kestrel/IR/OpDiagnostics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringMap.h"

#include <optional>

namespace kestrel::onnx_frontend {

class GraphImporter;

class NodeContext {
public:
  NodeContext(GraphImporter &graph, const onnx::NodeProto &node, int64_t opset,
              mlir::Location loc);

  const onnx::NodeProto &node() const { return node_; }
  llvm::StringRef opType() const { return node_.op_type(); }
  int64_t opset() const { return opset_; }
  mlir::Location loc() const { return loc_; }
  mlir::OpBuilder &builder();
  mlir::MLIRContext *context();

  /// An error at this node, prefixed with the op type.
  mlir::InFlightDiagnostic error();

  //===--------------------------------------------------------------------===//
  // Inputs
  //===--------------------------------------------------------------------===//

  /// Number of inputs, optional trailing ones included.
  unsigned numInputs() const { return node_.input_size(); }
  /// True when input `i` is given (present and not the empty name).
  bool hasInput(unsigned i) const;
  /// Input `i`, or null when absent.
  mlir::Value input(unsigned i) const;
  /// Input `i`; an error when absent.
  mlir::FailureOr<mlir::Value> requiredInput(unsigned i);
  mlir::RankedTensorType inputType(unsigned i) const;
  /// The integer entries of constant input `i`; an error naming `what` when
  /// it is absent or not a constant.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  constantInts(unsigned i, llvm::StringRef what);
  /// The constant value of input `i`, if it is one.
  mlir::DenseElementsAttr constantInput(unsigned i) const;

  //===--------------------------------------------------------------------===//
  // Attributes (an error when present with the wrong type)
  //===--------------------------------------------------------------------===//

  bool hasAttr(llvm::StringRef name) const;
  mlir::FailureOr<int64_t> intAttr(llvm::StringRef name,
                                   std::optional<int64_t> dflt);
  mlir::FailureOr<float> floatAttr(llvm::StringRef name,
                                   std::optional<float> dflt);
  mlir::FailureOr<std::string> stringAttr(llvm::StringRef name,
                                          std::optional<std::string> dflt);
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  intsAttr(llvm::StringRef name,
           std::optional<llvm::SmallVector<int64_t>> dflt);
  /// A float attribute that may be absent: `out` is empty when it is absent
  /// or equals `ignoreValue`.
  mlir::LogicalResult
  optionalFloatAttr(llvm::StringRef name, std::optional<float> &out,
                    std::optional<float> ignoreValue = std::nullopt);
  const onnx::AttributeProto *attr(llvm::StringRef name) const;

  /// An error unless a shape operand of `length` entries (`what`, whose
  /// length is the result's rank) is at most kMaxShapeOperandLength long.
  mlir::LogicalResult checkShapeOperandLength(int64_t length,
                                              llvm::StringRef what);

  /// `axis` in [-rank, rank) normalized to [0, rank); an error otherwise.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                         llvm::StringRef what = "axis");

  //===--------------------------------------------------------------------===//
  // Outputs
  //===--------------------------------------------------------------------===//

  unsigned numOutputs() const { return node_.output_size(); }
  /// True when output `i` exists and is used (has a non-empty name).
  bool wantsOutput(unsigned i) const;
  /// Binds output `i`; checks `value` against the type ONNX declares.
  mlir::LogicalResult setOutput(unsigned i, mlir::Value value);
  /// An error when any output from `first` on is requested.
  mlir::LogicalResult rejectOutputsFrom(unsigned first, llvm::StringRef why);

  //===--------------------------------------------------------------------===//
  // Op creation
  //===--------------------------------------------------------------------===//

  /// Creates an op whose result types its shape rules infer; verifies and
  /// folds it. Fails (with the rule's diagnostic) on invalid operands.
  mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  createInferred(llvm::StringRef opName, mlir::ValueRange operands,
                 llvm::ArrayRef<mlir::NamedAttribute> attrs = {},
                 unsigned numResults = 1);
  template <typename OpTy>
  mlir::FailureOr<mlir::Value>
  create(mlir::ValueRange operands,
         llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    auto values = createInferred(OpTy::getOperationName(), operands, attrs);
    if (mlir::failed(values))
      return mlir::failure();
    return values->front();
  }
  /// Creates an op with the given result types; verifies and folds it.
  mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  createTyped(llvm::StringRef opName, mlir::TypeRange resultTypes,
              mlir::ValueRange operands,
              llvm::ArrayRef<mlir::NamedAttribute> attrs = {});
  template <typename OpTy>
  mlir::FailureOr<mlir::Value>
  createWithType(mlir::Type resultType, mlir::ValueRange operands,
                 llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    auto values =
        createTyped(OpTy::getOperationName(), resultType, operands, attrs);
    if (mlir::failed(values))
      return mlir::failure();
    return values->front();
  }

  /// Tensor data given as an attribute (Constant, ConstantOfShape).
  mlir::FailureOr<mlir::DenseElementsAttr>
  decodeTensor(const onnx::TensorProto &tensor);
  /// A tensor literal as a constant (small) or weight (model data).
  mlir::FailureOr<mlir::Value> importTensor(const onnx::TensorProto &tensor,
                                            llvm::StringRef name);

  /// A kestrel.constant.
  mlir::Value constant(mlir::DenseElementsAttr value);
  mlir::Value constantI64(llvm::ArrayRef<int64_t> values);
  /// A rank-0 constant of `elementType` holding `value`.
  mlir::Value scalar(mlir::Type elementType, double value);

  /// Dimension `dim` of `value` as a rank-0 i64 tensor: a constant when
  /// static, shape_of + gather otherwise.
  mlir::FailureOr<mlir::Value> dimScalar(mlir::Value value, int64_t dim);

  /// Helpers used by many importers.
  mlir::FailureOr<mlir::Value> reshapeTo(mlir::Value value,
                                         llvm::ArrayRef<int64_t> shape);
  mlir::FailureOr<mlir::Value> castTo(mlir::Value value, mlir::Type element);
  mlir::FailureOr<mlir::Value> transpose(mlir::Value value,
                                         llvm::ArrayRef<int64_t> perm);
  /// A reshape whose result dim i is input dim `source[i]` when that is >= 0
  /// and the static size `dims[i]` otherwise; several dynamic dims are
  /// passed through a run-time shape operand.
  mlir::FailureOr<mlir::Value> reshapeMapped(mlir::Value value,
                                             llvm::ArrayRef<int64_t> dims,
                                             llvm::ArrayRef<int64_t> source);
  /// Inserts size-1 dims at the (normalized, sorted) result `axes`.
  mlir::FailureOr<mlir::Value> unsqueeze(mlir::Value value,
                                         llvm::ArrayRef<int64_t> axes);
  /// Quantized weights: input `i` as an initializer the op reads itself
  /// (GraphImporter::rawInitializers); an error naming `what` when it is
  /// not one.
  mlir::FailureOr<const onnx::TensorProto *>
  rawInitializer(unsigned i, llvm::StringRef what);
  /// Its shape as the op sees it (a skipped Reshape's, for an alias).
  llvm::SmallVector<int64_t> rawInputShape(unsigned i) const;
  /// Its bytes, when it is UINT8.
  mlir::FailureOr<std::string> uint8Initializer(unsigned i,
                                                llvm::StringRef what);
  /// Its values as f32, when it is a float tensor.
  mlir::FailureOr<std::vector<float>> floatInitializer(unsigned i,
                                                       llvm::StringRef what);
  /// Its values as doubles, when it holds quantized values (integers or
  /// FLOAT8: GraphImporter::quantizedData).
  mlir::FailureOr<std::vector<double>>
  quantizedInitializer(unsigned i, llvm::StringRef what);
  /// Whether input `i` is a raw initializer (read by rawInitializer).
  bool isRawInitializer(unsigned i) const;
  /// Records output `i` as a QuantizeLinear result holding `type`'s
  /// integers (GraphImporter::quantizedValues).
  void markQuantized(unsigned i, llvm::StringRef type);
  /// The values of `v` when it is a kestrel.constant or the kestrel.weight
  /// of an initializer whose data the import reads; none otherwise.
  std::optional<std::vector<double>> knownValues(mlir::Value v);
  /// How many nodes of the graph (and graph outputs) read value `name`.
  int64_t onnxUses(llvm::StringRef name) const;
  /// Imports `graph` (an If branch) inline; its outputs.
  mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  importSubgraph(const onnx::GraphProto &graph);
  /// A weight computed at import (GraphImporter::derivedWeight).
  mlir::Value derivedWeight(llvm::StringRef name, mlir::DenseElementsAttr data);

  /// `kestrel.attr` helpers.
  mlir::NamedAttribute namedI64(llvm::StringRef name, int64_t v);
  mlir::NamedAttribute namedBool(llvm::StringRef name, bool v);
  mlir::NamedAttribute namedF32(llvm::StringRef name, float v);
  mlir::NamedAttribute namedI64Array(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> v);

private:
  mlir::FailureOr<llvm::SmallVector<mlir::Value>> finish(mlir::Operation *op);

  GraphImporter &graph_;
  const onnx::NodeProto &node_;
  int64_t opset_;
  mlir::Location loc_;
};

/// An ONNX op importer.
using ImportFn = mlir::LogicalResult (*)(NodeContext &);

struct OpEntry {
  const char *domain; ///< "" for the default ONNX domain
  const char *opType;
  int64_t minOpset; ///< first opset whose semantics the importer implements
  ImportFn fn;
  const char *notes; ///< limits, for docs/onnx-support.md
  /// Bit i set: input i is an initializer the importer reads itself
  /// (quantized weights, their scales and zero points) rather than a value
  /// (NodeContext::rawInitializer).
  unsigned rawInputs = 0;
};

/// The float values of `w` as a tensor of `type` (f32 or narrower).
mlir::DenseElementsAttr floatData(mlir::RankedTensorType type,
                                  llvm::ArrayRef<float> w);

/// Appends the importers of one op family.
void registerMathOps(std::vector<OpEntry> &ops);
void registerNNOps(std::vector<OpEntry> &ops);
void registerTensorOps(std::vector<OpEntry> &ops);
void registerAttentionOps(std::vector<OpEntry> &ops);
void registerContribOps(std::vector<OpEntry> &ops);
void registerQuantOps(std::vector<OpEntry> &ops);

} // namespace kestrel::onnx_frontend

#endif // KESTREL_FRONTENDS_ONNX_NODECONTEXT_H
