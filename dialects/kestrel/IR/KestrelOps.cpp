//===- KestrelOps.cpp - Kestrel op inference, verifiers and folders -------===//
//
// Result-type inference and verification for the elementwise, linear
// algebra, reduction and value ops. Data movement ops live in
// KestrelDataMovementOps.cpp, fused ops in KestrelFusedOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelOps.h"
#include "dialects/kestrel/IR/OpDiagnostics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace kestrel;

// mlir-tblgen's generated builders, property and effect hooks take
// parameters many ops never read; clang's -Wextra flags each (GCC does not).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define GET_OP_CLASSES
#include "dialects/kestrel/IR/KestrelOps.cpp.inc"
#pragma GCC diagnostic pop

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult GeluOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> location,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  return inferElementwiseResult(location, getOperationName(),
                                adaptor.getInput().getType(), nullptr, types);
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> location,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  Type trueElement = getElementTypeOrSelf(adaptor.getTrueValue().getType());
  Type falseElement = getElementTypeOrSelf(adaptor.getFalseValue().getType());
  if (trueElement != falseElement)
    return inferError(location, getOperationName())
           << "true and false values have different element types ("
           << trueElement << " vs " << falseElement << ")";
  return inferElementwiseResult(location, getOperationName(),
                                adaptor.getOperands().getTypes(), trueElement,
                                types);
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult kestrel::inferMatmulType(std::optional<Location> location,
                                       StringRef opName, RankedTensorType lhs,
                                       RankedTensorType rhs, bool ta, bool tb,
                                       SmallVectorImpl<Type> &types) {
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return inferError(location, opName)
           << "operands must have rank 2 or more, got ranks " << lhs.getRank()
           << " and " << rhs.getRank();
  ArrayRef<int64_t> l = lhs.getShape(), r = rhs.getShape();
  size_t lr = l.size(), rr = r.size();
  int64_t m = ta ? l[lr - 1] : l[lr - 2];
  int64_t kl = ta ? l[lr - 2] : l[lr - 1];
  int64_t kr = tb ? r[rr - 1] : r[rr - 2];
  int64_t n = tb ? r[rr - 2] : r[rr - 1];
  if (!ShapedType::isDynamic(kl) && !ShapedType::isDynamic(kr) && kl != kr)
    return inferError(location, opName)
           << "contraction dimensions differ: lhs has K = " << kl
           << ", rhs has K = " << kr;
  SmallVector<int64_t> batch;
  if (failed(broadcastShapes({l.drop_back(2), r.drop_back(2)}, batch)))
    return inferError(location, opName)
           << "batch dimensions " << formatShape(l.drop_back(2)) << " and "
           << formatShape(r.drop_back(2)) << " do not broadcast";
  batch.push_back(m);
  batch.push_back(n);
  types.push_back(RankedTensorType::get(batch, lhs.getElementType()));
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferMatmulType(location, getOperationName(),
                         cast<RankedTensorType>(adaptor.getLhs().getType()),
                         cast<RankedTensorType>(adaptor.getRhs().getType()),
                         adaptor.getTransposeA(), adaptor.getTransposeB(),
                         types);
}

/// The packed weights' shape rules shared by matmul_nbits and gather_nbits:
/// bits, block_size, k, weight [rows, blocks, blob], scales and zero points
/// [rows, blocks].
static LogicalResult verifyPackedRows(std::optional<Location> location,
                                      StringRef name, Value weightValue,
                                      Value scalesValue, Value zeroPoints,
                                      int64_t bits, int64_t blockSize,
                                      int64_t k) {
  if (bits != 2 && bits != 4 && bits != 8)
    return inferError(location, name) << "bits must be 2, 4 or 8, got " << bits;
  if (blockSize < 16 || (blockSize & (blockSize - 1)))
    return inferError(location, name)
           << "block_size must be a power of 2 of at least 16, got "
           << blockSize;
  if (k < 1)
    return inferError(location, name) << "k must be positive, got " << k;
  int64_t blocks = (k + blockSize - 1) / blockSize;
  ArrayRef<int64_t> w =
      cast<RankedTensorType>(weightValue.getType()).getShape();
  if (w.size() != 3 || w[1] != blocks || w[2] != blockSize * bits / 8)
    return inferError(location, name)
           << "weight must be [N, " << blocks << ", " << blockSize * bits / 8
           << "] bytes for k = " << k << ", block_size = " << blockSize
           << " and bits = " << bits << ", got " << formatShape(w);
  SmallVector<int64_t> perBlock = {w[0], blocks};
  auto scales = cast<RankedTensorType>(scalesValue.getType());
  if (scales.getShape() != ArrayRef<int64_t>(perBlock))
    return inferError(location, name)
           << "scales must be " << formatShape(perBlock) << ", got "
           << formatShape(scales.getShape());
  if (zeroPoints)
    if (cast<RankedTensorType>(zeroPoints.getType()).getShape() !=
        ArrayRef<int64_t>(perBlock))
      return inferError(location, name)
             << "zero_points must be " << formatShape(perBlock) << ", got "
             << formatShape(
                    cast<RankedTensorType>(zeroPoints.getType()).getShape());
  return success();
}

