//===- NodeContext.cpp - What an ONNX op importer sees of its node --------===//

#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/OnnxModel.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace kestrel::onnx_frontend {

NodeContext::NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
                         int64_t opset, Location loc)
    : graph_(graph), node_(node), opset_(opset), loc_(loc) {}

OpBuilder &NodeContext::builder() { return graph_.builder; }
MLIRContext *NodeContext::context() { return &graph_.context; }

InFlightDiagnostic NodeContext::error() {
  InFlightDiagnostic diag = emitError(loc_);
  diag << node_.op_type() << ": ";
  return diag;
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

bool NodeContext::hasInput(unsigned i) const {
  return static_cast<int>(i) < node_.input_size() && !node_.input(i).empty();
}

Value NodeContext::input(unsigned i) const {
  return hasInput(i) ? graph_.values.lookup(node_.input(i)) : Value();
}

FailureOr<Value> NodeContext::requiredInput(unsigned i) {
  if (Value v = input(i))
    return v;
  return error() << "input " << i << " is required";
}

RankedTensorType NodeContext::inputType(unsigned i) const {
  Value v = input(i);
  return v ? cast<RankedTensorType>(v.getType()) : nullptr;
}

DenseElementsAttr NodeContext::constantInput(unsigned i) const {
  DenseElementsAttr attr;
  Value v = input(i);
  if (v && matchPattern(v, m_Constant(&attr)))
    return attr;
  return nullptr;
}

FailureOr<SmallVector<int64_t>> NodeContext::constantInts(unsigned i,
                                                          StringRef what) {
  if (!hasInput(i))
    return error() << what << " (input " << i << ") is required";
  DenseElementsAttr attr = constantInput(i);
  if (!attr || !isa<IntegerType>(attr.getElementType()))
    return error() << what << " (input " << i << ", '" << node_.input(i)
                   << "') must be a constant integer tensor; computing it at "
                      "run time is not supported";
  SmallVector<int64_t> out;
  for (const APInt &v : attr.getValues<APInt>())
    out.push_back(v.getSExtValue());
  return out;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node_.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

bool NodeContext::hasAttr(StringRef name) const { return attr(name); }

static const char *attrTypeName(int type) {
  switch (type) {
  case onnx::AttributeProto::FLOAT:
    return "float";
  case onnx::AttributeProto::INT:
    return "int";
  case onnx::AttributeProto::STRING:
    return "string";
  case onnx::AttributeProto::TENSOR:
    return "tensor";
  case onnx::AttributeProto::GRAPH:
    return "graph";
  case onnx::AttributeProto::FLOATS:
    return "floats";
  case onnx::AttributeProto::INTS:
    return "ints";
  case onnx::AttributeProto::STRINGS:
    return "strings";
  default:
    return "other";
  }
}

#define KESTREL_ATTR_GETTER(NAME, RET, ONNX_TYPE, EXPR)                        \
  FailureOr<RET> NodeContext::NAME(StringRef name, std::optional<RET> dflt) {  \
    const onnx::AttributeProto *a = attr(name);                                \
    if (!a) {                                                                  \
      if (dflt)                                                                \
        return *dflt;                                                          \
      return error() << "attribute '" << name << "' is required";              \
    }                                                                          \
    if (a->type() != onnx::AttributeProto::ONNX_TYPE)                          \
      return error() << "attribute '" << name << "' must be of type "          \
                     << attrTypeName(onnx::AttributeProto::ONNX_TYPE)          \
                     << ", got " << attrTypeName(a->type());                   \
    return EXPR;                                                               \
  }
KESTREL_ATTR_GETTER(intAttr, int64_t, INT, a->i())
KESTREL_ATTR_GETTER(floatAttr, float, FLOAT, a->f())
KESTREL_ATTR_GETTER(stringAttr, std::string, STRING, a->s())
KESTREL_ATTR_GETTER(intsAttr, SmallVector<int64_t>, INTS,
                    SmallVector<int64_t>(a->ints().begin(), a->ints().end()))
#undef KESTREL_ATTR_GETTER

LogicalResult NodeContext::optionalFloatAttr(StringRef name,
                                             std::optional<float> &out,
                                             std::optional<float> ignoreValue) {
  out.reset();
  if (!hasAttr(name))
    return success();
  FailureOr<float> value = floatAttr(name, std::nullopt);
  if (failed(value))
    return failure();
  if (!ignoreValue || *value != *ignoreValue)
    out = *value;
  return success();
}

LogicalResult NodeContext::checkShapeOperandLength(int64_t length,
                                                   StringRef what) {
  if (length <= kMaxShapeOperandLength)
    return success();
  return error() << what << " has " << length
                 << " entries: Kestrel supports results of rank up to "
                 << kMaxShapeOperandLength;
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank,
                                              StringRef what) {
  if (axis < -rank || axis >= rank)
    return error() << what << " " << axis << " is out of range for rank "
                   << rank;
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Outputs
//===----------------------------------------------------------------------===//

bool NodeContext::wantsOutput(unsigned i) const {
  return static_cast<int>(i) < node_.output_size() && !node_.output(i).empty();
}

LogicalResult NodeContext::setOutput(unsigned i, Value value) {
  if (!wantsOutput(i))
    return success();
  const std::string &name = node_.output(i);
  auto type = cast<RankedTensorType>(value.getType());
  if (RankedTensorType declared = graph_.declaredType(name)) {
    RankedTensorType joined = joinTensorTypes(type, declared);
    if (!joined && declared.getElementType() != type.getElementType())
      return error() << "ONNX declares output '" << name << "' as " << declared
                     << ", but the node computes " << type
                     << " (inconsistent element types)";
    // A declared shape that disagrees with the node's is a stale hint (ONNX
    // Runtime merges such shapes leniently and warns): the node decides.
    if (!joined) {
      emitWarning(loc_) << node_.op_type() << ": ONNX declares output '" << name
                        << "' as " << declared << ", but the node computes "
                        << type << "; using the node's shape";
      joined = type;
    }
    // Take static sizes ONNX knows and the shape rules do not (but not
    // what a NonZero's count decides: a declared one holds for one input's
    // values only).
    if (joined != type && value.getDefiningOp() &&
        isa<KestrelDialect>(value.getDefiningOp()->getDialect()) &&
        !isa<ConstantOp, WeightOp>(value.getDefiningOp()) &&
        !graph_.readsNonZero(value.getDefiningOp()))
      value.setType(joined);
  }
  graph_.values[name] = value;
  return success();
}

LogicalResult NodeContext::rejectOutputsFrom(unsigned first, StringRef why) {
  for (unsigned i = first; i < numOutputs(); ++i)
    if (wantsOutput(i))
      return error() << "output " << i << " ('" << node_.output(i)
                     << "') is not supported: " << why;
  return success();
}

//===----------------------------------------------------------------------===//
// Op creation
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<Value>> NodeContext::finish(Operation *op) {
  builder().insert(op);
  // Shape rules follow the operands' sizes; a malformed model can make
  // them multiply past what any tensor holds (checked before the verifier,
  // which counts elements).
  for (Type type : op->getResultTypes())
    if (auto ranked = dyn_cast<RankedTensorType>(type);
        ranked && !staticElementCount(ranked.getShape())) {
      op->erase();
      return error() << "the result " << type
                     << " has more elements than a 64-bit count holds";
    }
  if (failed(verify(op))) {
    op->erase();
    return failure();
  }
  SmallVector<OpFoldResult> folded;
  if (succeeded(op->fold(folded)) && !folded.empty()) {
    SmallVector<Value> results;
    for (auto [result, f] : llvm::zip_equal(op->getResults(), folded)) {
      if (auto v = dyn_cast<Value>(f)) {
        results.push_back(v);
        continue;
      }
      auto attr = dyn_cast<DenseElementsAttr>(cast<Attribute>(f));
      if (!attr || attr.getType() != result.getType()) {
        results.push_back(result);
        continue;
      }
      results.push_back(constant(attr));
    }
    bool replaced =
        llvm::all_of(llvm::zip_equal(op->getResults(), results),
                     [](auto p) { return std::get<0>(p) != std::get<1>(p); });
    if (replaced) {
      op->erase();
      return results;
    }
  }
  return SmallVector<Value>(op->getResults());
}

FailureOr<SmallVector<Value>>
NodeContext::createInferred(StringRef opName, ValueRange operands,
                            ArrayRef<NamedAttribute> attrs,
                            unsigned numResults) {
  OperationState state(loc_, opName);
  state.addOperands(operands);
  state.addAttributes(attrs);
  state.addTypes(SmallVector<Type>(numResults, NoneType::get(context())));
  Operation *op = Operation::create(state);
  auto infer = dyn_cast<InferTypeOpInterface>(op);
  SmallVector<Type> types;
  if (!infer ||
      failed(infer.inferReturnTypes(
          context(), loc_, op->getOperands(), op->getRawDictionaryAttrs(),
          op->getPropertiesStorage(), op->getRegions(), types)) ||
      types.size() != numResults) {
    op->destroy();
    return failure();
  }
  for (auto [result, type] : llvm::zip_equal(op->getResults(), types))
    result.setType(type);
  return finish(op);
}

FailureOr<SmallVector<Value>>
NodeContext::createTyped(StringRef opName, TypeRange resultTypes,
                         ValueRange operands, ArrayRef<NamedAttribute> attrs) {
  OperationState state(loc_, opName);
  state.addOperands(operands);
  state.addAttributes(attrs);
  state.addTypes(resultTypes);
  return finish(Operation::create(state));
}

FailureOr<DenseElementsAttr>
NodeContext::decodeTensor(const onnx::TensorProto &tensor) {
  return graph_.decodeTensor(tensor, loc_);
}

FailureOr<Value> NodeContext::importTensor(const onnx::TensorProto &tensor,
                                           StringRef name) {
  return graph_.importTensor(tensor, name, loc_);
}

FailureOr<const onnx::TensorProto *>
NodeContext::rawInitializer(unsigned i, StringRef what) {
  if (!hasInput(i))
    return error() << what << " (input " << i << ") is required";
  std::string name = node_.input(i);
  if (auto alias = graph_.rawAliases.find(name);
      alias != graph_.rawAliases.end())
    name = alias->second.initializer;
  const onnx::TensorProto *t = graph_.initializer(name);
  if (!t || !graph_.rawInitializers.contains(name))
    return error() << what << " (input " << i << ", '" << node_.input(i)
                   << "') must be an initializer used only by quantized ops";
  if (graph_.skipsData(*t))
    return error() << what << " ('" << node_.input(i)
                   << "') is in external data, which --no-weight-data does "
                      "not read; its weights are dequantized at compile time";
  return t;
}

SmallVector<int64_t> NodeContext::rawInputShape(unsigned i) const {
  if (auto alias = graph_.rawAliases.find(node_.input(i));
      alias != graph_.rawAliases.end())
    return {alias->second.rows, alias->second.columns};
  SmallVector<int64_t> dims;
  if (const onnx::TensorProto *t = graph_.initializer(node_.input(i)))
    dims.assign(t->dims().begin(), t->dims().end());
  return dims;
}

FailureOr<std::string> NodeContext::uint8Initializer(unsigned i,
                                                     StringRef what) {
  FailureOr<const onnx::TensorProto *> t = rawInitializer(i, what);
  if (failed(t))
    return failure();
  return graph_.uint8Data(**t, loc_);
}

FailureOr<std::vector<float>> NodeContext::floatInitializer(unsigned i,
                                                            StringRef what) {
  FailureOr<const onnx::TensorProto *> t = rawInitializer(i, what);
  if (failed(t))
    return failure();
  FailureOr<DenseElementsAttr> data = graph_.decodeTensor(**t, loc_);
  if (failed(data))
    return failure();
  if (!isa<FloatType>(data->getElementType()))
    return error() << what << " ('" << node_.input(i)
                   << "') must be a float tensor";
  std::vector<float> out;
  out.reserve(size_t(data->getNumElements()));
  for (APFloat v : data->getValues<APFloat>()) {
    bool lost;
    v.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
              &lost);
    out.push_back(v.convertToFloat());
  }
  return out;
}

FailureOr<std::vector<double>>
NodeContext::quantizedInitializer(unsigned i, StringRef what) {
  FailureOr<const onnx::TensorProto *> t = rawInitializer(i, what);
  if (failed(t))
    return failure();
  return graph_.quantizedData(**t, loc_);
}

std::optional<std::vector<double>> NodeContext::knownValues(Value v) {
  DenseElementsAttr data;
  if (!matchPattern(v, m_Constant(&data))) {
    auto weight = v.getDefiningOp<WeightOp>();
    const onnx::TensorProto *t =
        weight ? graph_.initializer(weight.getName()) : nullptr;
    if (!t || graph_.skipsData(*t))
      return std::nullopt;
    FailureOr<DenseElementsAttr> decoded = graph_.decodeTensor(*t, loc_);
    if (failed(decoded))
      return std::nullopt;
    data = *decoded;
  }
  if (!isa<FloatType>(data.getElementType()))
    return std::nullopt;
  std::vector<double> values;
  values.reserve(size_t(data.getNumElements()));
  for (const APFloat &f : data.getValues<APFloat>())
    values.push_back(f.convertToDouble());
  return values;
}

int64_t NodeContext::onnxUses(StringRef name) const {
  return graph_.readers(name);
}

FailureOr<SmallVector<Value>>
NodeContext::importSubgraph(const onnx::GraphProto &graph) {
  return graph_.importSubgraph(graph, loc_);
}

bool NodeContext::isRawInitializer(unsigned i) const {
  if (!hasInput(i))
    return false;
  std::string name = node_.input(i);
  if (auto alias = graph_.rawAliases.find(name);
      alias != graph_.rawAliases.end())
    name = alias->second.initializer;
  return graph_.rawInitializers.contains(name);
}

void NodeContext::markQuantized(unsigned i, StringRef type) {
  graph_.quantizedValues[node_.output(i)] = type.str();
}

Value NodeContext::derivedWeight(StringRef name, DenseElementsAttr data) {
  return graph_.derivedWeight(name, data, loc_);
}

Value NodeContext::constant(DenseElementsAttr value) {
  return ConstantOp::create(builder(), loc_, value).getResult();
}

Value NodeContext::constantI64(ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    builder().getI64Type());
  return constant(DenseElementsAttr::get(type, values));
}

Value NodeContext::scalar(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  if (auto f = dyn_cast<FloatType>(elementType)) {
    APFloat v(value);
    bool lost = false;
    v.convert(f.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return constant(DenseElementsAttr::get(type, v));
  }
  return constant(DenseElementsAttr::get(
      type, APInt(elementType.getIntOrFloatBitWidth(),
                  static_cast<int64_t>(value), /*isSigned=*/true)));
}

FailureOr<Value> NodeContext::dimScalar(Value value, int64_t dim) {
  auto type = cast<RankedTensorType>(value.getType());
  Type i64 = builder().getI64Type();
  if (!type.isDynamicDim(dim))
    return scalar(i64, type.getDimSize(dim));
  FailureOr<Value> shape = create<ShapeOfOp>(value);
  if (failed(shape))
    return failure();
  return create<GatherOp>({*shape, scalar(i64, dim)}, {namedI64("axis", 0)});
}

FailureOr<Value> NodeContext::reshapeTo(Value value, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  return createWithType<ReshapeOp>(type.clone(shape), value);
}

FailureOr<Value> NodeContext::castTo(Value value, Type element) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == element)
    return value;
  return createWithType<CastOp>(type.clone(element), value);
}

