//===- ConstantFolding.cpp - Folding kestrel ops on small constants -------===//
//
// Folders that evaluate kestrel ops over small dense constants.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/ConstantFolding.h"
#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace kestrel;

DenseElementsAttr kestrel::getFoldableConstant(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxFoldedElements)
    return nullptr;
  return dense;
}

namespace {

/// Row-major strides of `shape` broadcast into a result of rank `rank`
/// (stride 0 along broadcast dimensions).
SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> shape, size_t rank) {
  SmallVector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1)
      strides[rank - shape.size() + i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/// Offsets into each operand for every element of the broadcast result.
void forEachBroadcastIndex(ArrayRef<int64_t> resultShape,
                           ArrayRef<ArrayRef<int64_t>> operandShapes,
                           function_ref<void(ArrayRef<int64_t>)> body) {
  SmallVector<SmallVector<int64_t>> strides;
  for (ArrayRef<int64_t> s : operandShapes)
    strides.push_back(broadcastStrides(s, resultShape.size()));
  int64_t count = ShapedType::getNumElements(resultShape);
  SmallVector<int64_t> index(resultShape.size(), 0);
  SmallVector<int64_t> offsets(operandShapes.size(), 0);
  for (int64_t n = 0; n < count; ++n) {
    for (size_t k = 0; k < offsets.size(); ++k) {
      offsets[k] = 0;
      for (size_t d = 0; d < index.size(); ++d)
        offsets[k] += index[d] * strides[k][d];
    }
    body(offsets);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < resultShape[d])
        break;
      index[d] = 0;
    }
  }
}

enum class Kind {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Max,
  Min,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  And,
  Or,
  Xor
};

std::optional<Kind> classify(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<Kind>>(op)
      .Case<AddOp>([](auto) { return Kind::Add; })
      .Case<SubOp>([](auto) { return Kind::Sub; })
      .Case<MulOp>([](auto) { return Kind::Mul; })
      .Case<DivOp>([](auto) { return Kind::Div; })
      .Case<PowOp>([](auto) { return Kind::Pow; })
      .Case<MaxOp>([](auto) { return Kind::Max; })
      .Case<MinOp>([](auto) { return Kind::Min; })
      .Case<EqualOp>([](auto) { return Kind::Eq; })
      .Case<NotEqualOp>([](auto) { return Kind::Ne; })
      .Case<LessOp>([](auto) { return Kind::Lt; })
      .Case<LessEqualOp>([](auto) { return Kind::Le; })
      .Case<GreaterOp>([](auto) { return Kind::Gt; })
      .Case<GreaterEqualOp>([](auto) { return Kind::Ge; })
      .Case<AndOp>([](auto) { return Kind::And; })
      .Case<OrOp>([](auto) { return Kind::Or; })
      .Case<XorOp>([](auto) { return Kind::Xor; })
      .Default([](Operation *) { return std::nullopt; });
}

std::optional<bool> compare(Kind kind, int cmp) {
  switch (kind) {
  case Kind::Eq:
    return cmp == 0;
  case Kind::Ne:
    return cmp != 0;
  case Kind::Lt:
    return cmp < 0;
  case Kind::Le:
    return cmp <= 0;
  case Kind::Gt:
    return cmp > 0;
  case Kind::Ge:
    return cmp >= 0;
  default:
    return std::nullopt;
  }
}

std::optional<APInt> evalInt(Kind kind, const APInt &a, const APInt &b) {
  unsigned width = a.getBitWidth();
  if (width == 1) {
    switch (kind) {
    case Kind::And:
      return a & b;
    case Kind::Or:
      return a | b;
    case Kind::Xor:
      return a ^ b;
    default:
      break;
    }
  }
  if (std::optional<bool> c = compare(kind, a.slt(b) ? -1 : (a == b ? 0 : 1)))
    return APInt(1, *c);
  switch (kind) {
  case Kind::Add:
    return a + b;
  case Kind::Sub:
    return a - b;
  case Kind::Mul:
    return a * b;
  case Kind::Div:
    if (b.isZero() || (a.isMinSignedValue() && b.isAllOnes()))
      return std::nullopt;
    return a.sdiv(b);
  case Kind::Max:
    return a.sge(b) ? a : b;
  case Kind::Min:
    return a.sle(b) ? a : b;
  default:
    return std::nullopt;
  }
}

