//===- InferShapes.cpp - Refine kestrel result types from shape rules -----===//
//
// Implements kestrel-infer-shapes: one forward walk per function that joins
// each declared result type with the type the op infers from its operands.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-infer-shapes"

namespace kestrel {
#define GEN_PASS_DEF_INFERSHAPES
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

/// Types the op's own rules give its results, or failure when it has none.
LogicalResult inferResultTypes(Operation *op, SmallVectorImpl<Type> &types) {
  if (auto infer = dyn_cast<InferTypeOpInterface>(op))
    return infer.inferReturnTypes(
        op->getContext(), /*location=*/std::nullopt, op->getOperands(),
        op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
        op->getRegions(), types);
  // A cast keeps its operand's shape.
  if (auto cast = dyn_cast<CastOp>(op)) {
    auto input = llvm::cast<RankedTensorType>(cast.getInput().getType());
    types.push_back(input.clone(getElementTypeOrSelf(cast.getType())));
    return success();
  }
  // A fused elementwise op yields the broadcast shape of its inputs.
  if (auto fused = dyn_cast<FusedElementwiseOp>(op)) {
    SmallVector<ArrayRef<int64_t>> shapes;
    for (Type t : fused.getInputs().getTypes())
      shapes.push_back(llvm::cast<RankedTensorType>(t).getShape());
    SmallVector<int64_t> shape;
    if (failed(broadcastShapes(shapes, shape)))
      return failure();
    for (Type t : fused.getResultTypes())
      types.push_back(RankedTensorType::get(shape, getElementTypeOrSelf(t)));
    return success();
  }
  // A reshape to a constant shape has that shape.
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    DenseIntElementsAttr shape;
    if (!reshape.getShape() ||
        !matchPattern(reshape.getShape(), m_Constant(&shape)))
      return failure();
    // ONNX Reshape semantics: 0 copies the input dim, -1 is inferred.
    auto input = llvm::cast<RankedTensorType>(reshape.getInput().getType());
    SmallVector<int64_t> dims;
    for (auto [i, d] : llvm::enumerate(shape.getValues<APInt>())) {
      int64_t entry = d.getSExtValue();
      if (entry == 0 && !reshape.getAllowZero() &&
          static_cast<int64_t>(i) < input.getRank())
        entry = input.getDimSize(i);
      dims.push_back(entry < 0 ? ShapedType::kDynamic : entry);
    }
    types.push_back(
        RankedTensorType::get(dims, getElementTypeOrSelf(reshape.getType())));
    return success();
  }
  return failure();
}

/// Users that accept a more refined operand type as it is. A value returned
/// from a function with callers must keep its type.
bool acceptsRefinedType(OpOperand &use) {
  Operation *user = use.getOwner();
  if (isa<KestrelDialect>(user->getDialect()))
    return true;
  if (!isa<func::ReturnOp>(user))
    return false;
  auto func = user->getParentOfType<func::FuncOp>();
  auto module = func->getParentOfType<ModuleOp>();
  return module && SymbolTable::symbolKnownUseEmpty(func, module);
}

void refineResults(Operation *op, int64_t &numRefined) {
  SmallVector<Type> inferred;
  if (failed(inferResultTypes(op, inferred)) ||
      inferred.size() != op->getNumResults())
    return;
  for (auto [result, type] : llvm::zip_equal(op->getResults(), inferred)) {
    auto current = dyn_cast<RankedTensorType>(result.getType());
    RankedTensorType joined =
        joinTensorTypes(current, dyn_cast<RankedTensorType>(type));
    if (!joined || joined == current ||
        !llvm::all_of(result.getUses(), acceptsRefinedType))
      continue;
    LLVM_DEBUG(llvm::dbgs() << "refine " << op->getName() << ": " << current
                            << " -> " << joined << "\n");
    result.setType(joined);
    ++numRefined;
  }
}

struct InferShapesPass
    : public kestrel::impl::InferShapesBase<InferShapesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t refined = 0;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      func.walk([&](Operation *op) {
        if (isa<KestrelDialect>(op->getDialect()))
          refineResults(op, refined);
      });
      // An entry point's result types follow what it returns; a function
      // with callers keeps its signature (the callers expect it).
      auto ret =
          dyn_cast<func::ReturnOp>(func.getBody().back().getTerminator());
      FunctionType type = func.getFunctionType();
      if (!ret || TypeRange(ret.getOperandTypes()) == type.getResults() ||
          !SymbolTable::symbolKnownUseEmpty(func, module))
        continue;
      func.setType(FunctionType::get(&getContext(), type.getInputs(),
                                     ret.getOperandTypes()));
    }
    numRefined += refined;
  }
};

} // namespace
