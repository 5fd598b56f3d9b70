//===- KestrelDataMovementOps.cpp - Reshape, transpose, slice, ... --------===//
//
// Inference, verifiers and folders of the kestrel data movement ops.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/ConstantFolding.h"
#include "dialects/kestrel/IR/KestrelOps.h"
#include "dialects/kestrel/IR/OpDiagnostics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace kestrel;

/// Checks the optional 1-D shape operand of reshape/expand against the
/// result rank.
static LogicalResult verifyShapeOperand(Operation *op, Value shape,
                                        RankedTensorType result) {
  if (!shape)
    return success();
  auto type = cast<RankedTensorType>(shape.getType());
  if (type.isDynamicDim(0))
    return op->emitOpError("shape operand must have a static length");
  if (type.getDimSize(0) != result.getRank())
    return op->emitOpError("shape operand has ")
           << type.getDimSize(0) << " entries but the result has rank "
           << result.getRank();
  return success();
}

static LogicalResult verifySameElementType(Operation *op, Type input,
                                           Type result) {
  Type in = getElementTypeOrSelf(input), out = getElementTypeOrSelf(result);
  if (in != out)
    return op->emitOpError("result element type ")
           << out << " differs from the input element type " << in;
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (failed(verifySameElementType(*this, input, result)) ||
      failed(verifyShapeOperand(*this, getShape(), result)))
    return failure();
  if (!getShape() && result.getNumDynamicDims() > 1)
    return emitOpError("result has ")
           << result.getNumDynamicDims()
           << " dynamic dimensions; without a shape operand at most one can "
              "be inferred";
  if (input.hasStaticShape() && result.hasStaticShape() &&
      input.getNumElements() != result.getNumElements())
    return emitOpError("input has ")
           << input.getNumElements() << " elements but the result type holds "
           << result.getNumElements();
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  auto result = cast<RankedTensorType>(getType());
  // The data order never changes, so only the final shape matters.
  if (getInput().getType() == result &&
      (!getShape() || result.hasStaticShape()))
    return getInput();
  // reshape(reshape(x)) reads x directly, unless this reshape's shape
  // copies input dims (ONNX's 0 entries), which would then be x's dims.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    bool copiesDims = false;
    if (getShape() && !getAllowZero()) {
      auto shape = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getShape());
      copiesDims =
          !shape || llvm::any_of(shape.getValues<APInt>(),
                                 [](const APInt &v) { return v.isZero(); });
    }
    if (!copiesDims) {
      getInputMutable().assign(producer.getInput());
      return getResult();
    }
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    if (result.hasStaticShape())
      return dense.reshape(result);
  // A constant shape operand that the result type already spells out (at
  // most one dim left to infer from the element count) is redundant.
  if (auto shape = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getShape())) {
    auto input = cast<RankedTensorType>(getInput().getType());
    bool redundant = result.getNumDynamicDims() <= 1;
    for (auto [i, v] : llvm::enumerate(shape.getValues<APInt>())) {
      int64_t entry = v.getSExtValue();
      int64_t dim = result.getDimSize(i);
      if (entry == 0 && !getAllowZero() &&
          static_cast<int64_t>(i) < input.getRank())
        entry = input.getDimSize(i);
      if (entry == -1 || ShapedType::isDynamic(entry))
        continue;
      redundant &= entry == dim;
    }
    if (redundant) {
      getShapeMutable().clear();
      return getResult();
    }
  }
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

static bool isPermutation(ArrayRef<int64_t> perm, int64_t rank) {
  if (static_cast<int64_t>(perm.size()) != rank)
    return false;
  SmallVector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return false;
    seen[p] = true;
  }
  return true;
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  if (!isPermutation(perm, input.getRank()))
    return inferError(location, getOperationName())
           << "permutation " << formatShape(perm)
           << " is not a permutation of [0, " << input.getRank() << ")";
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(input.getDimSize(p));
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())) &&
      getInput().getType() == getType())
    return getInput();
  if (auto producer = getInput().getDefiningOp<TransposeOp>()) {
    // transpose(transpose(x, p), q) reads x[p[q[i]]].
    SmallVector<int64_t> composed;
    for (int64_t q : perm)
      composed.push_back(producer.getPermutation()[q]);
    if (llvm::equal(composed, llvm::seq<int64_t>(0, composed.size())) &&
        producer.getInput().getType() == getType())
      return producer.getInput();
    getInputMutable().assign(producer.getInput());
    setPermutation(composed);
    return getResult();
  }
  auto result = cast<RankedTensorType>(getType());
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    if (result.hasStaticShape())
      return splat.resizeSplat(result);
  return {};
}