std::optional<APInt> evalFloatCompare(Kind kind, const APFloat &a,
                                      const APFloat &b) {
  APFloat::cmpResult r = a.compare(b);
  if (r == APFloat::cmpUnordered)
    return APInt(1, kind == Kind::Ne);
  int cmp = r == APFloat::cmpLessThan ? -1 : (r == APFloat::cmpEqual ? 0 : 1);
  if (std::optional<bool> c = compare(kind, cmp))
    return APInt(1, *c);
  return std::nullopt;
}

std::optional<APFloat> evalFloat(Kind kind, const APFloat &a,
                                 const APFloat &b) {
  APFloat r = a;
  switch (kind) {
  case Kind::Add:
    r.add(b, APFloat::rmNearestTiesToEven);
    return r;
  case Kind::Sub:
    r.subtract(b, APFloat::rmNearestTiesToEven);
    return r;
  case Kind::Mul:
    r.multiply(b, APFloat::rmNearestTiesToEven);
    return r;
  case Kind::Div:
    r.divide(b, APFloat::rmNearestTiesToEven);
    return r;
  case Kind::Max:
    return llvm::maximum(a, b);
  case Kind::Min:
    return llvm::minimum(a, b);
  case Kind::Pow: {
    // Evaluate in double and round once to the element type.
    APFloat p(std::pow(a.convertToDouble(), b.convertToDouble()));
    bool lost = false;
    p.convert(a.getSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return p;
  }
  default:
    return std::nullopt;
  }
}

/// Whether `attr` is a splat of `value` (0 or 1). A float zero must also
/// have the sign `negativeZero` asks for: x + (-0) and x - (+0) are x for
/// every float, x + (+0) is not (for x = -0).
bool isSplatOf(Attribute attr, int value, bool negativeZero = false) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  if (isa<IntegerType>(dense.getElementType()))
    return dense.getSplatValue<APInt>() == value;
  if (!isa<FloatType>(dense.getElementType()))
    return false;
  APFloat v = dense.getSplatValue<APFloat>();
  if (value == 1)
    return v.isExactlyValue(1.0);
  return v.isZero() && v.isNegative() == negativeZero;
}

/// x * 1, 1 * x, x / 1, x - (+0), x + (-0), -0 + x (and, for integers, any
/// zero): x, exactly, when x already has the result's type (the constant
/// does not broadcast it).
OpFoldResult foldIdentity(Operation *op, Kind kind, Attribute lhsAttr,
                          Attribute rhsAttr) {
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  Type result = op->getResult(0).getType();
  bool intTyped = isa<IntegerType>(getElementTypeOrSelf(lhs.getType()));
  auto keep = [&](Value v) -> OpFoldResult {
    return v.getType() == result ? OpFoldResult(v) : OpFoldResult();
  };
  switch (kind) {
  case Kind::Mul:
    if (isSplatOf(rhsAttr, 1))
      return keep(lhs);
    if (isSplatOf(lhsAttr, 1))
      return keep(rhs);
    return {};
  case Kind::Div:
    return isSplatOf(rhsAttr, 1) ? keep(lhs) : OpFoldResult();
  case Kind::Sub:
    return isSplatOf(rhsAttr, 0, /*negativeZero=*/false) ? keep(lhs)
                                                         : OpFoldResult();
  case Kind::Add:
    if (isSplatOf(rhsAttr, 0, /*negativeZero=*/!intTyped))
      return keep(lhs);
    if (isSplatOf(lhsAttr, 0, /*negativeZero=*/!intTyped))
      return keep(rhs);
    return {};
  default:
    return {};
  }
}

} // namespace

