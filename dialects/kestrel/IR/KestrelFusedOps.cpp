//===- KestrelFusedOps.cpp - Norms, rope, attention, fused_elementwise ----===//
//
// Inference and verifiers of the fused kestrel ops.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelOps.h"
#include "dialects/kestrel/IR/OpDiagnostics.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace kestrel;

static bool compatibleSizes(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

//===----------------------------------------------------------------------===//
// RmsNormOp, LayerNormOp and their add-norm forms
//===----------------------------------------------------------------------===//

/// A norm's parameter (`weight`, `scale`, `bias`) has exactly the normalized
/// dimensions `input.shape[axis:]`.
static LogicalResult inferNorm(std::optional<Location> location,
                               StringRef opName, Value input, int64_t axis,
                               float epsilon,
                               ArrayRef<std::pair<StringRef, Value>> params,
                               SmallVectorImpl<Type> &types) {
  auto type = cast<RankedTensorType>(input.getType());
  if (failed(checkAxis(location, opName, "axis", axis, type.getRank())))
    return failure();
  if (!(epsilon >= 0.0f))
    return inferError(location, opName)
           << "epsilon must be non-negative, got " << epsilon;
  ArrayRef<int64_t> normalized = type.getShape().drop_front(axis);
  for (auto [name, value] : params) {
    if (!value)
      continue;
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(value.getType()).getShape();
    if (shape.size() != normalized.size() ||
        !llvm::all_of(llvm::zip_equal(shape, normalized), [](auto pair) {
          return compatibleSizes(std::get<0>(pair), std::get<1>(pair));
        }))
      return inferError(location, opName)
             << name << " has shape " << formatShape(shape)
             << ", expected the normalized shape " << formatShape(normalized);
  }
  types.push_back(type);
  return success();
}

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> location,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferNorm(location, getOperationName(), adaptor.getInput(),
                   adaptor.getAxis(), adaptor.getEpsilon().convertToFloat(),
                   {{"weight", adaptor.getWeight()}}, types);
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferNorm(location, getOperationName(), adaptor.getInput(),
                   adaptor.getAxis(), adaptor.getEpsilon().convertToFloat(),
                   {{"scale", adaptor.getScale()}, {"bias", adaptor.getBias()}},
                   types);
}

/// The add-norm ops: `residual` has the shape of `input`, and both results
/// have the input's type.
static LogicalResult inferAddNorm(std::optional<Location> location,
                                  StringRef opName, Value input, Value residual,
                                  int64_t axis, float epsilon,
                                  ArrayRef<std::pair<StringRef, Value>> params,
                                  SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(input.getType()).getShape();
  ArrayRef<int64_t> residualShape =
      cast<RankedTensorType>(residual.getType()).getShape();
  if (shape.size() != residualShape.size() ||
      !llvm::all_of(llvm::zip_equal(shape, residualShape), [](auto pair) {
        return compatibleSizes(std::get<0>(pair), std::get<1>(pair));
      }))
    return inferError(location, opName)
           << "residual has shape " << formatShape(residualShape)
           << ", expected the input's shape " << formatShape(shape);
  if (failed(inferNorm(location, opName, input, axis, epsilon, params, types)))
    return failure();
  types.push_back(types.back());
  return success();
}

LogicalResult AddRmsNormOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> location,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferAddNorm(location, getOperationName(), adaptor.getInput(),
                      adaptor.getResidual(), adaptor.getAxis(),
                      adaptor.getEpsilon().convertToFloat(),
                      {{"weight", adaptor.getWeight()}}, types);
}

