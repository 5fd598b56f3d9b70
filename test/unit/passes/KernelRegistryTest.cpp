//===- KernelRegistryTest.cpp - Every op has kernels on every target -----===//

#include "passes/KernelRegistry.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringSet.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace kestrel;

namespace {

/// Ops that run no kernel: data the runtime binds, and the fused body's
/// terminator.
bool runsNoKernel(StringRef op) {
  return op == "kestrel.weight" || op == "kestrel.constant" ||
         op == "kestrel.yield";
}

TEST(KernelRegistryTest, EveryComputeOpHasAKernelOnEveryTarget) {
  MLIRContext context;
  context.loadDialect<KestrelDialect>();
  int ops = 0;
  for (RegisteredOperationName op : context.getRegisteredOperations()) {
    if (op.getDialectNamespace() != "kestrel" ||
        runsNoKernel(op.getStringRef()))
      continue;
    ++ops;
    for (KernelTarget target : {KernelTarget::Cpu, KernelTarget::Cuda})
      EXPECT_FALSE(
          KernelRegistry::get(target).candidatesFor(op.getStringRef()).empty())
          << op.getStringRef().str() << " has no "
          << kernelTargetName(target).str() << " kernel";
  }
  EXPECT_GT(ops, 60);
}

TEST(KernelRegistryTest, CandidatesAreWellFormed) {
  MLIRContext context;
  context.loadDialect<KestrelDialect>();
  Builder b(&context);
  for (KernelTarget target : {KernelTarget::Cpu, KernelTarget::Cuda}) {
    llvm::StringSet<> names;
    for (const KernelCandidate &c : KernelRegistry::get(target).candidates()) {
      EXPECT_TRUE(names.insert(c.name).second) << c.name.str() << " twice";
      EXPECT_TRUE(c.name.starts_with(kernelTargetName(target).str() + "."))
          << c.name.str();
      EXPECT_EQ(c.target, target);
      EXPECT_FALSE(c.ops.empty()) << c.name.str();
      for (StringRef op : c.ops)
        EXPECT_TRUE(RegisteredOperationName::lookup(op, &context))
            << c.name.str() << " names " << op.str() << ", not an op";
      // Every point of the space is a valid configuration, with and
      // without each guard; anything else is not.
      for (const KernelConfig &point : c.space) {
        SmallVector<NamedAttribute> entries;
        for (const auto &[key, value] : point)
          entries.push_back(b.getNamedAttr(key, b.getI64IntegerAttr(value)));
        std::string error;
        EXPECT_TRUE(KernelRegistry::isValidConfig(
            c, b.getDictionaryAttr(entries), error))
            << c.name.str() << ": " << error;
        for (const auto &[guard, values] : c.guards) {
          SmallVector<NamedAttribute> guarded = entries;
          guarded.push_back(
              b.getNamedAttr(guard, b.getI64IntegerAttr(values.front())));
          EXPECT_TRUE(KernelRegistry::isValidConfig(
              c, b.getDictionaryAttr(guarded), error))
              << c.name.str() << ": " << error;
          guarded.back() =
              b.getNamedAttr(guard, b.getI64IntegerAttr(values.back() + 1));
          EXPECT_FALSE(KernelRegistry::isValidConfig(
              c, b.getDictionaryAttr(guarded), error))
              << c.name.str();
        }
      }
      std::string error;
      EXPECT_FALSE(KernelRegistry::isValidConfig(
          c,
          b.getDictionaryAttr(
              {b.getNamedAttr("bogus", b.getI64IntegerAttr(1))}),
          error));
      EXPECT_NE(error.find("'bogus' is not a parameter of " + c.name.str()),
                std::string::npos)
          << error;
    }
  }
}

TEST(KernelRegistryTest, TensorCoreTilesAreTheInstantiatedOnes) {
  MLIRContext context;
  Builder b(&context);
  const KernelCandidate *mma =
      KernelRegistry::get(KernelTarget::Cuda).lookup("cuda.gemm.mma");
  ASSERT_NE(mma, nullptr);
  EXPECT_EQ(mma->space.size(), 3u);
  // A tile Gemm.cuh is not built and tested with is refused.
  std::string error;
  EXPECT_FALSE(KernelRegistry::isValidConfig(
      *mma,
      b.getDictionaryAttr({b.getNamedAttr("tile_m", b.getI64IntegerAttr(256)),
                           b.getNamedAttr("tile_n", b.getI64IntegerAttr(128)),
                           b.getNamedAttr("tile_k", b.getI64IntegerAttr(32)),
                           b.getNamedAttr("warps_m", b.getI64IntegerAttr(2)),
                           b.getNamedAttr("warps_n", b.getI64IntegerAttr(4))}),
      error));
  EXPECT_EQ(error, "the configuration is not one cuda.gemm.mma is built with");
  EXPECT_EQ(kCudaGemvMaxRows, 8);
}

} // namespace