//===----------------------------------------------------------------------===//
// ConcatOp and SplitOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return inferError(location, getOperationName()) << "needs an input";
  auto first = cast<RankedTensorType>(inputs.front().getType());
  int64_t rank = first.getRank(), axis = adaptor.getAxis();
  if (failed(checkAxis(location, getOperationName(), "axis", axis, rank)))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (auto [i, value] : llvm::enumerate(inputs.drop_front())) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() != rank)
      return inferError(location, getOperationName())
             << "input " << i + 1 << " has rank " << type.getRank()
             << ", expected " << rank;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t size = type.getDimSize(d);
      if (d == axis) {
        shape[d] =
            ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(size)
                ? ShapedType::kDynamic
                : shape[d] + size;
        continue;
      }
      if (ShapedType::isDynamic(shape[d])) {
        shape[d] = size;
      } else if (!ShapedType::isDynamic(size) && size != shape[d]) {
        return inferError(location, getOperationName())
               << "input " << i + 1 << " has size " << size << " in dimension "
               << d << " where the inputs before it have " << shape[d];
      }
    }
  }
  types.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> location,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(location, getOperationName(), "axis", axis,
                       input.getRank())))
    return failure();
  ArrayRef<int64_t> sizes = adaptor.getSizes();
  if (sizes.empty() || llvm::any_of(sizes, [](int64_t s) { return s < 0; }))
    return inferError(location, getOperationName())
           << "sizes must be non-empty and non-negative, got "
           << formatShape(sizes);
  int64_t total = 0;
  for (int64_t s : sizes)
    total += s;
  int64_t dim = input.getDimSize(axis);
  if (!ShapedType::isDynamic(dim) && total != dim)
    return inferError(location, getOperationName())
           << "sizes add up to " << total << ", but dimension " << axis
           << " has size " << dim;
  for (int64_t s : sizes) {
    SmallVector<int64_t> shape(input.getShape());
    shape[axis] = s;
    types.push_back(RankedTensorType::get(shape, input.getElementType()));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

/// Elements ONNX Slice takes from a dimension of static size `dim`.
static int64_t slicedSize(int64_t dim, int64_t start, int64_t end,
                          int64_t step) {
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  // ceil(distance / |step|) in unsigned arithmetic: a step may be as large
  // as int64 allows (the distance is at most `dim`).
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    return end > start ? static_cast<int64_t>(llvm::divideCeil(
                             uint64_t(end - start), uint64_t(step)))
                       : 0;
  }
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  return start > end ? static_cast<int64_t>(llvm::divideCeil(
                           uint64_t(start - end), 0 - uint64_t(step)))
                     : 0;
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> location,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> starts = adaptor.getStarts(), ends = adaptor.getEnds(),
                    steps = adaptor.getSteps();
  int64_t rank = input.getRank();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(ends.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return inferError(location, getOperationName())
           << "starts, ends and steps need one entry per dimension (rank "
           << rank << "), got " << starts.size() << ", " << ends.size()
           << " and " << steps.size();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (steps[d] == 0)
      return inferError(location, getOperationName())
             << "step of dimension " << d << " is zero";
    int64_t dim = input.getDimSize(d);
    shape.push_back(ShapedType::isDynamic(dim)
                        ? ShapedType::kDynamic
                        : slicedSize(dim, starts[d], ends[d], steps[d]));
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> location,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto value = cast<RankedTensorType>(adaptor.getValue().getType());
  ArrayRef<int64_t> pads = adaptor.getPads();
  int64_t rank = input.getRank();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return inferError(location, name)
           << "pads needs " << 2 * rank << " entries (begin and end pads of "
           << rank << " dims), got " << pads.size();
  if (value.getRank() != 0)
    return inferError(location, name)
           << "value must be a rank-0 tensor, got " << value;
  StringRef mode = adaptor.getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return inferError(location, name)
           << "mode must be constant, reflect, edge or wrap, got '" << mode
           << "'";
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = input.getDimSize(d);
    if (ShapedType::isDynamic(dim)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t size = dim + pads[d] + pads[rank + d];
    if (size < 0)
      return inferError(location, name)
             << "dimension " << d << " of size " << dim << " cannot take pads ("
             << pads[d] << ", " << pads[rank + d] << ")";
    if (mode != "constant" && dim == 0 && size > 0)
      return inferError(location, name)
             << mode << " padding needs entries to copy, and dimension " << d
             << " is empty";
    shape.push_back(size);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (!input.hasStaticShape() || !result.hasStaticShape())
    return {};
  bool identity = input == result;
  for (int64_t d = 0; identity && d < input.getRank(); ++d)
    identity = getSteps()[d] == 1 && getStarts()[d] == 0 &&
               (getEnds()[d] < 0 || getEnds()[d] >= input.getDimSize(d));
  if (identity)
    return getInput();
  DenseElementsAttr dense = getFoldableConstant(adaptor.getInput());
  if (!dense)
    return {};
  // Walk the result index space; each result dimension d reads input
  // element start[d] + i * step[d] (start normalized and clamped as in
  // ONNX Slice).
  int64_t rank = input.getRank();
  SmallVector<int64_t> start(rank), inStride(rank, 1);
  for (int64_t d = rank - 1; d >= 0; --d) {
    int64_t dim = input.getDimSize(d), s = getStarts()[d];
    if (s < 0)
      s += dim;
    start[d] = getSteps()[d] > 0 ? std::clamp<int64_t>(s, 0, dim)
                                 : std::clamp<int64_t>(s, 0, dim - 1);
    if (d + 1 < rank)
      inStride[d] = inStride[d + 1] * input.getDimSize(d + 1);
  }
  auto values = llvm::to_vector(dense.getValues<Attribute>());
  SmallVector<Attribute> out;
  SmallVector<int64_t> index(rank, 0);
  for (int64_t n = 0, e = result.getNumElements(); n < e; ++n) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += (start[d] + index[d] * getSteps()[d]) * inStride[d];
    out.push_back(values[offset]);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < result.getDimSize(d))
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::get(result, out);
}

LogicalResult DynamicSliceOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (failed(verifySameElementType(*this, input, result)))
    return failure();
  if (result.getRank() != input.getRank())
    return emitOpError("result rank ")
           << result.getRank() << " differs from the input rank "
           << input.getRank();
  for (Value bound : {getStarts(), getEnds(), getSteps()}) {
    auto type = cast<RankedTensorType>(bound.getType());
    if (type.getDimSize(0) != input.getRank())
      return emitOpError("starts, ends and steps need one entry per input "
                         "dimension (")
             << input.getRank() << "), got " << formatShape(type.getShape());
  }
  return success();
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(location, getOperationName(), "axis", axis,
                       input.getRank())))
    return failure();
  SmallVector<int64_t> shape(input.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, input.getShape().drop_front(axis + 1));
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  if (failed(checkAxis(location, getOperationName(), "axis", adaptor.getAxis(),
                       input.getRank())))
    return failure();
  if (indices.getRank() != input.getRank())
    return inferError(location, getOperationName())
           << "indices have rank " << indices.getRank()
           << ", expected the input's rank " << input.getRank();
  types.push_back(
      RankedTensorType::get(indices.getShape(), input.getElementType()));
  return success();
}

