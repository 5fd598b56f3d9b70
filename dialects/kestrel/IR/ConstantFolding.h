//===- ConstantFolding.h - Folding ops on small constants -------*- C++ -*-===//
//
// Evaluation of kestrel ops whose operands are small dense constants: the
// shape arithmetic exporters write (Shape -> Gather -> Concat -> Reshape,
// Range, Where over shape vectors) folds away when shapes are static.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_DIALECTS_KESTREL_IR_CONSTANTFOLDING_H
#define KESTREL_DIALECTS_KESTREL_IR_CONSTANTFOLDING_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpDefinition.h"

namespace kestrel {

/// Constants above this many elements are not folded, nor are results
/// above it produced (folding is for shape arithmetic and small masks, not
/// for data: a folded S x S causal mask would become an inline literal).
constexpr int64_t kMaxFoldedElements = 1 << 12;

/// Folds a broadcasting binary op (add, sub, mul, div, pow, max, min,
/// comparisons, and/or/xor) over two dense constants; null when it cannot.
mlir::OpFoldResult foldBinaryConstants(mlir::Operation *op, mlir::Attribute lhs,
                                       mlir::Attribute rhs);

/// The dense constant `attr` as a DenseElementsAttr when it is one of at most
/// kMaxFoldedElements elements, else null.
mlir::DenseElementsAttr getFoldableConstant(mlir::Attribute attr);

} // namespace kestrel

#endif // KESTREL_DIALECTS_KESTREL_IR_CONSTANTFOLDING_H