LogicalResult MatmulNBitsOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> location,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  int64_t k = adaptor.getK();
  if (failed(verifyPackedRows(location, name, adaptor.getWeight(),
                              adaptor.getScales(), adaptor.getZeroPoints(),
                              adaptor.getBits(), adaptor.getBlockSize(), k)))
    return failure();
  if (lhs.getRank() < 1 || (!lhs.isDynamicDim(lhs.getRank() - 1) &&
                            lhs.getDimSize(lhs.getRank() - 1) != k))
    return inferError(location, name) << "lhs must be [..., " << k << "], got "
                                      << formatShape(lhs.getShape());
  if (adaptor.getAccuracyLevel() > 4)
    return inferError(location, name)
           << "accuracy_level " << int64_t(adaptor.getAccuracyLevel())
           << " is not one of 0 (unset), 1 (f32), 2 (f16), 3 (bf16), 4 (int8)";
  SmallVector<int64_t> shape(lhs.getShape());
  shape.back() =
      cast<RankedTensorType>(adaptor.getWeight().getType()).getDimSize(0);
  types.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

LogicalResult GatherNBitsOp::inferReturnTypes(MLIRContext *context,
                                              std::optional<Location> location,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  if (failed(verifyPackedRows(location, getOperationName(), adaptor.getWeight(),
                              adaptor.getScales(), adaptor.getZeroPoints(),
                              adaptor.getBits(), adaptor.getBlockSize(),
                              adaptor.getK())))
    return failure();
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  SmallVector<int64_t> shape(indices.getShape());
  shape.push_back(adaptor.getK());
  types.push_back(RankedTensorType::get(shape, Float32Type::get(context)));
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

static LogicalResult inferSoftmax(std::optional<Location> location,
                                  StringRef opName, Value input, int64_t axis,
                                  SmallVectorImpl<Type> &types) {
  auto type = cast<RankedTensorType>(input.getType());
  if (failed(checkAxis(location, opName, "axis", axis, type.getRank())))
    return failure();
  types.push_back(type);
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> location,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferSoftmax(location, getOperationName(), adaptor.getInput(),
                      adaptor.getAxis(), types);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> location,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferSoftmax(location, getOperationName(), adaptor.getInput(),
                      adaptor.getAxis(), types);
}

LogicalResult CumSumOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferSoftmax(location, getOperationName(), adaptor.getInput(),
                      adaptor.getAxis(), types);
}

