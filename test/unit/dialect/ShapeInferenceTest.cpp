//===- ShapeInferenceTest.cpp - Broadcast and type-join rules -------------===//

#include "dialects/kestrel/IR/ShapeInference.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

SmallVector<int64_t> broadcast(ArrayRef<ArrayRef<int64_t>> shapes,
                               bool *ok = nullptr) {
  SmallVector<int64_t> result;
  bool succeeded = llvm::succeeded(kestrel::broadcastShapes(shapes, result));
  if (ok)
    *ok = succeeded;
  return result;
}

TEST(BroadcastShapes, AlignsTrailingDimensions) {
  EXPECT_EQ(broadcast({{2, 3, 4}, {4}}), (SmallVector<int64_t>{2, 3, 4}));
  EXPECT_EQ(broadcast({{5, 1, 4}, {3, 1}}), (SmallVector<int64_t>{5, 3, 4}));
  EXPECT_EQ(broadcast({{}, {7}}), (SmallVector<int64_t>{7}));
}

TEST(BroadcastShapes, DynamicDimensions) {
  // ? against 1 stays dynamic; ? against a static size > 1 takes that size.
  EXPECT_EQ(broadcast({{kDyn, 4}, {1, 4}}), (SmallVector<int64_t>{kDyn, 4}));
  EXPECT_EQ(broadcast({{kDyn, 4}, {8, 4}}), (SmallVector<int64_t>{8, 4}));
  EXPECT_EQ(broadcast({{8, 4}, {kDyn, 4}}), (SmallVector<int64_t>{8, 4}));
  EXPECT_EQ(broadcast({{kDyn}, {kDyn}}), (SmallVector<int64_t>{kDyn}));
}

TEST(BroadcastShapes, RejectsMismatch) {
  bool ok = true;
  broadcast({{2, 3}, {4, 3}}, &ok);
  EXPECT_FALSE(ok);
  broadcast({{3}, {kDyn, 2}}, &ok);
  EXPECT_FALSE(ok);
}

TEST(TensorTypes, CompatibilityAndJoin) {
  MLIRContext context;
  Builder b(&context);
  auto t = [&](ArrayRef<int64_t> shape, Type element) {
    return RankedTensorType::get(shape, element);
  };
  Type f32 = b.getF32Type(), f16 = b.getF16Type();
  EXPECT_TRUE(kestrel::areCompatibleTensorTypes(TypeRange{t({4, 8}, f32)},
                                                TypeRange{t({kDyn, 8}, f32)}));
  EXPECT_FALSE(kestrel::areCompatibleTensorTypes(TypeRange{t({4, 8}, f32)},
                                                 TypeRange{t({4, 8}, f16)}));
  EXPECT_FALSE(kestrel::areCompatibleTensorTypes(TypeRange{t({4, 8}, f32)},
                                                 TypeRange{t({5, 8}, f32)}));
  EXPECT_FALSE(kestrel::areCompatibleTensorTypes(TypeRange{t({4}, f32)},
                                                 TypeRange{t({4, 1}, f32)}));

  EXPECT_EQ(kestrel::joinTensorTypes(t({kDyn, 8}, f32), t({4, kDyn}, f32)),
            t({4, 8}, f32));
  EXPECT_FALSE(kestrel::joinTensorTypes(t({3, 8}, f32), t({4, 8}, f32)));
  EXPECT_FALSE(kestrel::joinTensorTypes(t({4, 8}, f32), t({4, 8}, f16)));
}

} // namespace
