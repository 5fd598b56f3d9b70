//===- Passes.h - Kestrel pass declarations and registration ----*- C++ -*-===//
//
// Declares every Kestrel pass (generated from Passes.td) and the function
// that registers them with the pass registry.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PASSES_PASSES_H
#define KESTREL_PASSES_PASSES_H

#include "dialects/kestrel/IR/KestrelDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace kestrel {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// The rewrite patterns of the pattern-based fusion passes, for passes that
/// fuse along with other rewrites (each pass applies its set greedily).
/// kestrel-fuse-matmul-epilogue: bias, activation, alpha and residual into
/// kestrel.fused_matmul.
void populateFuseMatmulEpiloguePatterns(mlir::RewritePatternSet &patterns);
/// kestrel-fuse-norms: RMSNorm and LayerNorm chains into kestrel.rms_norm /
/// kestrel.layer_norm.
void populateFuseNormsPatterns(mlir::RewritePatternSet &patterns);
/// kestrel-fuse-rope: rotate-half and interleaved rotary embeddings into
/// kestrel.rope.
void populateFuseRopePatterns(mlir::RewritePatternSet &patterns);

} // namespace kestrel

#endif // KESTREL_PASSES_PASSES_H
