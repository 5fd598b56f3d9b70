//===- AssignStorage.cpp - The storage precision of every value -----------===//
//
// Implements kestrel-assign-storage: applies the storage policy of
// passes/StorageTypes.h to the IR's types, as #kestrel.storage encodings of
// the f32 tensors stored in bf16/f16, the function's signature included.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/BufferPlan.h"
#include "passes/StorageTypes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace kestrel {
#define GEN_PASS_DEF_ASSIGNSTORAGE
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

struct AssignStoragePass
    : public kestrel::impl::AssignStorageBase<AssignStoragePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    FailureOr<Type> storage =
        storagePrecisionType(&getContext(), precision.getValue());
    if (failed(storage)) {
      func.emitError("kestrel-assign-storage: unknown precision '")
          << precision.getValue() << "' (expected f32, bf16 or f16)";
      return signalPassFailure();
    }
    FailureOr<BufferPlan> plan = planBuffers(func);
    if (failed(plan))
      return signalPassFailure();
    // The policy looks at element types only, so a second run (another
    // precision) starts from the same answer.
    std::vector<Type> types = storageElementTypes(func, *plan, *storage);
    for (auto [i, p] : llvm::enumerate(plan->values)) {
      auto type = cast<RankedTensorType>(p.value.getType());
      RankedTensorType stored = withStorage(type, types[i]);
      if (stored == type)
        continue;
      if (auto constant = p.value.getDefiningOp<ConstantOp>()) {
        // A literal's type is its value's: store the literal so.
        auto value = cast<DenseElementsAttr>(constant.getValue());
        constant.setValueAttr(value.reshape(stored));
      }
      p.value.setType(stored);
    }
    Block &body = func.getBody().front();
    func.setFunctionType(
        FunctionType::get(&getContext(), body.getArgumentTypes(),
                          body.getTerminator()->getOperandTypes()));
  }
};

} // namespace
