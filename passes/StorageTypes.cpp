//===- StorageTypes.cpp - The element type each value is stored in -------===//

#include "passes/StorageTypes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

#include <functional>

using namespace mlir;

namespace kestrel {

Type storageType(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  if (auto storage = dyn_cast_or_null<StorageAttr>(tensor.getEncoding()))
    return storage.getType();
  return tensor.getElementType();
}

Type storageType(Value v) { return storageType(v.getType()); }

RankedTensorType withStorage(RankedTensorType type, Type storage) {
  Attribute encoding;
  if (storage != type.getElementType())
    encoding = StorageAttr::get(type.getContext(), storage);
  return RankedTensorType::get(type.getShape(), type.getElementType(),
                               encoding);
}

std::vector<Type> storageTypes(const BufferPlan &plan) {
  std::vector<Type> types;
  types.reserve(plan.values.size());
  for (const ValuePlan &p : plan.values)
    types.push_back(storageType(p.value));
  return types;
}

FailureOr<Type> storagePrecisionType(MLIRContext *context,
                                     StringRef precision) {
  Builder b(context);
  if (precision == "f32")
    return Type(b.getF32Type());
  if (precision == "bf16")
    return Type(b.getBF16Type());
  if (precision == "f16")
    return Type(b.getF16Type());
  return failure();
}

std::vector<Type> storageElementTypes(func::FuncOp func, const BufferPlan &plan,
                                      Type storage) {
  size_t n = plan.values.size();
  auto elementType = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  };
  std::vector<char> carries(n, 0);
  std::vector<int64_t> parent(n);
  for (size_t i = 0; i < n; ++i)
    parent[i] = i;
  std::function<int64_t(int64_t)> root = [&](int64_t i) {
    while (parent[i] != i)
      i = parent[i] = parent[parent[i]];
    return i;
  };
  auto unite = [&](Value a, Value b) {
    if (elementType(a).isF32() && elementType(b).isF32())
      parent[root(plan.id(a))] = root(plan.id(b));
  };
  auto uniteAll = [&](Operation *op, ValueRange operands) {
    for (Value r : op->getResults())
      for (Value in : operands)
        unite(r, in);
  };
  Block &body = func.getBody().front();
  for (BlockArgument arg : body.getArguments())
    if (elementType(arg).isF32())
      carries[plan.id(arg)] = 1;
  for (Operation &op : body.without_terminator()) {
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](WeightOp w) {
          // matmul_nbits' and gather_nbits' scales and zero points stay as
          // they are (the kernels read them in f32).
          bool quantization =
              !w->use_empty() && llvm::all_of(w->getUses(), [](OpOperand &use) {
                unsigned i = use.getOperandNumber();
                if (isa<MatmulNBitsOp>(use.getOwner()))
                  return i >= 2;
                return isa<GatherNBitsOp>(use.getOwner()) && (i == 1 || i == 3);
              });
          if (cast<RankedTensorType>(w.getType()).getRank() >= 2 &&
              !quantization)
            carries[plan.id(w.getResult())] = 1;
        })
        .Case<ReshapeOp, TransposeOp, ExpandOp, SliceOp, DynamicSliceOp,
              ConcatOp, SplitOp, NegOp, AbsOp, ReluOp, SqrtOp, RsqrtOp,
              ReciprocalOp, ExpOp, LogOp, ErfOp, TanhOp, SinOp, CosOp, FloorOp,
              CeilOp, RoundOp, SigmoidOp, SiluOp, GeluOp, SoftmaxOp,
              LogSoftmaxOp, CumSumOp, ReduceSumOp, ReduceMeanOp, ReduceMaxOp,
              ReduceMinOp, MatmulOp, ConvOp, ConvTransposeOp, PoolOp, ResizeOp>(
            [&](Operation *op) { uniteAll(op, op->getOperands()); })
        .Case<GatherOp, GatherElementsOp, GatherNdOp, TopKOp, RmsNormOp,
              LayerNormOp, RopeOp, MatmulNBitsOp>([&](Operation *op) {
          uniteAll(op, op->getOperands().take_front(1));
        })
        .Case<AddRmsNormOp, AddLayerNormOp>([&](Operation *op) {
          uniteAll(op, op->getOperands().take_front(2));
        })
        .Case<ScatterElementsOp, ScatterNdOp>([&](Operation *op) {
          uniteAll(op, {op->getOperand(0), op->getOperand(2)});
        })
        .Case([&](PadOp p) {
          uniteAll(p, {p.getInput(), p.getValue()});
        })
        .Case([&](WhereOp w) {
          uniteAll(w, {w.getTrueValue(), w.getFalseValue()});
        })
        .Case([&](AttentionOp a) {
          uniteAll(a, {a.getQuery(), a.getKey(), a.getValue()});
        })
        .Case<FusedMatmulOp, MultiMatmulOp>([&](Operation *op) {
          // The GEMM epilogue reads biases and residual in the output's
          // type.
          uniteAll(op, op->getOperands());
        });
  }
  // Forward through the ops, then across each group, until nothing changes.
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation &op : body.without_terminator()) {
      bool any = llvm::any_of(op.getOperands(), [&](Value v) {
        return elementType(v).isF32() && carries[plan.id(v)];
      });
      if (!any)
        continue;
      for (Value r : op.getResults())
        if (elementType(r).isF32() && !carries[plan.id(r)])
          carries[plan.id(r)] = changed = true;
    }
    std::vector<char> group(n, 0);
    for (size_t i = 0; i < n; ++i)
      if (carries[i])
        group[root(i)] = 1;
    for (size_t i = 0; i < n; ++i)
      if (group[root(i)] && !carries[i])
        carries[i] = changed = true;
  }
  std::vector<Type> types(n);
  for (size_t i = 0; i < n; ++i) {
    Type t = elementType(plan.values[i].value);
    types[i] = t.isF32() && carries[i] ? storage : t;
  }
  return types;
}

} // namespace kestrel
