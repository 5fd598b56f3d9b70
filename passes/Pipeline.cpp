//===- Pipeline.cpp - The compile pipeline between import and codegen -----===//

#include "passes/Pipeline.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

namespace kestrel {

void buildCompilePipeline(mlir::OpPassManager &pm) {
  pm.addPass(createInferShapes());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(createInferShapes());
  pm.addNestedPass<mlir::func::FuncOp>(createFuseNorms());
  pm.addPass(mlir::createCanonicalizerPass());
}

} // namespace kestrel
