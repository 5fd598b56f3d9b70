//===- Pipeline.cpp - The compile pipeline between import and codegen -----===//

#include "passes/Pipeline.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

namespace kestrel {

void buildGraphPipeline(mlir::OpPassManager &pm, bool fusion,
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
    FoldTransposesOptions transposes;
    transposes.report = fusionRemarks;
    pm.addNestedPass<mlir::func::FuncOp>(createFoldTransposes(transposes));
    pm.addNestedPass<mlir::func::FuncOp>(createFuseMatmulEpilogue());
    FuseParallelMatmulsOptions parallel;
    parallel.report = fusionRemarks;
    pm.addNestedPass<mlir::func::FuncOp>(createFuseParallelMatmuls(parallel));
    FuseResidualNormOptions residualNorm;
    residualNorm.report = fusionRemarks;
    pm.addNestedPass<mlir::func::FuncOp>(createFuseResidualNorm(residualNorm));
    pm.addNestedPass<mlir::func::FuncOp>(createFuseElementwise());
  }
  pm.addPass(mlir::createCanonicalizerPass());
  // The fusion passes build the same small ops once per layer (rope's
  // halves of cos and sin, their reshapes): one of each is enough.
  pm.addPass(mlir::createCSEPass());
  pm.addPass(createInferShapes());
}

void buildCompilePipeline(mlir::OpPassManager &pm, bool fusion,
                          bool fusionRemarks,
                          const SelectKernelsOptions &kernels,
                          const AssignStorageOptions &storage) {
  buildGraphPipeline(pm, fusion, fusionRemarks);
  // Codegen reads the storage types, the kernel choices and the memory plan
  // from the IR.
  pm.addNestedPass<mlir::func::FuncOp>(createAssignStorage(storage));
  pm.addNestedPass<mlir::func::FuncOp>(createSelectKernels(kernels));
  pm.addNestedPass<mlir::func::FuncOp>(createPlanMemory());
}

} // namespace kestrel