LogicalResult AddLayerNormOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> location,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  return inferAddNorm(
      location, getOperationName(), adaptor.getInput(), adaptor.getResidual(),
      adaptor.getAxis(), adaptor.getEpsilon().convertToFloat(),
      {{"scale", adaptor.getScale()}, {"bias", adaptor.getBias()}}, types);
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> location,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  StringRef opName = getOperationName();
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto cos = cast<RankedTensorType>(adaptor.getCos().getType());
  auto sin = cast<RankedTensorType>(adaptor.getSin().getType());
  if (input.getRank() < 2)
    return inferError(location, opName)
           << "input must have rank 2 or more ([..., seq, head_dim]), got "
              "rank "
           << input.getRank();
  if (cos.getShape() != sin.getShape())
    return inferError(location, opName)
           << "cos and sin have different shapes "
           << formatShape(cos.getShape()) << " and "
           << formatShape(sin.getShape());
  int64_t headDim = input.getShape().back();
  int64_t rotaryDim = adaptor.getRotaryDim().value_or(headDim);
  if (!ShapedType::isDynamic(rotaryDim) &&
      (rotaryDim <= 0 || rotaryDim % 2 != 0 ||
       (!ShapedType::isDynamic(headDim) && rotaryDim > headDim)))
    return inferError(location, opName)
           << "rotary_dim " << rotaryDim
           << " must be even and in (0, head_dim = "
           << (ShapedType::isDynamic(headDim) ? std::string("?")
                                              : std::to_string(headDim))
           << "]";
  if (cos.getRank() < 1 || cos.getRank() > input.getRank())
    return inferError(location, opName)
           << "cos and sin must have rank 1 to " << input.getRank()
           << ", got rank " << cos.getRank();
  int64_t half = ShapedType::isDynamic(rotaryDim) ? rotaryDim : rotaryDim / 2;
  if (!compatibleSizes(cos.getShape().back(), half))
    return inferError(location, opName)
           << "cos and sin have " << cos.getShape().back()
           << " entries in their last dimension, expected rotary_dim / 2 = "
           << half;
  ArrayRef<int64_t> lead = input.getShape().drop_back();
  ArrayRef<int64_t> tableLead = cos.getShape().drop_back();
  int64_t offset = lead.size() - tableLead.size();
  for (auto [i, size] : llvm::enumerate(tableLead))
    if (size != 1 && !compatibleSizes(size, lead[offset + i]))
      return inferError(location, opName)
             << "cos and sin leading shape " << formatShape(tableLead)
             << " does not broadcast to the input's leading shape "
             << formatShape(lead);
  types.push_back(input);
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  StringRef opName = getOperationName();
  auto q = cast<RankedTensorType>(adaptor.getQuery().getType());
  auto k = cast<RankedTensorType>(adaptor.getKey().getType());
  auto v = cast<RankedTensorType>(adaptor.getValue().getType());
  // (Absent while a builder infers the type: the default.)
  StringRef layout =
      adaptor.getLayoutAttr() ? adaptor.getLayoutAttr().getValue() : "bhsd";
  if (layout != "bhsd" && layout != "bshd")
    return inferError(location, opName)
           << "layout must be bhsd or bshd, got '" << layout << "'";
  // The dims of heads and of the sequence in the operands and the result.
  const int64_t H = layout == "bshd" ? 2 : 1, S = layout == "bshd" ? 1 : 2;
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return inferError(location, opName)
           << "query, key and value must have rank 4 ("
           << (layout == "bshd" ? "[batch, seq, heads, head_dim]"
                                : "[batch, heads, seq, head_dim]")
           << "), got ranks " << q.getRank() << ", " << k.getRank() << " and "
           << v.getRank();
  if (q.getElementType() != k.getElementType() ||
      q.getElementType() != v.getElementType())
    return inferError(location, opName)
           << "query, key and value must share one element type, got "
           << q.getElementType() << ", " << k.getElementType() << " and "
           << v.getElementType();
  // Absent head counts come from the operands (dynamic when they are).
  int64_t heads = adaptor.getNumHeads().value_or(q.getDimSize(H));
  int64_t kvHeads = adaptor.getNumKvHeads().value_or(k.getDimSize(H));
  if (adaptor.getNumHeads().has_value() != adaptor.getNumKvHeads().has_value())
    return inferError(location, opName)
           << "num_heads and num_kv_heads must be given together";
  bool known = !ShapedType::isDynamic(heads) && !ShapedType::isDynamic(kvHeads);
  if ((known && (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)) ||
      (!ShapedType::isDynamic(heads) && heads <= 0) ||
      (!ShapedType::isDynamic(kvHeads) && kvHeads <= 0))
    return inferError(location, opName)
           << "num_heads (" << heads
           << ") must be a positive multiple of num_kv_heads (" << kvHeads
           << ")";
  auto checkDim = [&](RankedTensorType t, StringRef name, int64_t dim,
                      int64_t expected, StringRef what) -> LogicalResult {
    if (compatibleSizes(t.getDimSize(dim), expected))
      return success();
    return inferError(location, opName)
           << name << " has " << t.getDimSize(dim) << " " << what
           << ", expected " << expected;
  };
  if (failed(checkDim(q, "query", H, heads, "heads (num_heads)")) ||
      failed(checkDim(k, "key", H, kvHeads, "heads (num_kv_heads)")) ||
      failed(checkDim(v, "value", H, kvHeads, "heads (num_kv_heads)")) ||
      failed(checkDim(k, "key", 0, q.getDimSize(0), "as batch size")) ||
      failed(checkDim(v, "value", 0, q.getDimSize(0), "as batch size")) ||
      failed(checkDim(k, "key", 3, q.getDimSize(3), "as head_dim")) ||
      failed(checkDim(v, "value", S, k.getDimSize(S), "as sequence length")))
    return failure();
  int64_t batch = compatibleSizes(q.getDimSize(0), k.getDimSize(0)) &&
                          ShapedType::isDynamic(q.getDimSize(0))
                      ? k.getDimSize(0)
                      : q.getDimSize(0);
  SmallVector<int64_t> scores = {batch, heads, q.getDimSize(S),
                                 k.getDimSize(S)};
  if (Value mask = adaptor.getMask()) {
    auto m = cast<RankedTensorType>(mask.getType());
    if (!m.getElementType().isInteger(1) &&
        m.getElementType() != q.getElementType())
      return inferError(location, opName)
             << "mask must be i1 or the query's element type "
             << q.getElementType() << ", got " << m.getElementType();
    SmallVector<int64_t> joined;
    if (m.getRank() > 4 ||
        failed(broadcastShapes({m.getShape(), scores}, joined)) ||
        !llvm::all_of(llvm::zip_equal(joined, scores), [](auto pair) {
          return compatibleSizes(std::get<0>(pair), std::get<1>(pair));
        }))
      return inferError(location, opName)
             << "mask shape " << formatShape(m.getShape())
             << " does not broadcast to the scores' shape "
             << formatShape(scores) << " ([batch, num_heads, q_seq, kv_seq])";
  }
  if (std::optional<APFloat> scale = adaptor.getScale())
    if (!scale->isFiniteNonZero())
      return inferError(location, opName)
             << "scale must be finite and non-zero";
  SmallVector<int64_t> result = {batch, heads, q.getDimSize(S),
                                 v.getDimSize(3)};
  if (layout == "bshd")
    std::swap(result[1], result[2]);
  types.push_back(RankedTensorType::get(result, q.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// FusedMatmulOp
//===----------------------------------------------------------------------===//

/// A GEMM epilogue's activation: one the kernel libraries apply.
static LogicalResult checkActivation(std::optional<Location> location,
                                     StringRef opName, StringRef act) {
  if (act == "none" || act == "relu" || act == "gelu" || act == "gelu_tanh" ||
      act == "silu")
    return success();
  return inferError(location, opName)
         << "activation must be none, relu, gelu, gelu_tanh or silu, got '"
         << act << "'";
}

LogicalResult FusedMatmulOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> location,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  StringRef opName = getOperationName();
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (lhs.getElementType() != rhs.getElementType())
    return inferError(location, opName)
           << "lhs and rhs must share one element type, got "
           << lhs.getElementType() << " and " << rhs.getElementType();
  SmallVector<Type> matmul;
  if (failed(inferMatmulType(location, opName, lhs, rhs,
                             adaptor.getTransposeA(), adaptor.getTransposeB(),
                             matmul)))
    return failure();
  auto result = cast<RankedTensorType>(matmul.front());
  if (failed(checkActivation(location, opName, adaptor.getActivation())))
    return failure();
  if (Value bias = adaptor.getBias()) {
    auto b = cast<RankedTensorType>(bias.getType());
    if (b.getRank() != 1 ||
        !compatibleSizes(b.getDimSize(0), result.getShape().back()))
      return inferError(location, opName)
             << "bias must be [N] = " << formatShape(result.getShape().back())
             << ", got " << formatShape(b.getShape());
  }
  if (Value residual = adaptor.getResidual()) {
    auto r = cast<RankedTensorType>(residual.getType());
    RankedTensorType joined = joinTensorTypes(r, result);
    if (!joined || r.getElementType() != result.getElementType())
      return inferError(location, opName)
             << "residual " << r << " does not have the result's type "
             << result;
    result = joined;
  }
  types.push_back(result);
  return success();
}

//===----------------------------------------------------------------------===//
// MultiMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MultiMatmulOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> location,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  StringRef opName = getOperationName();
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  ValueRange weights = adaptor.getWeights(), biases = adaptor.getBiases();
  // Attributes a builder has not set yet take their defaults.
  bool glu = adaptor.getGluAttr() && adaptor.getGluAttr().getValue();
  bool transposeB =
      adaptor.getTransposeBAttr() && adaptor.getTransposeBAttr().getValue();
  StringRef act = adaptor.getActivationAttr()
                      ? adaptor.getActivationAttr().getValue()
                      : "none";
  if (weights.empty())
    return inferError(location, opName) << "needs at least one weight";
  if (glu && weights.size() != 2)
    return inferError(location, opName)
           << "glu needs two weights (gate and up), got " << weights.size();
  if (!biases.empty() && biases.size() != weights.size())
    return inferError(location, opName)
           << "needs no biases or one per weight, got " << biases.size()
           << " for " << weights.size() << " weights";
  if (failed(checkActivation(location, opName, act)))
    return failure();
  SmallVector<Type> results;
  for (auto [i, weight] : llvm::enumerate(weights)) {
    auto rhs = cast<RankedTensorType>(weight.getType());
    if (rhs.getRank() != 2)
      return inferError(location, opName)
             << "weight " << i << " must have rank 2, got "
             << formatShape(rhs.getShape());
    if (lhs.getElementType() != rhs.getElementType())
      return inferError(location, opName)
             << "lhs and weight " << i << " must share one element type, got "
             << lhs.getElementType() << " and " << rhs.getElementType();
    SmallVector<Type> matmul;
    if (failed(inferMatmulType(location, opName, lhs, rhs, false, transposeB,
                               matmul)))
      return failure();
    auto result = cast<RankedTensorType>(matmul.front());
    if (!biases.empty()) {
      auto b = cast<RankedTensorType>(biases[i].getType());
      if (b.getRank() != 1 ||
          !compatibleSizes(b.getDimSize(0), result.getShape().back()) ||
          b.getElementType() != result.getElementType())
        return inferError(location, opName)
               << "bias " << i
               << " must be [N] = " << formatShape(result.getShape().back())
               << " of " << result.getElementType() << ", got " << b;
    }
    results.push_back(result);
  }
  if (glu) {
    auto gate = cast<RankedTensorType>(results[0]);
    auto up = cast<RankedTensorType>(results[1]);
    RankedTensorType joined = joinTensorTypes(gate, up);
    if (!joined)
      return inferError(location, opName)
             << "glu's gate and up products differ: " << gate << " and " << up;
    types.push_back(joined);
    return success();
  }
  types.append(results.begin(), results.end());
  return success();
}

