//===- ShapeInference.cpp - Result-type inference for kestrel ops ---------===//
//
// Broadcasting and type-compatibility rules shared by the kestrel ops.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/ShapeInference.h"
#include "dialects/kestrel/IR/KestrelTraits.h"
#include "dialects/kestrel/IR/OpDiagnostics.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kestrel {

std::optional<int64_t> staticElementCount(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    if (!ShapedType::isDynamic(d) && llvm::MulOverflow(count, d, count))
      return std::nullopt;
  return count;
}

std::optional<int64_t> rangeLength(int64_t start, int64_t limit,
                                   int64_t delta) {
  if (delta == 0)
    return std::nullopt;
  // In 128 bits: limit - start may not fit in 64.
  __int128 distance = __int128(limit) - start;
  __int128 count = distance / delta;
  if (distance % delta != 0 && (distance > 0) == (delta > 0))
    ++count;
  if (count > std::numeric_limits<int64_t>::max())
    return std::nullopt;
  return static_cast<int64_t>(std::max<__int128>(count, 0));
}

std::optional<int64_t> rangeLength(double start, double limit, double delta) {
  if (delta == 0)
    return std::nullopt;
  double count = std::ceil((limit - start) / delta);
  if (!(count < 0x1p63)) // NaN, infinite or past int64
    return std::nullopt;
  return static_cast<int64_t>(std::max(count, 0.0));
}

bool areCompatibleTensorTypes(TypeRange declared, TypeRange inferred) {
  if (declared.size() != inferred.size())
    return false;
  for (auto [d, i] : llvm::zip_equal(declared, inferred)) {
    auto dt = dyn_cast<RankedTensorType>(d);
    auto it = dyn_cast<RankedTensorType>(i);
    if (!dt || !it) {
      if (d != i)
        return false;
      continue;
    }
    if (dt.getElementType() != it.getElementType() ||
        failed(verifyCompatibleShape(dt.getShape(), it.getShape())))
      return false;
  }
  return true;
}

LogicalResult broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes,
                              SmallVectorImpl<int64_t> &result) {
  size_t rank = 0;
  for (ArrayRef<int64_t> s : shapes)
    rank = std::max(rank, s.size());
  result.assign(rank, 1);
  // Walk every shape right-aligned. A dynamic size meets a 1 as dynamic and
  // a static size > 1 as that size (the only value it can legally have).
  for (ArrayRef<int64_t> s : shapes) {
    size_t offset = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t &out = result[offset + i];
      int64_t in = s[i];
      if (in == 1)
        continue;
      if (out == 1) {
        out = in;
        continue;
      }
      if (ShapedType::isDynamic(in))
        continue;
      if (ShapedType::isDynamic(out)) {
        out = in;
        continue;
      }
      if (in != out)
        return failure();
    }
  }
  return success();
}

LogicalResult inferElementwiseResult(std::optional<Location> location,
                                     StringRef opName, TypeRange operandTypes,
                                     Type resultElementType,
                                     SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Type t : operandTypes) {
    auto ranked = dyn_cast<RankedTensorType>(t);
    if (!ranked)
      return inferError(location, opName) << "operands must be ranked tensors";
    shapes.push_back(ranked.getShape());
  }
  if (shapes.empty())
    return inferError(location, opName) << "needs an operand";
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(shapes, shape))) {
    std::string list;
    llvm::raw_string_ostream os(list);
    llvm::interleave(
        shapes, os, [&](ArrayRef<int64_t> s) { os << formatShape(s); },
        " and ");
    return inferError(location, opName)
           << "operand shapes " << list << " do not broadcast";
  }
  if (!resultElementType)
    resultElementType = getElementTypeOrSelf(operandTypes.front());
  inferred.push_back(RankedTensorType::get(shape, resultElementType));
  return success();
}

LogicalResult emitIncompatibleResultTypes(Operation *op, TypeRange inferred) {
  return op->emitOpError("result type(s) ")
         << op->getResultTypes()
         << " are incompatible with the inferred type(s) " << inferred;
}

RankedTensorType joinTensorTypes(RankedTensorType a, RankedTensorType b) {
  if (!a || !b || a.getElementType() != b.getElementType() ||
      a.getRank() != b.getRank())
    return nullptr;
  SmallVector<int64_t> shape;
  for (auto [x, y] : llvm::zip_equal(a.getShape(), b.getShape())) {
    if (ShapedType::isDynamic(x)) {
      shape.push_back(y);
    } else if (ShapedType::isDynamic(y) || x == y) {
      shape.push_back(x);
    } else {
      return nullptr;
    }
  }
  return RankedTensorType::get(shape, a.getElementType(), a.getEncoding());
}

} // namespace kestrel