LogicalResult GatherNdOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> location,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  int64_t batch = adaptor.getBatchDims();
  if (indices.getRank() < 1 || indices.isDynamicDim(indices.getRank() - 1))
    return inferError(location, getOperationName())
           << "indices need a static last dimension";
  int64_t k = indices.getShape().back();
  if (batch < 0 || batch >= std::min(input.getRank(), indices.getRank()) ||
      batch + k > input.getRank())
    return inferError(location, getOperationName())
           << "batch_dims = " << batch << " with index depth " << k
           << " does not fit a rank-" << input.getRank() << " input";
  SmallVector<int64_t> shape(indices.getShape().drop_back());
  llvm::append_range(shape, input.getShape().drop_front(batch + k));
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// ScatterElementsOp, ScatterNdOp
//===----------------------------------------------------------------------===//

/// The reduction is one ONNX names and updates have the input's element
/// type; the result is the input's type.
static LogicalResult inferScatter(std::optional<Location> location,
                                  StringRef opName, Value input, Value updates,
                                  StringRef reduction,
                                  SmallVectorImpl<Type> &types) {
  auto type = cast<RankedTensorType>(input.getType());
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return inferError(location, opName)
           << "reduction '" << reduction
           << "' is not one of none, add, mul, max, min";
  if (cast<RankedTensorType>(updates.getType()).getElementType() !=
      type.getElementType())
    return inferError(location, opName)
           << "updates must have the input's element type "
           << type.getElementType();
  types.push_back(type);
  return success();
}

