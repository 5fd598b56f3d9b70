//===- Pipeline.h - The compile pipeline ------------------------*- C++ -*-===//
#ifndef KESTREL_PASSES_PIPELINE_H
#define KESTREL_PASSES_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace kestrel {

/// The graph pipeline every compile runs between import and code
/// generation: shape refinement; kestrel-fuse-attention while the
/// exporter's shape arithmetic is still there to read; canonicalization
/// (folding shape sub-graphs, dead code), CSE and shape refinement again;
/// then kestrel-fuse-norms, kestrel-fuse-rope, kestrel-fuse-attention once
/// more (for sites the folding exposed), kestrel-fuse-matmul-epilogue,
/// kestrel-fuse-residual-norm and kestrel-fuse-elementwise, and a final
/// cleanup. Without `fusion` (kestrelc --no-fusion) the fusion passes are
/// left out. With `fusionRemarks` (kestrelc --fusion-remarks) the second
/// kestrel-fuse-attention and kestrel-fuse-residual-norm emit a remark per
/// candidate site: fused, or not and why.
void buildCompilePipeline(mlir::OpPassManager &pm, bool fusion = true,
                          bool fusionRemarks = false);

} // namespace kestrel

#endif // KESTREL_PASSES_PIPELINE_H
