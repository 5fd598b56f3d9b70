//===- Pipeline.h - The compile pipeline ------------------------*- C++ -*-===//
#ifndef KESTREL_PASSES_PIPELINE_H
#define KESTREL_PASSES_PIPELINE_H

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace kestrel {

/// The target-independent graph passes: shape refinement;
/// kestrel-fuse-attention while the exporter's shape arithmetic is still
/// there to read; canonicalization (folding shape sub-graphs, dead code),
/// CSE and shape refinement again; then kestrel-fuse-norms,
/// kestrel-fuse-rope, kestrel-fuse-attention once more (for sites the
/// folding exposed), kestrel-fuse-matmul-epilogue, kestrel-fuse-residual-norm
/// and kestrel-fuse-elementwise, and a final cleanup (kestrelc
/// --emit=graph). Without `fusion` (kestrelc --no-fusion) the fusion passes
/// are left out. With `fusionRemarks` (kestrelc --fusion-remarks) the second
/// kestrel-fuse-attention and kestrel-fuse-residual-norm emit a remark per
/// candidate site: fused, or not and why.
void buildGraphPipeline(mlir::OpPassManager &pm, bool fusion = true,
                        bool fusionRemarks = false);

/// The pipeline every compile runs between import and code generation: the
/// graph passes, then kestrel-assign-storage with `storage` (the target's
/// storage precision), kestrel-select-kernels for the target `kernels` names
/// and kestrel-plan-memory. Codegen reads the storage types, the kernel
/// choices and the memory plan from the IR, so `kestrelc --emit=mlir` shows
/// what it consumes.
void buildCompilePipeline(mlir::OpPassManager &pm, bool fusion = true,
                          bool fusionRemarks = false,
                          const SelectKernelsOptions &kernels = {},
                          const AssignStorageOptions &storage = {});

} // namespace kestrel

#endif // KESTREL_PASSES_PIPELINE_H
