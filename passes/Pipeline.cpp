//===- Pipeline.cpp - The compile pipeline between import and codegen -----===//

#include "passes/Pipeline.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

namespace kestrel {

void buildCompilePipeline(mlir::OpPassManager &pm, bool fusion) {
  pm.addPass(createInferShapes());
  if (fusion)
    pm.addNestedPass<mlir::func::FuncOp>(createFuseAttention());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(createInferShapes());
  if (fusion) {
    pm.addNestedPass<mlir::func::FuncOp>(createFuseNorms());
    pm.addNestedPass<mlir::func::FuncOp>(createFuseRope());
    pm.addNestedPass<mlir::func::FuncOp>(createFuseAttention());
    pm.addNestedPass<mlir::func::FuncOp>(createFuseMatmulEpilogue());
    pm.addNestedPass<mlir::func::FuncOp>(createFuseResidualNorm());
    pm.addNestedPass<mlir::func::FuncOp>(createFuseElementwise());
  }
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(createInferShapes());
}

} // namespace kestrel