OpFoldResult kestrel::foldBinaryConstants(Operation *op, Attribute lhsAttr,
                                          Attribute rhsAttr) {
  DenseElementsAttr lhs = getFoldableConstant(lhsAttr);
  DenseElementsAttr rhs = getFoldableConstant(rhsAttr);
  std::optional<Kind> kind = classify(op);
  if (kind && (!lhs || !rhs))
    if (OpFoldResult identity = foldIdentity(op, *kind, lhsAttr, rhsAttr))
      return identity;
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!lhs || !rhs || !kind || !resultType || !resultType.hasStaticShape() ||
      resultType.getNumElements() > kMaxFoldedElements)
    return {};
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(
          {lhs.getType().getShape(), rhs.getType().getShape()}, shape)) ||
      ArrayRef<int64_t>(shape) != resultType.getShape())
    return {};
  Type element = lhs.getElementType();
  bool failedElement = false;
  if (isa<IntegerType>(element)) {
    auto a = llvm::to_vector(lhs.getValues<APInt>());
    auto b = llvm::to_vector(rhs.getValues<APInt>());
    SmallVector<APInt> out;
    forEachBroadcastIndex(
        shape, {lhs.getType().getShape(), rhs.getType().getShape()},
        [&](ArrayRef<int64_t> at) {
          std::optional<APInt> r = evalInt(*kind, a[at[0]], b[at[1]]);
          if (!r)
            failedElement = true;
          else
            out.push_back(*r);
        });
    if (failedElement)
      return {};
    return DenseElementsAttr::get(resultType, out);
  }
  if (isa<FloatType>(element)) {
    auto a = llvm::to_vector(lhs.getValues<APFloat>());
    auto b = llvm::to_vector(rhs.getValues<APFloat>());
    bool boolResult = resultType.getElementType().isInteger(1);
    SmallVector<APInt> bits;
    SmallVector<APFloat> values;
    forEachBroadcastIndex(
        shape, {lhs.getType().getShape(), rhs.getType().getShape()},
        [&](ArrayRef<int64_t> at) {
          if (boolResult) {
            std::optional<APInt> r =
                evalFloatCompare(*kind, a[at[0]], b[at[1]]);
            if (!r)
              failedElement = true;
            else
              bits.push_back(*r);
            return;
          }
          std::optional<APFloat> r = evalFloat(*kind, a[at[0]], b[at[1]]);
          if (!r)
            failedElement = true;
          else
            values.push_back(*r);
        });
    if (failedElement)
      return {};
    if (boolResult)
      return DenseElementsAttr::get(resultType, bits);
    return DenseElementsAttr::get(resultType, values);
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Folders of individual ops over constants
//===----------------------------------------------------------------------===//

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr cond = getFoldableConstant(adaptor.getCondition());
  if (cond && cond.isSplat()) {
    Value chosen =
        cond.getSplatValue<bool>() ? getTrueValue() : getFalseValue();
    if (chosen.getType() == getType())
      return chosen;
  }
  DenseElementsAttr x = getFoldableConstant(adaptor.getTrueValue());
  DenseElementsAttr y = getFoldableConstant(adaptor.getFalseValue());
  auto resultType = cast<RankedTensorType>(getType());
  if (!cond || !x || !y || !resultType.hasStaticShape() ||
      resultType.getNumElements() > kMaxFoldedElements)
    return {};
  auto c = llvm::to_vector(cond.getValues<bool>());
  auto a = llvm::to_vector(x.getValues<Attribute>());
  auto b = llvm::to_vector(y.getValues<Attribute>());
  SmallVector<Attribute> out;
  forEachBroadcastIndex(resultType.getShape(),
                        {cond.getType().getShape(), x.getType().getShape(),
                         y.getType().getShape()},
                        [&](ArrayRef<int64_t> at) {
                          out.push_back(c[at[0]] ? a[at[1]] : b[at[2]]);
                        });
  return DenseElementsAttr::get(resultType, out);
}

