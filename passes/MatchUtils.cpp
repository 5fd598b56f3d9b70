//===- MatchUtils.cpp - Small IR matchers the fusion passes share ---------===//

#include "passes/MatchUtils.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace kestrel {

std::optional<double> scalarFloatConstant(Value v) {
  Attribute attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto dense = dyn_cast<DenseFPElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToDouble();
}

Value otherOperand(Operation *op, Value v) {
  if (op->getNumOperands() != 2)
    return {};
  if (op->getOperand(0) == v)
    return op->getOperand(1);
  if (op->getOperand(1) == v)
    return op->getOperand(0);
  return {};
}

Operation *singleUser(Value v) {
  return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
}

/// The static length of a 1-D vector, or nullopt.
static std::optional<int64_t> vectorLength(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() > 1 || !type.hasStaticShape())
    return std::nullopt;
  return type.getRank() == 0 ? 1 : type.getDimSize(0);
}

/// The integer elements of a constant.
static std::optional<SmallVector<int64_t>> intConstant(Value v) {
  DenseIntElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &i : attr.getValues<APInt>())
    values.push_back(i.getSExtValue());
  return values;
}

std::optional<ShapeElement> traceShapeElement(Value vec, int64_t index) {
  // Exporters' shape arithmetic is shallow; the bound only guards cycles of
  // malformed input.
  for (int depth = 0; depth < 32; ++depth) {
    std::optional<int64_t> length = vectorLength(vec);
    if (!length || index < 0 || index >= *length)
      return std::nullopt;
    if (std::optional<SmallVector<int64_t>> values = intConstant(vec))
      return ShapeElement{(*values)[index], {}, -1};
    Operation *def = vec.getDefiningOp();
    if (!def)
      return std::nullopt;
    if (auto shapeOf = dyn_cast<ShapeOfOp>(def))
      return ShapeElement{std::nullopt, shapeOf.getInput(), index};
    if (auto concat = dyn_cast<ConcatOp>(def)) {
      Value next;
      for (Value input : concat.getInputs()) {
        std::optional<int64_t> n = vectorLength(input);
        if (!n)
          return std::nullopt;
        if (index < *n) {
          next = input;
          break;
        }
        index -= *n;
      }
      if (!next)
        return std::nullopt;
      vec = next;
      continue;
    }
    if (auto slice = dyn_cast<SliceOp>(def)) {
      std::optional<int64_t> inLength = vectorLength(slice.getInput());
      if (!inLength || slice.getStarts().size() != 1 ||
          slice.getSteps()[0] != 1)
        return std::nullopt;
      int64_t start = slice.getStarts()[0];
      if (start < 0)
        start = std::max<int64_t>(0, start + *inLength);
      start = std::min(start, *inLength);
      index += start;
      vec = slice.getInput();
      continue;
    }
    if (auto gather = dyn_cast<GatherOp>(def)) {
      std::optional<SmallVector<int64_t>> indices =
          intConstant(gather.getIndices());
      std::optional<int64_t> inLength = vectorLength(gather.getInput());
      if (!indices || !inLength || gather.getAxis() != 0)
        return std::nullopt;
      int64_t i = (*indices)[index];
      index = i < 0 ? i + *inLength : i;
      vec = gather.getInput();
      continue;
    }
    if (auto reshape = dyn_cast<ReshapeOp>(def)) {
      // Only the scalar <-> one-element vector reshapes keep element order
      // trivially.
      if (vectorLength(reshape.getInput()) != 1)
        return std::nullopt;
      vec = reshape.getInput();
      continue;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

bool shapeElementIsDim(Value vec, int64_t index, Value tensor, int64_t dim) {
  std::optional<ShapeElement> element = traceShapeElement(vec, index);
  if (!element)
    return false;
  auto type = cast<RankedTensorType>(tensor.getType());
  if (element->constant)
    return !type.isDynamicDim(dim) && type.getDimSize(dim) == element->constant;
  // The dim itself, or the dim it came from through transposes (exporters
  // read a transposed tensor's shape off its input).
  Value t = tensor;
  for (int64_t d = dim; t;) {
    if (element->tensor == t && element->dim == d)
      return true;
    auto transpose = t.getDefiningOp<TransposeOp>();
    if (!transpose)
      break;
    d = transpose.getPermutation()[d];
    t = transpose.getInput();
  }
  // Another tensor whose dim is statically the same size.
  auto other = cast<RankedTensorType>(element->tensor.getType());
  return !type.isDynamicDim(dim) && !other.isDynamicDim(element->dim) &&
         type.getDimSize(dim) == other.getDimSize(element->dim);
}

} // namespace kestrel
