//===- MatchUtils.h - Small IR matchers the fusion passes share -*- C++ -*-===//
//
// Helpers for recognizing exporter-written op chains: scalar constants, lone
// users, and what one element of a shape vector (the `shape` operand of a
// reshape or expand) is in terms of the dims of other tensors.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PASSES_MATCHUTILS_H
#define KESTREL_PASSES_MATCHUTILS_H

#include "mlir/IR/Value.h"

#include <optional>

namespace kestrel {

/// The value of a scalar float constant (a splat of any shape).
std::optional<double> scalarFloatConstant(mlir::Value v);

/// The other operand of a binary op, when one operand is `v`.
mlir::Value otherOperand(mlir::Operation *op, mlir::Value v);

/// The single user of `v`, if it has exactly one.
mlir::Operation *singleUser(mlir::Value v);

/// One element of a 1-D i64 shape vector, as far as the IR tells: a
/// constant, or dim `dim` of `tensor` (read through shape_of).
struct ShapeElement {
  std::optional<int64_t> constant;
  mlir::Value tensor;
  int64_t dim = -1;
};

/// Traces element `index` of the 1-D shape vector `vec` through concat,
/// slice, gather with constant indices, one-element reshapes, constants and
/// shape_of. Returns nullopt where the IR does not say.
std::optional<ShapeElement> traceShapeElement(mlir::Value vec, int64_t index);

/// Whether element `index` of `vec` is dim `dim` of `tensor`: read from it
/// with shape_of, or a constant equal to that dim's static size.
bool shapeElementIsDim(mlir::Value vec, int64_t index, mlir::Value tensor,
                       int64_t dim);

} // namespace kestrel

#endif // KESTREL_PASSES_MATCHUTILS_H