LogicalResult ScatterElementsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto updates = cast<RankedTensorType>(adaptor.getUpdates().getType());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= input.getRank())
    return inferError(location, getOperationName())
           << "axis " << axis << " is out of range for a rank-"
           << input.getRank() << " input";
  if (indices.getRank() != input.getRank() ||
      updates.getRank() != input.getRank())
    return inferError(location, getOperationName())
           << "indices and updates must have the input's rank "
           << input.getRank();
  for (int64_t d = 0; d < input.getRank(); ++d) {
    int64_t i = indices.getDimSize(d), u = updates.getDimSize(d),
            x = input.getDimSize(d);
    if (!ShapedType::isDynamic(i) && !ShapedType::isDynamic(u) && i != u)
      return inferError(location, getOperationName())
             << "indices and updates differ in dim " << d;
    if (d != axis && !ShapedType::isDynamic(i) && !ShapedType::isDynamic(x) &&
        i > x)
      return inferError(location, getOperationName())
             << "indices dim " << d << " (" << i
             << ") is larger than the input's (" << x << ")";
  }
  return inferScatter(location, getOperationName(), adaptor.getInput(),
                      adaptor.getUpdates(), adaptor.getReduction(), types);
}

LogicalResult ScatterNdOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto updates = cast<RankedTensorType>(adaptor.getUpdates().getType());
  if (indices.getRank() < 1 || indices.isDynamicDim(indices.getRank() - 1))
    return inferError(location, getOperationName())
           << "indices need a static last dimension";
  int64_t k = indices.getShape().back();
  if (k < 1 || k > input.getRank())
    return inferError(location, getOperationName())
           << "index depth " << k << " must be in [1, " << input.getRank()
           << "]";
  SmallVector<int64_t> want(indices.getShape().drop_back());
  llvm::append_range(want, input.getShape().drop_front(k));
  bool fits = updates.getRank() == int64_t(want.size());
  for (int64_t d = 0; fits && d < updates.getRank(); ++d)
    fits = ShapedType::isDynamic(want[d]) || updates.isDynamicDim(d) ||
           want[d] == updates.getDimSize(d);
  if (!fits)
    return inferError(location, getOperationName())
           << "updates " << updates
           << " do not have the shape indices.shape[:-1] + input.shape[k:]";
  return inferScatter(location, getOperationName(), adaptor.getInput(),
                      adaptor.getUpdates(), adaptor.getReduction(), types);
}

//===----------------------------------------------------------------------===//
// ExpandOp
//===----------------------------------------------------------------------===//

LogicalResult ExpandOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (failed(verifySameElementType(*this, input, result)))
    return failure();
  if (Value shape = getShape()) {
    auto type = cast<RankedTensorType>(shape.getType());
    if (type.isDynamicDim(0))
      return emitOpError("shape operand must have a static length");
    int64_t rank = std::max(type.getDimSize(0), input.getRank());
    if (rank != result.getRank())
      return emitOpError("result rank ")
             << result.getRank()
             << " differs from the broadcast rank of the input and the shape "
                "operand ("
             << rank << ")";
  }
  int64_t offset = result.getRank() - input.getRank();
  if (offset < 0)
    return emitOpError("result rank ")
           << result.getRank() << " is lower than the input rank "
           << input.getRank();
  for (int64_t j = 0; j < result.getRank(); ++j) {
    int64_t out = result.getDimSize(j);
    int64_t in = j >= offset ? input.getDimSize(j - offset) : 1;
    if (!ShapedType::isDynamic(out) && !ShapedType::isDynamic(in) && in != 1 &&
        in != out)
      return emitOpError("input dimension ")
             << j - offset << " (size " << in
             << ") does not broadcast to result size " << out;
    if (!getShape() && ShapedType::isDynamic(out) && in == 1)
      return emitOpError("result dimension ")
             << j
             << " is dynamic but has no input dimension to take its size "
                "from; pass a shape operand";
  }
  return success();
}

OpFoldResult ExpandOp::fold(FoldAdaptor) {
  auto result = cast<RankedTensorType>(getType());
  if (getInput().getType() == result &&
      (!getShape() || result.hasStaticShape()))
    return getInput();
  return {};
}
