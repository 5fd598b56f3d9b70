//===- FusionPatternsTest.cpp - The fusion patterns outside their passes --===//
//
// populate…Patterns lets another pass fuse with the same rewrites: here the
// norm and matmul-epilogue patterns run in one greedy application over a
// Llama-style RMSNorm feeding a BERT-style bias + GELU projection.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace kestrel;

namespace {

constexpr const char *kNormThenProjection = R"mlir(
func.func @main(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>,
                %p: tensor<64x256xf32>, %b: tensor<256xf32>) -> tensor<?x?x256xf32> {
  %two = kestrel.constant dense<2.0> : tensor<f32>
  %eps = kestrel.constant dense<9.99999974E-6> : tensor<f32>
  %s = kestrel.pow %x, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %m = kestrel.reduce_mean %s {axes = array<i64: 2>} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %a = kestrel.add %m, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %q = kestrel.sqrt %a : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %r = kestrel.reciprocal %q : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = kestrel.mul %x, %r : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %y = kestrel.mul %w, %n : (tensor<64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %mm = kestrel.matmul %y, %p : (tensor<?x?x64xf32>, tensor<64x256xf32>) -> tensor<?x?x256xf32>
  %ab = kestrel.add %b, %mm : (tensor<256xf32>, tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %g = kestrel.gelu %ab : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return %g : tensor<?x?x256xf32>
}
)mlir";

TEST(FusionPatternsTest, NormAndEpiloguePatternsApplyTogether) {
  MLIRContext context;
  context.loadDialect<KestrelDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(kNormThenProjection, &context);
  ASSERT_TRUE(module);
  RewritePatternSet patterns(&context);
  populateFuseNormsPatterns(patterns);
  populateFuseMatmulEpiloguePatterns(patterns);
  populateFuseRopePatterns(patterns);
  ASSERT_TRUE(succeeded(applyPatternsGreedily(*module, std::move(patterns))));

  int norms = 0, fusedMatmuls = 0, others = 0;
  module->walk([&](Operation *op) {
    if (isa<RmsNormOp>(op))
      ++norms;
    else if (auto m = dyn_cast<FusedMatmulOp>(op))
      fusedMatmuls += m.getBias() && m.getActivation() == "gelu";
    else if (isa<PowOp, ReduceMeanOp, SqrtOp, ReciprocalOp, MulOp, MatmulOp,
                 AddOp, GeluOp>(op))
      ++others;
  });
  EXPECT_EQ(norms, 1);
  EXPECT_EQ(fusedMatmuls, 1);
  EXPECT_EQ(others, 0);
}

} // namespace
