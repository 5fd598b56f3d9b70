//===- BufferPlanTest.cpp - The memory plan codegen reads from the IR -----===//
//
// readBufferPlan returns what kestrel-plan-memory recorded (the same plan
// planBuffers computes) and refuses a plan that is missing, misplaced or
// overlapping, naming the op.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferPlan.h"
#include "dialects/kestrel/IR/KestrelOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <string>

using namespace mlir;
using namespace kestrel;

namespace {

// h and g are live together at the gelu; o reuses h's bytes.
constexpr const char *kResidual = R"mlir(
func.func @main(%x: tensor<4x256xf32>, %w: tensor<256x256xf32>) -> tensor<4x256xf32> {
  %h = kestrel.matmul %x, %w {transpose_a = false, transpose_b = false} : (tensor<4x256xf32>, tensor<256x256xf32>) -> tensor<4x256xf32>
  %g = kestrel.gelu %h : (tensor<4x256xf32>) -> tensor<4x256xf32>
  %s = kestrel.add %g, %h : (tensor<4x256xf32>, tensor<4x256xf32>) -> tensor<4x256xf32>
  %o = kestrel.neg %s : (tensor<4x256xf32>) -> tensor<4x256xf32>
  %r = kestrel.exp %o : (tensor<4x256xf32>) -> tensor<4x256xf32>
  return %r : tensor<4x256xf32>
}
)mlir";

class BufferPlanTest : public ::testing::Test {
protected:
  BufferPlanTest() { context.loadDialect<KestrelDialect, func::FuncDialect>(); }

  /// Parses `ir` and runs kestrel-plan-memory on it.
  func::FuncOp planned(const char *ir) {
    module = parseSourceString<ModuleOp>(ir, &context);
    if (!module)
      return nullptr;
    PassManager pm(&context);
    pm.addNestedPass<func::FuncOp>(createPlanMemory());
    if (failed(pm.run(*module)))
      return nullptr;
    return module->lookupSymbol<func::FuncOp>("main");
  }

