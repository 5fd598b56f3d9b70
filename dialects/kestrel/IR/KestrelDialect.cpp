//===- KestrelDialect.cpp - Kestrel dialect registration ------------------===//
//
// Registers the kestrel ops and materializes folded constants.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelDialect.h"
#include "dialects/kestrel/IR/KestrelOps.h"

using namespace mlir;
using namespace kestrel;

#include "dialects/kestrel/IR/KestrelDialect.cpp.inc"

void KestrelDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/kestrel/IR/KestrelOps.cpp.inc"
      >();
}

Operation *KestrelDialect::materializeConstant(OpBuilder &builder,
                                               Attribute value, Type type,
                                               Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
