//===- Pipeline.h - The compile pipeline ------------------------*- C++ -*-===//
#ifndef KESTREL_PASSES_PIPELINE_H
#define KESTREL_PASSES_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace kestrel {

/// The graph pipeline every compile runs between import and code
/// generation: shape refinement, canonicalization (folding shape
/// sub-graphs, dead code), CSE, shape refinement again, then fusion
/// (kestrel-fuse-norms) and a final cleanup.
void buildCompilePipeline(mlir::OpPassManager &pm);

} // namespace kestrel

#endif // KESTREL_PASSES_PIPELINE_H