  /// readBufferPlan's error, or "" when it succeeds.
  std::string readError(func::FuncOp func) {
    std::string error;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      error += diag.str();
      return success();
    });
    return succeeded(readBufferPlan(func)) ? std::string() : error;
  }

  Operation *opNamed(func::FuncOp func, StringRef name) {
    Operation *found = nullptr;
    func.walk([&](Operation *op) {
      if (op->getName().getStringRef() == name)
        found = op;
    });
    return found;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(BufferPlanTest, ReadsWhatPlanMemoryRecorded) {
  func::FuncOp func = planned(kResidual);
  ASSERT_TRUE(func);
  FailureOr<BufferPlan> computed = planBuffers(func);
  FailureOr<BufferPlan> read = readBufferPlan(func);
  ASSERT_TRUE(succeeded(computed));
  ASSERT_TRUE(succeeded(read));
  ASSERT_TRUE(read->isStatic);
  EXPECT_EQ(read->arenaBytes, computed->arenaBytes);
  EXPECT_EQ(read->intermediateBytes, computed->intermediateBytes);
  ASSERT_EQ(read->values.size(), computed->values.size());
  int arena = 0;
  for (size_t i = 0; i < read->values.size(); ++i) {
    EXPECT_EQ(read->values[i].storage, computed->values[i].storage) << i;
    EXPECT_EQ(read->values[i].offset, computed->values[i].offset) << i;
    EXPECT_EQ(read->values[i].first, computed->values[i].first) << i;
    EXPECT_EQ(read->values[i].last, computed->values[i].last) << i;
    arena += read->values[i].storage == ValueStorage::Arena;
  }
  EXPECT_EQ(arena, 4);
  EXPECT_EQ(read->arenaBytes, 3 * 4096); // h, g and s live at the add
}

TEST_F(BufferPlanTest, RefusesAMissingPlan) {
  func::FuncOp func = planned(kResidual);
  ASSERT_TRUE(func);
  func->removeAttr(kArenaBytesAttr);
  EXPECT_NE(readError(func).find("has no kestrel.arena_bytes (run "
                                 "kestrel-plan-memory before codegen)"),
            std::string::npos);

  func = planned(kResidual);
  opNamed(func, "kestrel.gelu")->removeAttr(kArenaOffsetsAttr);
  EXPECT_NE(readError(func).find("'kestrel.gelu' op needs "
                                 "kestrel.arena_offsets with one offset per "
                                 "result (1)"),
            std::string::npos);
}

TEST_F(BufferPlanTest, RefusesOffsetsOutsideTheArenaOrUnaligned) {
  func::FuncOp func = planned(kResidual);
  ASSERT_TRUE(func);
  Builder b(&context);
  Operation *gelu = opNamed(func, "kestrel.gelu");
  gelu->setAttr(kArenaOffsetsAttr, b.getDenseI64ArrayAttr({3 * 4096}));
  EXPECT_NE(readError(func).find("result #0 at offset 12288 is not a 64-byte "
                                 "aligned place for 4096 bytes in an arena of "
                                 "12288"),
            std::string::npos);
  gelu->setAttr(kArenaOffsetsAttr, b.getDenseI64ArrayAttr({32}));
  EXPECT_NE(readError(func).find("at offset 32 is not a 64-byte aligned"),
            std::string::npos);
  gelu->setAttr(kArenaOffsetsAttr, b.getDenseI64ArrayAttr({-64}));
  EXPECT_NE(readError(func).find("at offset -64"), std::string::npos);
}

TEST_F(BufferPlanTest, RefusesValuesLiveTogetherSharingBytes) {
  func::FuncOp func = planned(kResidual);
  ASSERT_TRUE(func);
  Builder b(&context);
  int64_t hOffset = opNamed(func, "kestrel.matmul")
                        ->getAttrOfType<DenseI64ArrayAttr>(kArenaOffsetsAttr)
                        .asArrayRef()[0];
  // g is live while h is: it may not start inside h.
  opNamed(func, "kestrel.gelu")
      ->setAttr(kArenaOffsetsAttr, b.getDenseI64ArrayAttr({hOffset}));
  EXPECT_NE(readError(func).find("overlaps a value live at the same time in "
                                 "the arena"),
            std::string::npos);
}

TEST_F(BufferPlanTest, RefusesOffsetsOnAnOpOutsideTheArena) {
  func::FuncOp func = planned(kResidual);
  ASSERT_TRUE(func);
  Builder b(&context);
  opNamed(func, "kestrel.exp")
      ->setAttr(kArenaOffsetsAttr, b.getDenseI64ArrayAttr({0}));
  EXPECT_NE(readError(func).find("'kestrel.exp' op has kestrel.arena_offsets "
                                 "but no result in the arena"),
            std::string::npos);
}

TEST_F(BufferPlanTest, DynamicShapesNeedRuntimePlanning) {
  func::FuncOp func = planned(R"mlir(
func.func @main(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = kestrel.exp %x : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %1 = kestrel.neg %0 : (tensor<?x64xf32>) -> tensor<?x64xf32>
  return %1 : tensor<?x64xf32>
}
)mlir");
  ASSERT_TRUE(func);
  FailureOr<BufferPlan> read = readBufferPlan(func);
  ASSERT_TRUE(succeeded(read));
  EXPECT_FALSE(read->isStatic);
  func->removeAttr(kArenaPlanningAttr);
  EXPECT_NE(readError(func).find("has intermediates of dynamic shape but no "
                                 "kestrel.arena_planning = \"runtime\""),
            std::string::npos);
}

TEST_F(BufferPlanTest, PlanningAgainReplacesAnEarlierPlan) {
  func::FuncOp func = planned(kResidual);
  ASSERT_TRUE(func);
  Builder b(&context);
  opNamed(func, "kestrel.exp")
      ->setAttr(kArenaOffsetsAttr, b.getDenseI64ArrayAttr({0}));
  PassManager pm(&context);
  pm.addNestedPass<func::FuncOp>(createPlanMemory());
  ASSERT_TRUE(succeeded(pm.run(*module)));
  EXPECT_EQ(readError(func), "");
}

} // namespace