LogicalResult ConvTransposeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto weight = cast<RankedTensorType>(adaptor.getWeight().getType());
  int64_t rank = input.getRank(), spatial = rank - 2;
  if (spatial < 1 || spatial > 3)
    return inferError(location, name)
           << "input must have 1 to 3 spatial dims ([N, C, D1, ...]), got rank "
           << rank;
  if (weight.getRank() != rank || !weight.hasStaticShape())
    return inferError(location, name)
           << "weight must have the input's rank " << rank
           << " and a static shape, got " << weight;
  ArrayRef<int64_t> strides = adaptor.getStrides(), pads = adaptor.getPads(),
                    dilations = adaptor.getDilations(),
                    outputPadding = adaptor.getOutputPadding();
  if (int64_t(strides.size()) != spatial ||
      int64_t(dilations.size()) != spatial ||
      int64_t(outputPadding.size()) != spatial ||
      int64_t(pads.size()) != 2 * spatial)
    return inferError(location, name)
           << "strides, dilations and output_padding need " << spatial
           << " values and pads " << 2 * spatial;
  int64_t group = adaptor.getGroup(), c = input.getDimSize(1);
  if (ShapedType::isDynamic(c))
    return inferError(location, name)
           << "the input's channel dim (1) must be static";
  if (group < 1 || c % group != 0 || weight.getDimSize(0) != c)
    return inferError(location, name)
           << "the weight's " << weight.getDimSize(0)
           << " input channels must equal the input's " << c
           << ", a multiple of group = " << group;
  int64_t m = weight.getDimSize(1) * group;
  if (Value bias = adaptor.getBias()) {
    auto b = cast<RankedTensorType>(bias.getType());
    if (b.getRank() != 1 || b.getDimSize(0) != m)
      return inferError(location, name)
             << "bias must be [" << m << "], got " << b;
  }
  SmallVector<int64_t> shape = {input.getDimSize(0), m};
  for (int64_t i = 0; i < spatial; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 ||
        pads[i + spatial] < 0 || outputPadding[i] < 0)
      return inferError(location, name)
             << "strides and dilations must be positive, pads and "
                "output_padding non-negative (spatial dim "
             << i << ")";
    int64_t d = input.getDimSize(i + 2), k = weight.getDimSize(i + 2);
    if (ShapedType::isDynamic(d)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t o = strides[i] * (d - 1) + outputPadding[i] +
                dilations[i] * (k - 1) + 1 - pads[i] - pads[i + spatial];
    if (d < 1 || o < 1)
      return inferError(location, name)
             << "spatial dim " << i << " of size " << d
             << " gives no output with its pads";
    shape.push_back(o);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult PoolOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> location,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t rank = input.getRank(), spatial = rank - 2;
  if (spatial < 1 || spatial > 3)
    return inferError(location, name)
           << "input must have 1 to 3 spatial dims ([N, C, D1, ...]), got rank "
           << rank;
  StringRef kind = adaptor.getKind();
  if (kind != "max" && kind != "average")
    return inferError(location, name)
           << "kind must be 'max' or 'average', got '" << kind << "'";
  ArrayRef<int64_t> kernel = adaptor.getKernelShape(),
                    strides = adaptor.getStrides(), pads = adaptor.getPads(),
                    dilations = adaptor.getDilations();
  if (int64_t(kernel.size()) != spatial || int64_t(strides.size()) != spatial ||
      int64_t(dilations.size()) != spatial ||
      int64_t(pads.size()) != 2 * spatial)
    return inferError(location, name)
           << "kernel_shape, strides and dilations need " << spatial
           << " values and pads " << 2 * spatial << ", got " << kernel.size()
           << ", " << strides.size() << ", " << dilations.size() << " and "
           << pads.size();
  bool ceilMode = adaptor.getCeilMode();
  SmallVector<int64_t> shape(input.getShape());
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t k = kernel[i], s = strides[i], d = dilations[i];
    int64_t begin = pads[i], end = pads[i + spatial];
    if (k < 1 || s < 1 || d < 1 || begin < 0 || end < 0)
      return inferError(location, name)
             << "kernel_shape, strides and dilations must be positive and "
                "pads non-negative (spatial dim "
             << i << ")";
    int64_t size = input.getDimSize(i + 2);
    if (ShapedType::isDynamic(size))
      continue;
    int64_t span = size + begin + end - d * (k - 1) - 1;
    if (span < 0)
      return inferError(location, name)
             << "the window (kernel " << k << ", dilation " << d
             << ") is larger than spatial dim " << i << " with its pads ("
             << size + begin + end << ")";
    int64_t o = ceilMode ? (span + s - 1) / s + 1 : span / s + 1;
    if (ceilMode && (o - 1) * s >= size + begin)
      --o;
    shape[i + 2] = o;
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult ResizeOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t rank = input.getRank();
  ArrayRef<int64_t> sizes = adaptor.getSizes();
  ArrayRef<float> scales = adaptor.getScales();
  if (rank < 1 || int64_t(sizes.size()) != rank ||
      int64_t(scales.size()) != rank)
    return inferError(location, name)
           << "sizes and scales need one value per dim (" << rank << "), got "
           << sizes.size() << " and " << scales.size();
  if (std::optional<ArrayRef<float>> roi = adaptor.getRoi())
    if (int64_t(roi->size()) != 2 * rank)
      return inferError(location, name)
             << "roi needs " << 2 * rank << " values, got " << roi->size();
  StringRef mode = adaptor.getMode(), coordinates = adaptor.getCoordinateMode(),
            nearest = adaptor.getNearestMode();
  if (!llvm::is_contained({"nearest", "linear", "cubic"}, mode))
    return inferError(location, name)
           << "mode must be nearest, linear or cubic, got '" << mode << "'";
  if (!llvm::is_contained({"half_pixel", "half_pixel_symmetric",
                           "pytorch_half_pixel", "align_corners", "asymmetric",
                           "tf_crop_and_resize"},
                          coordinates))
    return inferError(location, name)
           << "unknown coordinate_mode '" << coordinates << "'";
  if (!llvm::is_contained(
          {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"},
          nearest))
    return inferError(location, name)
           << "unknown nearest_mode '" << nearest << "'";
  if (coordinates == "tf_crop_and_resize" && !adaptor.getRoi())
    return inferError(location, name) << "tf_crop_and_resize needs the roi";
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (sizes[d] >= 0) {
      if (scales[d] < 0)
        return inferError(location, name)
               << "dim " << d << " has a negative scale";
      shape.push_back(sizes[d]);
      continue;
    }
    if (sizes[d] != -1 || !(scales[d] > 0))
      return inferError(location, name)
             << "dim " << d << " needs a size or a positive scale, got size "
             << sizes[d] << " and scale " << scales[d];
    int64_t in = input.getDimSize(d);
    if (ShapedType::isDynamic(in)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    double size = std::floor(double(in) * double(scales[d]));
    if (size >= double(int64_t(1) << 40))
      return inferError(location, name)
             << "dim " << d << " of size " << in << " times scale " << scales[d]
             << " is too large";
    shape.push_back(int64_t(size));
  }
  for (int64_t d = 0; d < rank; ++d)
    if (input.getDimSize(d) == 0 && shape[d] != 0)
      return inferError(location, name)
             << "dim " << d << " is empty and cannot be resized to "
             << shape[d];
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> location,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto weight = cast<RankedTensorType>(adaptor.getWeight().getType());
  int64_t rank = input.getRank(), spatial = rank - 2;
  if (spatial < 1 || spatial > 3)
    return inferError(location, name)
           << "input must have 1 to 3 spatial dims ([N, C, D1, ...]), got rank "
           << rank;
  if (weight.getRank() != rank)
    return inferError(location, name) << "weight must have the input's rank "
                                      << rank << ", got " << weight.getRank();
  if (!weight.hasStaticShape())
    return inferError(location, name) << "weight must have a static shape";
  ArrayRef<int64_t> strides = adaptor.getStrides(), pads = adaptor.getPads(),
                    dilations = adaptor.getDilations();
  if (int64_t(strides.size()) != spatial ||
      int64_t(dilations.size()) != spatial ||
      int64_t(pads.size()) != 2 * spatial)
    return inferError(location, name)
           << "strides and dilations need " << spatial << " values and pads "
           << 2 * spatial << ", got " << strides.size() << ", "
           << dilations.size() << " and " << pads.size();
  int64_t group = adaptor.getGroup(), m = weight.getDimSize(0);
  int64_t c = input.getDimSize(1);
  if (group < 1 || m % group != 0)
    return inferError(location, name)
           << "group = " << group << " must be positive and divide the " << m
           << " output channels";
  if (ShapedType::isDynamic(c))
    return inferError(location, name)
           << "the input's channel dim (1) must be static";
  if (c != weight.getDimSize(1) * group)
    return inferError(location, name)
           << "the input's " << c << " channels must equal the weight's "
           << weight.getDimSize(1) << " per group times group = " << group;
  if (Value bias = adaptor.getBias()) {
    auto b = cast<RankedTensorType>(bias.getType());
    if (b.getRank() != 1 || b.getDimSize(0) != m)
      return inferError(location, name)
             << "bias must be [" << m << "], got " << b;
  }
  SmallVector<int64_t> shape = {input.getDimSize(0), m};
  for (int64_t i = 0; i < spatial; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 ||
        pads[i + spatial] < 0)
      return inferError(location, name)
             << "strides and dilations must be positive and pads "
                "non-negative (spatial dim "
             << i << ")";
    int64_t d = input.getDimSize(i + 2), k = weight.getDimSize(i + 2);
    if (ShapedType::isDynamic(d)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t span = d + pads[i] + pads[i + spatial] - dilations[i] * (k - 1);
    if (span < 1)
      return inferError(location, name)
             << "the kernel (" << k << ", dilation " << dilations[i]
             << ") is larger than spatial dim " << i << " with its pads ("
             << d + pads[i] + pads[i + spatial] << ")";
    shape.push_back((span - 1) / strides[i] + 1);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

static LogicalResult inferReduction(std::optional<Location> location,
                                    StringRef opName, Value input,
                                    ArrayRef<int64_t> axes, bool keepdims,
                                    SmallVectorImpl<Type> &types) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  bool valid = !axes.empty();
  for (size_t i = 0; valid && i < axes.size(); ++i)
    valid = axes[i] >= 0 && axes[i] < rank && (i == 0 || axes[i - 1] < axes[i]);
  if (!valid)
    return inferError(location, opName)
           << "axes must be non-empty, sorted, unique and in [0, " << rank
           << "), got " << formatShape(axes);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(type.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  types.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

#define KESTREL_REDUCE_INFER(OP)                                               \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> location, Adaptor adaptor,        \
      SmallVectorImpl<Type> &types) {                                          \
    return inferReduction(location, getOperationName(), adaptor.getInput(),    \
                          adaptor.getAxes(), adaptor.getKeepdims(), types);    \
  }
KESTREL_REDUCE_INFER(ReduceSumOp)
KESTREL_REDUCE_INFER(ReduceMeanOp)
KESTREL_REDUCE_INFER(ReduceMaxOp)
KESTREL_REDUCE_INFER(ReduceMinOp)
#undef KESTREL_REDUCE_INFER

//===----------------------------------------------------------------------===//
// ConstantOp and WeightOp
//===----------------------------------------------------------------------===//

/// Inline literals above this many elements belong in the weights file.
static constexpr int64_t kMaxInlineConstantElements = 1 << 16;

LogicalResult ConstantOp::verify() {
  ElementsAttr value = getValue();
  if (!value.isSplat() && value.getNumElements() > kMaxInlineConstantElements)
    return emitOpError("literal with ")
           << value.getNumElements() << " elements exceeds the "
           << kMaxInlineConstantElements
           << "-element limit for inline constants; store it as a "
              "kestrel.weight";
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError("name must not be empty");
  return success();
}

//===----------------------------------------------------------------------===//
// ShapeOfOp, RangeOp, TopKOp
//===----------------------------------------------------------------------===//

LogicalResult ShapeOfOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  types.push_back(
      RankedTensorType::get({input.getRank()}, IntegerType::get(context, 64)));
  return success();
}

LogicalResult RangeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  types.push_back(RankedTensorType::get(
      {ShapedType::kDynamic},
      getElementTypeOrSelf(adaptor.getStart().getType())));
  return success();
}

LogicalResult NonZeroOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  types.push_back(RankedTensorType::get(
      {std::max<int64_t>(input.getRank(), 1), ShapedType::kDynamic},
      IntegerType::get(context, 64)));
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *context,
                                       std::optional<Location> location,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t axis = adaptor.getAxis(), k = adaptor.getK();
  if (failed(checkAxis(location, getOperationName(), "axis", axis,
                       input.getRank())))
    return failure();
  int64_t size = input.getDimSize(axis);
  if (k <= 0 || (!ShapedType::isDynamic(size) && k > size))
    return inferError(location, getOperationName())
           << "k = " << k << " must be in [1, " << size
           << "] (the size of axis " << axis << ")";
  SmallVector<int64_t> shape(input.getShape());
  shape[axis] = k;
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  types.push_back(RankedTensorType::get(shape, IntegerType::get(context, 64)));
  return success();
}
