//===- ShapeInference.h - Result-type inference for kestrel ops -*- C++ -*-===//
//
// Shape rules shared by the kestrel ops' inferReturnTypes methods and by the
// passes that refine types (kestrel-infer-shapes). Each function reports a
// failure at `location` (when given) with the op name, in the same form as
// emitOpError, and returns failure.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_DIALECTS_KESTREL_IR_SHAPEINFERENCE_H
#define KESTREL_DIALECTS_KESTREL_IR_SHAPEINFERENCE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/TypeRange.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/LogicalResult.h"

#include <optional>

namespace kestrel {

/// True when `declared[i]` may stand for `inferred[i]` for every i: same
/// element type, same rank, and equal sizes wherever both are static.
bool areCompatibleTensorTypes(mlir::TypeRange declared,
                              mlir::TypeRange inferred);

/// The product of `shape`'s static sizes, or nullopt when it overflows
/// int64: no tensor has that many elements, so the importer and the shape
/// rules reject such shapes rather than compute with them.
std::optional<int64_t> staticElementCount(llvm::ArrayRef<int64_t> shape);

/// The length of ONNX Range(start, limit, delta), max(ceil((limit - start) /
/// delta), 0), computed exactly; nullopt when delta is 0 or the length is
/// NaN or past int64.
std::optional<int64_t> rangeLength(int64_t start, int64_t limit, int64_t delta);
std::optional<int64_t> rangeLength(double start, double limit, double delta);

/// NumPy broadcast of `shapes` (dynamic dims included). Fails when two static
/// sizes differ and neither is 1.
llvm::LogicalResult
broadcastShapes(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes,
                llvm::SmallVectorImpl<int64_t> &result);

/// Result type of a broadcasting elementwise op: the broadcast shape of
/// `operandTypes` with `resultElementType` (the first operand's element type
/// when null). Operands other than an `i1` first operand (a select
/// condition) must share one element type.
llvm::LogicalResult
inferElementwiseResult(std::optional<mlir::Location> location,
                       llvm::StringRef opName, mlir::TypeRange operandTypes,
                       mlir::Type resultElementType,
                       llvm::SmallVectorImpl<mlir::Type> &inferred);

/// The most precise type compatible with both `a` and `b` (static sizes
/// taken from either), or null when they are incompatible.
/// The result type of a (batched) matmul of `lhs` and `rhs`, shared by
/// kestrel.matmul and kestrel.fused_matmul; failures name `opName`.
llvm::LogicalResult inferMatmulType(std::optional<mlir::Location> location,
                                    llvm::StringRef opName,
                                    mlir::RankedTensorType lhs,
                                    mlir::RankedTensorType rhs, bool transposeA,
                                    bool transposeB,
                                    llvm::SmallVectorImpl<mlir::Type> &types);

mlir::RankedTensorType joinTensorTypes(mlir::RankedTensorType a,
                                       mlir::RankedTensorType b);

} // namespace kestrel

#endif // KESTREL_DIALECTS_KESTREL_IR_SHAPEINFERENCE_H