//===----------------------------------------------------------------------===//
// FusedElementwiseOp
//===----------------------------------------------------------------------===//

LogicalResult FusedElementwiseOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  if (getResults().empty())
    return emitOpError("needs at least one result");
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value input : getInputs())
    shapes.push_back(cast<RankedTensorType>(input.getType()).getShape());
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(shapes, shape)))
    return emitOpError("input shapes do not broadcast");
  for (auto [i, result] : llvm::enumerate(getResults())) {
    ArrayRef<int64_t> resultShape =
        cast<RankedTensorType>(result.getType()).getShape();
    if (failed(verifyCompatibleShape(resultShape, shape)))
      return emitOpError("result ")
             << i << " has shape " << formatShape(resultShape)
             << ", expected the inputs' broadcast shape " << formatShape(shape);
  }
  return success();
}

LogicalResult FusedElementwiseOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("body has ")
           << body.getNumArguments() << " arguments, expected one per input ("
           << getInputs().size() << ")";
  for (auto [i, arg, input] : llvm::enumerate(body.getArguments(), getInputs()))
    if (arg.getType() != getElementTypeOrSelf(input.getType()))
      return emitOpError("body argument ")
             << i << " has type " << arg.getType() << ", expected "
             << getElementTypeOrSelf(input.getType())
             << " (the element type of input " << i << ")";
  auto yield = body.empty() ? YieldOp() : dyn_cast<YieldOp>(body.back());
  if (!yield)
    return emitOpError("body must end with kestrel.yield");
  if (yield.getValues().size() != getNumResults())
    return emitOpError("body yields ")
           << yield.getValues().size() << " values, expected one per result ("
           << getNumResults() << ")";
  for (auto [i, value, result] :
       llvm::enumerate(yield.getValues(), getResults()))
    if (value.getType() != getElementTypeOrSelf(result.getType()))
      return emitOpError("yielded value ")
             << i << " has type " << value.getType() << ", expected "
             << getElementTypeOrSelf(result.getType())
             << " (the element type of result " << i << ")";
  for (Operation &op : body.without_terminator()) {
    StringRef dialect = op.getDialect() ? op.getDialect()->getNamespace() : "";
    if ((dialect != "arith" && dialect != "math") || op.getNumRegions() != 0)
      return emitOpError("body may only contain scalar arith and math ops, "
                         "found '")
             << op.getName() << "'";
    auto isShaped = [](Type t) { return isa<ShapedType>(t); };
    if (llvm::any_of(op.getOperandTypes(), isShaped) ||
        llvm::any_of(op.getResultTypes(), isShaped))
      return emitOpError("body op '")
             << op.getName() << "' works on shaped values; only scalars are "
             << "allowed";
  }
  return success();
}
