//===- KestrelTraits.h - Op traits of the kestrel dialect -------*- C++ -*-===//
//
// ShapeRules: verification through an op's own result-type inference.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_DIALECTS_KESTREL_IR_KESTRELTRAITS_H
#define KESTREL_DIALECTS_KESTREL_IR_KESTRELTRAITS_H

#include "mlir/IR/OpDefinition.h"

namespace kestrel {

/// Reports "result type(s) ... are incompatible with the inferred type(s)
/// ..." on `op` and returns failure.
llvm::LogicalResult emitIncompatibleResultTypes(mlir::Operation *op,
                                                mlir::TypeRange inferred);

namespace OpTrait {

/// Runs the op's inferReturnTypes with the op's location, so a broken shape
/// rule reports its own message, then checks the declared result types
/// against the inferred ones. Listed before InferTypeOpInterface so that its
/// (redundant, less specific) verifier only sees ops that pass.
template <typename ConcreteType>
class ShapeRules : public mlir::OpTrait::TraitBase<ConcreteType, ShapeRules> {
public:
  static llvm::LogicalResult verifyTrait(mlir::Operation *op) {
    llvm::SmallVector<mlir::Type, 2> inferred;
    if (failed(ConcreteType::inferReturnTypes(
            op->getContext(), op->getLoc(), op->getOperands(),
            op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
            op->getRegions(), inferred)))
      return llvm::failure();
    if (!ConcreteType::isCompatibleReturnTypes(op->getResultTypes(), inferred))
      return emitIncompatibleResultTypes(op, inferred);
    return llvm::success();
  }
};

} // namespace OpTrait
} // namespace kestrel

#endif // KESTREL_DIALECTS_KESTREL_IR_KESTRELTRAITS_H