FailureOr<Value> NodeContext::transpose(Value value, ArrayRef<int64_t> perm) {
  return create<TransposeOp>(value, {namedI64Array("permutation", perm)});
}

FailureOr<Value> NodeContext::reshapeMapped(Value value, ArrayRef<int64_t> dims,
                                            ArrayRef<int64_t> source) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape;
  for (auto [d, s] : llvm::zip_equal(dims, source))
    shape.push_back(s >= 0 ? type.getDimSize(s) : d);
  if (llvm::count(shape, ShapedType::kDynamic) <= 1)
    return reshapeTo(value, shape);
  // Dynamic dims that keep their index are copied by a 0 entry (ONNX
  // Reshape semantics): the shape operand is then a constant.
  bool inPlace = true;
  SmallVector<int64_t> entries;
  for (auto [i, d, s] : llvm::enumerate(dims, source)) {
    bool dynamic = s >= 0 && type.isDynamicDim(s);
    inPlace &= !dynamic || s == static_cast<int64_t>(i);
    entries.push_back(dynamic ? 0 : shape[i]);
  }
  if (inPlace)
    return createWithType<ReshapeOp>(type.clone(shape),
                                     {value, constantI64(entries)});
  FailureOr<Value> shapeOf = create<ShapeOfOp>(value);
  if (failed(shapeOf))
    return failure();
  SmallVector<Value> parts;
  for (auto [d, s] : llvm::zip_equal(dims, source)) {
    if (s < 0) {
      parts.push_back(constantI64({d}));
      continue;
    }
    FailureOr<Value> dim =
        create<GatherOp>({*shapeOf, constantI64({s})}, {namedI64("axis", 0)});
    if (failed(dim))
      return failure();
    parts.push_back(*dim);
  }
  FailureOr<Value> shapeValue = create<ConcatOp>(parts, {namedI64("axis", 0)});
  if (failed(shapeValue))
    return failure();
  return createWithType<ReshapeOp>(type.clone(shape), {value, *shapeValue});
}

