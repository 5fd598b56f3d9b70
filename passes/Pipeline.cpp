//===- Pipeline.cpp - The compile pipeline between import and codegen -----===//

#include "passes/Pipeline.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

namespace kestrel {

void buildCompilePipeline(mlir::OpPassManager &pm, bool fusion,
                          bool fusionRemarks) {
  pm.addPass(createInferShapes());
  if (fusion)
    pm.addNestedPass<mlir::func::FuncOp>(createFuseAttention());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(createInferShapes());
  if (fusion) {
    pm.addNestedPass<mlir::func::FuncOp>(createFuseNorms());
    pm.addNestedPass<mlir::func::FuncOp>(createFuseRope());
    // The remarks come from the last attempt only: the first one runs
    // before folding and would call sites unfused that this one fuses.
    FuseAttentionOptions attention;
    attention.report = fusionRemarks;
    pm.addNestedPass<mlir::func::FuncOp>(createFuseAttention(attention));
    pm.addNestedPass<mlir::func::FuncOp>(createFuseMatmulEpilogue());
    FuseResidualNormOptions residualNorm;
    residualNorm.report = fusionRemarks;
    pm.addNestedPass<mlir::func::FuncOp>(createFuseResidualNorm(residualNorm));
    pm.addNestedPass<mlir::func::FuncOp>(createFuseElementwise());
  }
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(createInferShapes());
}

} // namespace kestrel
