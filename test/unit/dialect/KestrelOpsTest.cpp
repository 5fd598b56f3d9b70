//===- KestrelOpsTest.cpp - Builders, inference and folders from C++ ------===//
//
// What the frontend relies on: builders that infer result types, verifier
// errors, folders through createOrFold, and the infer-shapes pass.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace kestrel;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

class KestrelOpsTest : public ::testing::Test {
protected:
  KestrelOpsTest() : builder(&context) {
    context.loadDialect<KestrelDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// A function whose arguments have `types`; the builder points into it.
  ValueRange makeFunction(ArrayRef<Type> types) {
    auto func = func::FuncOp::create(builder, loc(), "f",
                                     builder.getFunctionType(types, {}));
    Block *entry = func.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    return entry->getArguments();
  }

  RankedTensorType tensor(ArrayRef<int64_t> shape, Type element = nullptr) {
    return RankedTensorType::get(shape,
                                 element ? element : builder.getF32Type());
  }

  Location loc() { return builder.getUnknownLoc(); }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(KestrelOpsTest, BuildersInferBroadcastResultTypes) {
  ValueRange args = makeFunction({tensor({kDyn, 1, 64}), tensor({8, 64})});
  auto add = AddOp::create(builder, loc(), args[0], args[1]);
  EXPECT_EQ(add.getType(), tensor({kDyn, 8, 64}));
  auto less = LessOp::create(builder, loc(), args[0], args[1]);
  EXPECT_EQ(less.getType(), tensor({kDyn, 8, 64}, builder.getI1Type()));
}

TEST_F(KestrelOpsTest, MatmulInfersBatchedShapes) {
  ValueRange args =
      makeFunction({tensor({kDyn, 32, 16, 128}), tensor({1, 32, 128, 16}),
                    tensor({256, 128})});
  auto scores = MatmulOp::create(builder, loc(), args[0], args[1],
                                 /*transpose_a=*/false, /*transpose_b=*/false);
  EXPECT_EQ(scores.getType(), tensor({kDyn, 32, 16, 16}));
  auto proj = MatmulOp::create(builder, loc(), args[0], args[2],
                               /*transpose_a=*/false, /*transpose_b=*/true);
  EXPECT_EQ(proj.getType(), tensor({kDyn, 32, 16, 256}));
}

TEST_F(KestrelOpsTest, AttentionInfersOutputAndChecksHeads) {
  ValueRange args =
      makeFunction({tensor({2, 32, kDyn, 128}), tensor({2, 8, kDyn, 128}),
                    tensor({2, 8, kDyn, 64})});
  auto attn =
      AttentionOp::create(builder, loc(), args[0], args[1], args[2],
                          /*mask=*/Value(), /*scale=*/nullptr,
                          /*causal=*/true, builder.getI64IntegerAttr(32),
                          builder.getI64IntegerAttr(8));
  EXPECT_EQ(attn.getType(), tensor({2, 32, kDyn, 64}));
  // Without head counts they come from the operands.
  auto implicit = AttentionOp::create(
      builder, loc(), args[0], args[1], args[2], /*mask=*/Value(),
      /*scale=*/nullptr, /*causal=*/false, IntegerAttr(), IntegerAttr());
  EXPECT_EQ(implicit.getType(), tensor({2, 32, kDyn, 64}));
  func::ReturnOp::create(builder, loc());
  EXPECT_TRUE(succeeded(verify(*module)));

  // 32 heads cannot share 6 kv heads: inference fails and says why.
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  SmallVector<Type> types;
  AttentionOp::Properties props;
  props.num_heads = builder.getI64IntegerAttr(32);
  props.num_kv_heads = builder.getI64IntegerAttr(6);
  EXPECT_TRUE(failed(AttentionOp::inferReturnTypes(
      &context, loc(), AttentionOp::Adaptor(args, nullptr, props), types)));
  EXPECT_EQ(message, "'kestrel.attention' op num_heads (32) must be a "
                     "positive multiple of num_kv_heads (6)");
}

TEST_F(KestrelOpsTest, FoldersRemoveTrivialOps) {
  ValueRange args = makeFunction({tensor({2, 3, 4})});
  Value x = args[0];
  // transpose(transpose(x, p), inverse(p)) is x.
  Value t1 = builder.createOrFold<TransposeOp>(
      loc(), x, builder.getDenseI64ArrayAttr({2, 0, 1}));
  Value t2 = builder.createOrFold<TransposeOp>(
      loc(), t1, builder.getDenseI64ArrayAttr({1, 2, 0}));
  EXPECT_EQ(t2, x);
  // reshape(reshape(x)) reads x directly.
  Value r1 = builder.createOrFold<ReshapeOp>(loc(), tensor({6, 4}), x, Value());
  Value r2 = builder.createOrFold<ReshapeOp>(loc(), tensor({24}), r1, Value());
  EXPECT_EQ(r2.getDefiningOp<ReshapeOp>().getInput(), x);
  // An identity cast is its input.
  EXPECT_EQ(builder.createOrFold<CastOp>(loc(), tensor({2, 3, 4}), x), x);
}

TEST_F(KestrelOpsTest, ReshapeOfConstantFoldsToConstant) {
  makeFunction({});
  auto value = DenseElementsAttr::get(tensor({2, 2}),
                                      ArrayRef<float>{1.0f, 2.0f, 3.0f, 4.0f});
  Value c = ConstantOp::create(builder, loc(), value);
  Value r = builder.createOrFold<ReshapeOp>(loc(), tensor({4}), c, Value());
  auto folded = r.getDefiningOp<ConstantOp>();
  ASSERT_TRUE(folded);
  auto dense = cast<DenseElementsAttr>(folded.getValue());
  EXPECT_EQ(dense.getType(), tensor({4}));
  EXPECT_EQ(dense.getValues<float>()[3], 4.0f);
}

TEST_F(KestrelOpsTest, InferShapesRefinesChainAndSignature) {
  const char *source = R"mlir(
    func.func @main(%a: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<?x?xf32> {
      %0 = kestrel.add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
      %1 = kestrel.exp %0 : (tensor<?x8xf32>) -> tensor<?x?xf32>
      return %1 : tensor<?x?xf32>
    }
  )mlir";
  OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(parsed);
  PassManager pm(&context);
  pm.addPass(createInferShapes());
  ASSERT_TRUE(succeeded(pm.run(*parsed)));
  auto func = *parsed->getOps<func::FuncOp>().begin();
  EXPECT_EQ(func.getFunctionType().getResult(0), tensor({4, 8}));
  EXPECT_TRUE(succeeded(verify(*parsed)));
}

} // namespace