OpFoldResult ShapeOfOp::fold(FoldAdaptor) {
  auto input = cast<RankedTensorType>(getInput().getType());
  if (!input.hasStaticShape())
    return {};
  return DenseElementsAttr::get(cast<ShapedType>(getType()),
                                ArrayRef<int64_t>(input.getShape()));
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr indices = getFoldableConstant(adaptor.getIndices());
  auto resultType = cast<RankedTensorType>(getType());
  if (!indices || !resultType.hasStaticShape())
    return {};
  auto normalize = [](int64_t i, int64_t size) { return i < 0 ? i + size : i; };
  // gather(shape_of(x), i) is constant where the selected dims are static.
  if (auto shapeOf = getInput().getDefiningOp<ShapeOfOp>()) {
    ArrayRef<int64_t> dims =
        cast<RankedTensorType>(shapeOf.getInput().getType()).getShape();
    SmallVector<int64_t> out;
    for (const APInt &i : indices.getValues<APInt>()) {
      int64_t k = normalize(i.getSExtValue(), dims.size());
      if (k < 0 || k >= static_cast<int64_t>(dims.size()) ||
          ShapedType::isDynamic(dims[k]))
        return {};
      out.push_back(dims[k]);
    }
    return DenseElementsAttr::get(resultType, ArrayRef<int64_t>(out));
  }
  DenseElementsAttr input = getFoldableConstant(adaptor.getInput());
  if (!input || resultType.getNumElements() > kMaxFoldedElements)
    return {};
  ArrayRef<int64_t> shape = input.getType().getShape();
  int64_t axis = getAxis();
  int64_t outer = 1, inner = 1, size = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
    inner *= shape[d];
  auto values = llvm::to_vector(input.getValues<Attribute>());
  SmallVector<int64_t> idx;
  for (const APInt &i : indices.getValues<APInt>()) {
    int64_t k = normalize(i.getSExtValue(), size);
    if (k < 0 || k >= size)
      return {};
    idx.push_back(k);
  }
  SmallVector<Attribute> out;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k : idx)
      for (int64_t n = 0; n < inner; ++n)
        out.push_back(values[(o * size + k) * inner + n]);
  return DenseElementsAttr::get(resultType, out);
}

OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr start = getFoldableConstant(adaptor.getStart());
  DenseElementsAttr limit = getFoldableConstant(adaptor.getLimit());
  DenseElementsAttr delta = getFoldableConstant(adaptor.getDelta());
  auto resultType = cast<RankedTensorType>(getType());
  if (!start || !limit || !delta)
    return {};
  Type element = resultType.getElementType();
  if (isa<IntegerType>(element)) {
    int64_t s = start.getSplatValue<APInt>().getSExtValue();
    int64_t l = limit.getSplatValue<APInt>().getSExtValue();
    int64_t d = delta.getSplatValue<APInt>().getSExtValue();
    std::optional<int64_t> n = rangeLength(s, l, d);
    if (!n || *n > kMaxFoldedElements || resultType.isDynamicDim(0) ||
        resultType.getDimSize(0) != *n)
      return {};
    SmallVector<APInt> out;
    int64_t value = s;
    for (int64_t i = 0; i < *n; ++i) {
      out.push_back(APInt(element.getIntOrFloatBitWidth(), value, true));
      // Stepwise, up to the last value (in range): i * d alone may
      // overflow where s + i * d does not.
      if (i + 1 < *n)
        value += d;
    }
    return DenseElementsAttr::get(resultType, out);
  }
  double s = start.getSplatValue<APFloat>().convertToDouble();
  double l = limit.getSplatValue<APFloat>().convertToDouble();
  double d = delta.getSplatValue<APFloat>().convertToDouble();
  std::optional<int64_t> n = rangeLength(s, l, d);
  if (!n || *n > kMaxFoldedElements || resultType.isDynamicDim(0) ||
      resultType.getDimSize(0) != *n)
    return {};
  // Each value rounded (to nearest even) into the element type: f16 and
  // bf16 ranges are not f32 bits.
  const llvm::fltSemantics &semantics =
      cast<FloatType>(element).getFloatSemantics();
  SmallVector<APFloat> out;
  for (int64_t i = 0; i < *n; ++i) {
    APFloat value(static_cast<double>(static_cast<float>(s + i * d)));
    bool lost;
    value.convert(semantics, APFloat::rmNearestTiesToEven, &lost);
    out.push_back(value);
  }
  return DenseElementsAttr::get(resultType, out);
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  DenseElementsAttr input = getFoldableConstant(adaptor.getInput());
  auto resultType = cast<RankedTensorType>(getType());
  if (!input || !resultType.hasStaticShape())
    return {};
  Type from = input.getElementType(), to = resultType.getElementType();
  auto toInt = dyn_cast<IntegerType>(to);
  auto toFloat = dyn_cast<FloatType>(to);
  if (isa<IntegerType>(from)) {
    bool fromBool = from.isInteger(1);
    if (toInt) {
      SmallVector<APInt> out;
      for (const APInt &v : input.getValues<APInt>())
        out.push_back(toInt.getWidth() == 1 ? APInt(1, !v.isZero())
                      : fromBool            ? v.zext(toInt.getWidth())
                                            : v.sextOrTrunc(toInt.getWidth()));
      return DenseElementsAttr::get(resultType, out);
    }
    SmallVector<APFloat> out;
    for (const APInt &v : input.getValues<APInt>()) {
      APFloat f(toFloat.getFloatSemantics());
      f.convertFromAPInt(v, /*IsSigned=*/!fromBool,
                         APFloat::rmNearestTiesToEven);
      out.push_back(f);
    }
    return DenseElementsAttr::get(resultType, out);
  }
  if (!isa<FloatType>(from))
    return {};
  if (toFloat) {
    SmallVector<APFloat> out;
    for (APFloat v : input.getValues<APFloat>()) {
      bool lost = false;
      v.convert(toFloat.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                &lost);
      out.push_back(v);
    }
    return DenseElementsAttr::get(resultType, out);
  }
  if (toInt.getWidth() == 1) {
    SmallVector<bool> out;
    for (const APFloat &v : input.getValues<APFloat>())
      out.push_back(!v.isZero());
    return DenseElementsAttr::get(resultType, ArrayRef<bool>(out));
  }
  SmallVector<APInt> out;
  for (const APFloat &v : input.getValues<APFloat>()) {
    if (!v.isFinite())
      return {};
    APSInt i(toInt.getWidth(), /*isUnsigned=*/false);
    bool exact = false;
    v.convertToInteger(i, APFloat::rmTowardZero, &exact);
    out.push_back(i);
  }
  return DenseElementsAttr::get(resultType, out);
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  auto resultType = cast<RankedTensorType>(getType());
  if (!resultType.hasStaticShape())
    return {};
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute a : adaptor.getInputs()) {
    DenseElementsAttr dense = getFoldableConstant(a);
    if (!dense)
      return {};
    inputs.push_back(dense);
  }
  int64_t axis = getAxis(), outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= resultType.getDimSize(d);
  SmallVector<SmallVector<Attribute>> values;
  SmallVector<int64_t> chunk;
  for (DenseElementsAttr in : inputs) {
    values.push_back(llvm::to_vector(in.getValues<Attribute>()));
    chunk.push_back(in.getNumElements() / std::max<int64_t>(outer, 1));
  }
  SmallVector<Attribute> out;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t k = 0; k < inputs.size(); ++k)
      for (int64_t n = 0; n < chunk[k]; ++n)
        out.push_back(values[k][o * chunk[k] + n]);
  return DenseElementsAttr::get(resultType, out);
}
