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
/// more (for sites the folding exposed) and kestrel-fuse-matmul-epilogue,
/// and a final cleanup. Without `fusion` (kestrelc --no-fusion) the fusion
/// passes are left out.
void buildCompilePipeline(mlir::OpPassManager &pm, bool fusion = true);

} // namespace kestrel

#endif // KESTREL_PASSES_PIPELINE_H
