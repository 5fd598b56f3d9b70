//===- QuantOps.cpp - QuantizeLinear and DequantizeLinear -----------------===//
//
// ONNX's linear quantization. Kestrel keeps no 4-, 8- or 16-bit integer
// tensors, so:
//  - DequantizeLinear of an initializer (quantized weights, int32 biases,
//    FLOAT8) is computed at import into a float weight, per tensor, per
//    axis or per block;
//  - QuantizeLinear (activations, QDQ models) yields a float tensor holding
//    the rounded, saturated integers, which only DequantizeLinear may read
//    (GraphImporter::quantizedValues): the pair is a fake-quantization the
//    elementwise fusion turns into one kernel. FLOAT8E4M3FN outputs are
//    real f8E4M3FN tensors.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/NodeContext.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include <cmath>
#include <cstdint>

using namespace mlir;

namespace kestrel::onnx_frontend {

namespace {

/// How a scale (or zero point) of `count` entries maps onto x: one value,
/// one per entry of x's dim `axis`, or (blockSize > 0) one per block of
/// blockSize entries along `axis` (the scale has x's rank).
struct QuantLayout {
  enum Kind { PerTensor, PerAxis, Blocked } kind = PerTensor;
  int64_t axis = 0, blockSize = 0;
};

FailureOr<QuantLayout> quantLayout(NodeContext &ctx, ArrayRef<int64_t> xShape,
                                   ArrayRef<int64_t> scaleShape) {
  FailureOr<int64_t> axisAttr = ctx.intAttr("axis", 1);
  FailureOr<int64_t> blockSize = ctx.intAttr("block_size", 0);
  if (failed(axisAttr) || failed(blockSize))
    return failure();
  QuantLayout layout;
  int64_t scaleCount = 1;
  for (int64_t d : scaleShape)
    scaleCount *= d;
  if (*blockSize == 0 && scaleCount == 1 && scaleShape.size() <= 1)
    return layout;
  int64_t rank = int64_t(xShape.size());
  FailureOr<int64_t> axis = ctx.normalizeAxis(*axisAttr, rank);
  if (failed(axis))
    return failure();
  layout.axis = *axis;
  if (*blockSize == 0) {
    if (scaleShape.size() != 1 || scaleShape[0] != xShape[*axis])
      return ctx.error() << "a per-axis scale must be 1-D with the "
                         << xShape[*axis] << " entries of dim " << *axis
                         << ", got " << scaleCount << " values";
    layout.kind = QuantLayout::PerAxis;
    return layout;
  }
  if (*blockSize < 0 || int64_t(scaleShape.size()) != rank)
    return ctx.error() << "blocked quantization needs block_size > 0 and a "
                          "scale of x's rank";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t want =
        d == *axis ? (xShape[d] + *blockSize - 1) / *blockSize : xShape[d];
    if (scaleShape[d] != want)
      return ctx.error() << "blocked scale dim " << d << " must be " << want
                         << ", got " << scaleShape[d];
  }
  layout.kind = QuantLayout::Blocked;
  layout.blockSize = *blockSize;
  return layout;
}

/// The float values of constant input `i` (scales, float zero points).
FailureOr<std::vector<double>> constantValues(NodeContext &ctx, unsigned i,
                                              StringRef what) {
  DenseElementsAttr data = ctx.constantInput(i);
  if (!data)
    return ctx.error() << what << " (input " << i
                       << ") must be a constant to dequantize weights";
  std::vector<double> values;
  if (isa<FloatType>(data.getElementType())) {
    for (const APFloat &v : data.getValues<APFloat>())
      values.push_back(v.convertToDouble());
  } else {
    for (const APInt &v : data.getValues<APInt>())
      values.push_back(double(v.getSExtValue()));
  }
  return values;
}

/// The zero point (input 2) as doubles, `count` zeros when absent.
FailureOr<std::vector<double>> zeroPoints(NodeContext &ctx, size_t count) {
  if (!ctx.hasInput(2))
    return std::vector<double>(count, 0.0);
  if (ctx.isRawInitializer(2))
    return ctx.quantizedInitializer(2, "zero point");
  return constantValues(ctx, 2, "the zero point");
}

/// A rank-`rank` shape of ones but `count` at `axis`: a per-axis scale's
/// broadcast form.
SmallVector<int64_t> axisShape(int64_t rank, int64_t axis, int64_t count) {
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = count;
  return shape;
}

/// A per-tensor or per-axis operand (scale or zero point) `v` of x's op,
/// reshaped to broadcast against x.
FailureOr<Value> broadcastable(NodeContext &ctx, Value v,
                               const QuantLayout &layout, int64_t rank) {
  auto type = cast<RankedTensorType>(v.getType());
  if (layout.kind == QuantLayout::PerTensor)
    return type.getRank() == 0 ? v : ctx.reshapeTo(v, {});
  return ctx.reshapeTo(v, axisShape(rank, layout.axis, type.getDimSize(0)));
}

/// DequantizeLinear: y = (x - zero_point) * scale, in the scale's type.
LogicalResult importDequantizeLinear(NodeContext &ctx) {
  FailureOr<Value> scale = ctx.requiredInput(1);
  if (failed(scale))
    return failure();
  auto scaleType = cast<RankedTensorType>(scale->getType());
  auto element = dyn_cast<FloatType>(scaleType.getElementType());
  if (!element)
    return ctx.error() << "the scale must be a float tensor, got " << scaleType;

  if (ctx.isRawInitializer(0)) {
    // Weights: dequantized now, into a float weight.
    SmallVector<int64_t> shape = ctx.rawInputShape(0);
    FailureOr<std::vector<double>> x = ctx.quantizedInitializer(0, "x");
    if (failed(x))
      return failure();
    FailureOr<QuantLayout> layout =
        quantLayout(ctx, shape, scaleType.getShape());
    FailureOr<std::vector<double>> scales = constantValues(ctx, 1, "the scale");
    if (failed(layout) || failed(scales))
      return failure();
    FailureOr<std::vector<double>> zero = zeroPoints(ctx, scales->size());
    if (failed(zero))
      return failure();
    if (zero->size() != scales->size())
      return ctx.error() << "the zero point has " << zero->size()
                         << " values and the scale " << scales->size();
    int64_t rank = int64_t(shape.size());
    int64_t inner = 1; // entries after `axis`
    for (int64_t d = layout->axis + 1; d < rank; ++d)
      inner *= shape[d];
    int64_t axisSize = rank ? shape[layout->axis] : 1;
    std::vector<float> y(x->size());
    for (size_t i = 0; i < x->size(); ++i) {
      size_t j = 0;
      if (layout->kind == QuantLayout::PerAxis) {
        j = size_t(int64_t(i) / inner % axisSize);
      } else if (layout->kind == QuantLayout::Blocked) {
        // The scale's index: x's index with the axis coordinate divided by
        // the block size.
        int64_t outer = int64_t(i) / (inner * axisSize);
        int64_t a = int64_t(i) / inner % axisSize, in = int64_t(i) % inner;
        int64_t blocks = (axisSize + layout->blockSize - 1) / layout->blockSize;
        j = size_t((outer * blocks + a / layout->blockSize) * inner + in);
      }
      y[i] = float(((*x)[i] - (*zero)[j]) * (*scales)[j]);
    }
    Value weight =
        ctx.derivedWeight(ctx.node().input(0) + ".dequantized",
                          floatData(RankedTensorType::get(shape, element), y));
    return ctx.setOutput(0, weight);
  }

  // Activations: x is a QuantizeLinear result (floats holding integers), an
  // i32/i64 tensor or an FP8 one.
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType xType = ctx.inputType(0);
  FailureOr<QuantLayout> layout =
      quantLayout(ctx, xType.getShape(), scaleType.getShape());
  if (failed(layout))
    return failure();
  if (layout->kind == QuantLayout::Blocked)
    return ctx.error() << "blocked dequantization needs x to be an "
                          "initializer (weights)";
  if (layout->kind == QuantLayout::PerAxis && xType.isDynamicDim(layout->axis))
    return ctx.error() << "per-axis dequantization needs dim " << layout->axis
                       << " static";
  FailureOr<Value> xf = ctx.castTo(*x, element);
  FailureOr<Value> s = broadcastable(ctx, *scale, *layout, xType.getRank());
  if (failed(xf) || failed(s))
    return failure();
  Value centered = *xf;
  if (ctx.hasInput(2)) {
    Value zero;
    if (ctx.isRawInitializer(2)) {
      FailureOr<std::vector<double>> zp =
          ctx.quantizedInitializer(2, "zero point");
      if (failed(zp))
        return failure();
      std::vector<float> values(zp->begin(), zp->end());
      zero = ctx.constant(floatData(
          RankedTensorType::get(ctx.rawInputShape(2), element), values));
    } else {
      FailureOr<Value> cast = ctx.castTo(ctx.input(2), element);
      if (failed(cast))
        return failure();
      zero = *cast;
    }
    FailureOr<Value> z = broadcastable(ctx, zero, *layout, xType.getRank());
    if (failed(z))
      return failure();
    FailureOr<Value> sub = ctx.create<SubOp>({*xf, *z});
    if (failed(sub))
      return failure();
    centered = *sub;
  }
  FailureOr<Value> y = ctx.create<MulOp>({centered, *s});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// QuantizeLinear: saturate(round(x / scale) + zero_point) to the zero
/// point's type (uint8 when absent; output_dtype when given).
LogicalResult importQuantizeLinear(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<Value> scale = ctx.requiredInput(1);
  FailureOr<int64_t> saturate = ctx.intAttr("saturate", 1);
  FailureOr<int64_t> outputDtype = ctx.intAttr("output_dtype", 0);
  if (failed(x) || failed(scale) || failed(saturate) || failed(outputDtype))
    return failure();
  RankedTensorType xType = ctx.inputType(0);
  auto element = dyn_cast<FloatType>(xType.getElementType());
  if (!element)
    return ctx.error() << "x must be a float tensor, got " << xType;
  // The output type: ONNX TensorProto.DataType codes.
  int32_t type = int32_t(*outputDtype);
  std::vector<double> zero;
  if (ctx.hasInput(2) && !ctx.isRawInitializer(2)) {
    // A zero point Kestrel holds as a value: FLOAT8E4M3FN (a frozen input).
    DenseElementsAttr z = ctx.constantInput(2);
    if (!z || !isa<Float8E4M3FNType>(z.getElementType()))
      return ctx.error() << "the zero point must be an initializer (or a "
                            "FLOAT8E4M3FN constant)";
    if (type != 0 && type != 17)
      return ctx.error() << "output_dtype " << onnxTypeName(type)
                         << " differs from the zero point's FLOAT8E4M3FN";
    type = 17;
    for (const APFloat &v : z.getValues<APFloat>())
      zero.push_back(v.convertToDouble());
  } else if (ctx.hasInput(2)) {
    FailureOr<const onnx::TensorProto *> t =
        ctx.rawInitializer(2, "the zero point");
    if (failed(t))
      return failure();
    if (type != 0 && type != (*t)->data_type())
      return ctx.error() << "output_dtype " << onnxTypeName(type)
                         << " differs from the zero point's "
                         << onnxTypeName((*t)->data_type());
    type = (*t)->data_type();
    FailureOr<std::vector<double>> zp =
        ctx.quantizedInitializer(2, "the zero point");
    if (failed(zp))
      return failure();
    zero = *zp;
  }
  if (type == 0)
    type = 2; // UINT8
  FailureOr<QuantLayout> layout =
      quantLayout(ctx, xType.getShape(),
                  cast<RankedTensorType>(scale->getType()).getShape());
  if (failed(layout))
    return failure();
  if (layout->kind == QuantLayout::Blocked)
    return ctx.error() << "blocked quantization of activations is not "
                          "supported";
  FailureOr<Value> s = broadcastable(ctx, *scale, *layout, xType.getRank());
  if (failed(s))
    return failure();
  FailureOr<Value> scaled = ctx.create<DivOp>({*x, *s});
  if (failed(scaled))
    return failure();

  if (type == 17) { // FLOAT8E4M3FN: a real f8 tensor (zero point 0)
    if (*saturate == 0)
      return ctx.error() << "saturate = 0 (FLOAT8 overflow to NaN) is not "
                            "supported; Kestrel's FP8 casts saturate";
    for (double z : zero)
      if (z != 0)
        return ctx.error() << "a FLOAT8 zero point must be 0";
    FailureOr<Value> y =
        ctx.castTo(*scaled, Float8E4M3FNType::get(ctx.context()));
    return failed(y) ? failure() : ctx.setOutput(0, *y);
  }
  double lo, hi;
  switch (type) {
  case 2:
    lo = 0, hi = 255;
    break; // UINT8
  case 3:
    lo = -128, hi = 127;
    break; // INT8
  case 4:
    lo = 0, hi = 65535;
    break; // UINT16
  case 5:
    lo = -32768, hi = 32767;
    break; // INT16
  case 21:
    lo = 0, hi = 15;
    break; // UINT4
  case 22:
    lo = -8, hi = 7;
    break; // INT4
  default:
    return ctx.error() << "quantizing to " << onnxTypeName(type)
                       << " is not supported (int4/8/16, uint4/8/16 and "
                          "FLOAT8E4M3FN are)";
  }
  FailureOr<Value> q = ctx.create<RoundOp>(*scaled);
  if (failed(q))
    return failure();
  if (!zero.empty() && llvm::any_of(zero, [](double z) { return z != 0; })) {
    Value z;
    if (zero.size() == 1) {
      z = ctx.scalar(element, zero[0]);
    } else {
      std::vector<float> values(zero.begin(), zero.end());
      z = ctx.constant(floatData(
          RankedTensorType::get(
              axisShape(xType.getRank(), layout->axis, int64_t(values.size())),
              element),
          values));
    }
    if (failed(q = ctx.create<AddOp>({*q, z})))
      return failure();
  }
  if (failed(q = ctx.create<MaxOp>({*q, ctx.scalar(element, lo)})) ||
      failed(q = ctx.create<MinOp>({*q, ctx.scalar(element, hi)})))
    return failure();
  ctx.markQuantized(0, onnxTypeName(type));
  return ctx.setOutput(0, *q);
}

} // namespace

void registerQuantOps(std::vector<OpEntry> &ops) {
  ops.push_back({"", "DequantizeLinear", 13, importDequantizeLinear,
                 "weights (initializers of int4/8/16/32, uint4/8/16 or "
                 "FLOAT8) dequantized at import, per tensor, axis or block; "
                 "activations from QuantizeLinear, int32 or FLOAT8E4M3FN, "
                 "per tensor or axis",
                 /*rawInputs=*/0b101});
  ops.push_back({"", "QuantizeLinear", 13, importQuantizeLinear,
                 "to int4/8/16, uint4/8/16 (a float tensor of integers that "
                 "only DequantizeLinear reads) or FLOAT8E4M3FN (saturating), "
                 "per tensor or axis; constant zero point",
                 /*rawInputs=*/0b100});
}

} // namespace kestrel::onnx_frontend