FailureOr<Value> NodeContext::unsqueeze(Value value, ArrayRef<int64_t> axes) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank() + axes.size();
  SmallVector<int64_t> dims, source;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d) {
    bool inserted = llvm::is_contained(axes, d);
    dims.push_back(1);
    source.push_back(inserted ? -1 : next++);
  }
  // Repeated or out-of-range axes (a malformed model's operand of an
  // unexpected rank) leave dims of the value unmapped or map past them.
  if (next != type.getRank())
    return error() << "cannot insert axes ["
                   << llvm::make_range(axes.begin(), axes.end())
                   << "] into a value of type " << type;
  return reshapeMapped(value, dims, source);
}

NamedAttribute NodeContext::namedI64(StringRef name, int64_t v) {
  return builder().getNamedAttr(name, builder().getI64IntegerAttr(v));
}
NamedAttribute NodeContext::namedBool(StringRef name, bool v) {
  return builder().getNamedAttr(name, builder().getBoolAttr(v));
}
NamedAttribute NodeContext::namedF32(StringRef name, float v) {
  return builder().getNamedAttr(name, builder().getF32FloatAttr(v));
}
NamedAttribute NodeContext::namedI64Array(StringRef name, ArrayRef<int64_t> v) {
  return builder().getNamedAttr(name, builder().getDenseI64ArrayAttr(v));
}

/// The float values of `w` as a tensor of `type` (f32 or narrower).
DenseElementsAttr floatData(RankedTensorType type, ArrayRef<float> w) {
  auto element = cast<FloatType>(type.getElementType());
  if (element.isF32())
    return DenseElementsAttr::get(type, w);
  SmallVector<APFloat> converted;
  converted.reserve(w.size());
  for (float v : w) {
    APFloat f(v);
    bool lost;
    f.convert(element.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    converted.push_back(f);
  }
  return DenseElementsAttr::get(type, converted);
}

} // namespace kestrel::onnx_frontend
