//===- FuseElementwise.cpp - Elementwise chains into fused_elementwise ----===//
//
// Implements kestrel-fuse-elementwise: trees of float elementwise ops
// (arithmetic, activations, comparisons feeding a where, float casts)
// become one `kestrel.fused_elementwise` whose body holds the same math on
// scalars, so the chain reads its inputs once and writes one result instead
// of writing and re-reading every intermediate.
//
// Groups are formed from the last op backwards, as loop fusion in XLA and
// IREE's dispatch formation do: an op roots a group and absorbs an operand's
// producer when that producer is fusible, has the root's result type (so no
// work is repeated across a broadcast) and every one of its users is
// already in the group; repeated until nothing more joins. Producers with
// users outside stay materialized and start their own group. Scalar
// constants that do not widen the op they feed become arith.constant in the
// body. A group of a single op is left alone: its library kernel is as
// good.
//
//===----------------------------------------------------------------------===//

#include "passes/MatchUtils.h"
#include "passes/Passes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

#define DEBUG_TYPE "kestrel-fuse-elementwise"

namespace kestrel {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

/// Inputs plus the result of one fused op: the CPU driver's limit
/// (cpu::kMaxFusedOperands).
constexpr unsigned kMaxOperands = 16;

RankedTensorType tensorType(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

bool isFloatTensor(Value v) {
  RankedTensorType t = tensorType(v);
  return t && isa<FloatType>(t.getElementType());
}

bool isBoolTensor(Value v) {
  RankedTensorType t = tensorType(v);
  return t && t.getElementType().isInteger(1);
}

/// Whether `op` can be part of a fused body: a float elementwise op (or a
/// comparison of floats, or a where over floats) on ranked tensors.
bool isFusible(Operation *op) {
  if (op->getNumResults() != 1)
    return false;
  Value result = op->getResult(0);
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case<NegOp, AbsOp, ReluOp, SqrtOp, RsqrtOp, ReciprocalOp, ExpOp, LogOp,
            ErfOp, TanhOp, SinOp, CosOp, FloorOp, CeilOp, RoundOp, SigmoidOp,
            SiluOp, GeluOp, AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp>(
          [&](Operation *op) {
            return isFloatTensor(result) &&
                   llvm::all_of(op->getOperands(), isFloatTensor);
          })
      .Case<EqualOp, NotEqualOp, LessOp, LessEqualOp, GreaterOp,
            GreaterEqualOp>([&](Operation *op) {
        return isBoolTensor(result) &&
               llvm::all_of(op->getOperands(), isFloatTensor);
      })
      .Case([&](WhereOp w) {
        return isFloatTensor(result) && isBoolTensor(w.getCondition()) &&
               isFloatTensor(w.getTrueValue()) &&
               isFloatTensor(w.getFalseValue());
      })
      .Case([&](CastOp c) {
        return isFloatTensor(result) &&
               (isFloatTensor(c.getInput()) || isBoolTensor(c.getInput()));
      })
      .Default([](Operation *) { return false; });
}

/// Whether operand `index` of `op` is a one-element constant that can live
/// in the body as a scalar: every other operand already has the result's
/// shape, so dropping it does not change the fused op's broadcast shape.
std::optional<double> inlinableConstant(Operation *op, unsigned index) {
  Value v = op->getOperand(index);
  RankedTensorType type = tensorType(v);
  if (!type || !type.hasStaticShape() || type.getNumElements() != 1)
    return std::nullopt;
  std::optional<double> value = scalarFloatConstant(v);
  if (!value)
    return std::nullopt;
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  for (auto [i, other] : llvm::enumerate(op->getOperands()))
    if (i != index && cast<RankedTensorType>(other.getType()).getShape() !=
                          resultType.getShape())
      return std::nullopt;
  return value;
}

/// Builds the scalar form of the ops of one group inside a body.
class BodyBuilder {
public:
  BodyBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  /// Maps a tensor value to the scalar that stands for it in the body.
  void map(Value tensor, Value scalar) { scalars[tensor] = scalar; }
  Value lookup(Value tensor) const { return scalars.lookup(tensor); }

  /// Adds `op`'s scalar computation; its operands are mapped already (or
  /// are inlinable constants).
  void add(Operation *op) {
    SmallVector<Value> args;
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      Value scalar = lookup(op->getOperand(i));
      // x^2 and x^3 become multiplies and leave the exponent unused.
      if (!scalar && isa<PowOp>(op) && i == 1 && smallIntegerExponent(op)) {
        args.push_back(Value());
        continue;
      }
      if (!scalar) {
        Type element = tensorType(op->getOperand(i)).getElementType();
        scalar = constant(element, *inlinableConstant(op, i));
      }
      args.push_back(scalar);
    }
    map(op->getResult(0), build(op, args));
  }

  /// 2 or 3 when `pow`'s exponent is that scalar constant.
  static std::optional<int> smallIntegerExponent(Operation *pow) {
    std::optional<double> e = scalarFloatConstant(pow->getOperand(1));
    if (e && (*e == 2.0 || *e == 3.0))
      return static_cast<int>(*e);
    return std::nullopt;
  }

private:
  /// One arith.constant per (type, value), at the top of the body.
  Value constant(Type type, double value) {
    auto attr = b.getFloatAttr(type, value);
    Value &c = constants[attr];
    if (!c) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(b.getInsertionBlock());
      c = arith::ConstantOp::create(b, loc, type, attr);
    }
    return c;
  }
  Value f32(double value) { return constant(b.getF32Type(), value); }

  /// `x` widened to f32 (composite activations compute in f32 so that
  /// their constants keep full precision for bf16/f16 tensors).
  Value toF32(Value x) {
    if (x.getType().isF32())
      return x;
    return arith::ExtFOp::create(b, loc, b.getF32Type(), x);
  }
  Value fromF32(Value x, Type type) {
    if (type.isF32())
      return x;
    return arith::TruncFOp::create(b, loc, type, x);
  }

  /// 1 / (1 + exp(-x)) in f32.
  Value sigmoid(Value x) {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, f32(1.0),
                                 arith::AddFOp::create(b, loc, f32(1.0), e));
  }

  Value gelu(Value x, bool approximate) {
    Value inner;
    if (approximate) {
      // tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))
      Value x3 =
          arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x), x);
      Value poly = arith::AddFOp::create(
          b, loc, x, arith::MulFOp::create(b, loc, f32(0.044715), x3));
      inner = math::TanhOp::create(
          b, loc,
          arith::MulFOp::create(b, loc, f32(0.79788456080286535588), poly));
    } else {
      inner = math::ErfOp::create(
          b, loc, arith::MulFOp::create(b, loc, x, f32(1.0 / std::sqrt(2.0))));
    }
    Value half = arith::MulFOp::create(b, loc, f32(0.5), x);
    return arith::MulFOp::create(
        b, loc, half, arith::AddFOp::create(b, loc, f32(1.0), inner));
  }

  Value build(Operation *op, ArrayRef<Value> a) {
    Type type = tensorType(op->getResult(0)).getElementType();
    using P = arith::CmpFPredicate;
    auto cmp = [&](P p) -> Value {
      return arith::CmpFOp::create(b, loc, p, a[0], a[1]);
    };
    return llvm::TypeSwitch<Operation *, Value>(op)
        .Case([&](NegOp) { return arith::NegFOp::create(b, loc, a[0]); })
        .Case([&](AbsOp) { return math::AbsFOp::create(b, loc, a[0]); })
        .Case([&](ReluOp) -> Value {
          // x < 0 ? 0 : x (NaN stays NaN, as in the kernels).
          Value zero = constant(type, 0.0);
          Value negative = arith::CmpFOp::create(b, loc, P::OLT, a[0], zero);
          return arith::SelectOp::create(b, loc, negative, zero, a[0]);
        })
        .Case([&](SqrtOp) { return math::SqrtOp::create(b, loc, a[0]); })
        .Case([&](RsqrtOp) { return math::RsqrtOp::create(b, loc, a[0]); })
        .Case([&](ReciprocalOp) {
          return arith::DivFOp::create(b, loc, constant(type, 1.0), a[0]);
        })
        .Case([&](ExpOp) { return math::ExpOp::create(b, loc, a[0]); })
        .Case([&](LogOp) { return math::LogOp::create(b, loc, a[0]); })
        .Case([&](ErfOp) { return math::ErfOp::create(b, loc, a[0]); })
        .Case([&](TanhOp) { return math::TanhOp::create(b, loc, a[0]); })
        .Case([&](SinOp) { return math::SinOp::create(b, loc, a[0]); })
        .Case([&](FloorOp) { return math::FloorOp::create(b, loc, a[0]); })
        .Case([&](CeilOp) { return math::CeilOp::create(b, loc, a[0]); })
        .Case([&](RoundOp) { return math::RoundEvenOp::create(b, loc, a[0]); })
        .Case([&](CosOp) { return math::CosOp::create(b, loc, a[0]); })
        .Case([&](SigmoidOp) { return fromF32(sigmoid(toF32(a[0])), type); })
        .Case([&](SiluOp) -> Value {
          Value x = toF32(a[0]);
          return fromF32(arith::MulFOp::create(b, loc, x, sigmoid(x)), type);
        })
        .Case([&](GeluOp g) {
          return fromF32(gelu(toF32(a[0]), g.getApproximate()), type);
        })
        .Case([&](AddOp) { return arith::AddFOp::create(b, loc, a[0], a[1]); })
        .Case([&](SubOp) { return arith::SubFOp::create(b, loc, a[0], a[1]); })
        .Case([&](MulOp) { return arith::MulFOp::create(b, loc, a[0], a[1]); })
        .Case([&](DivOp) { return arith::DivFOp::create(b, loc, a[0], a[1]); })
        .Case([&](PowOp p) -> Value {
          // Squares and cubes (variances, GELU's x^3) as multiplies: exact
          // where powf is a call the CPU cannot vectorize.
          if (std::optional<int> e = smallIntegerExponent(p)) {
            Value square = arith::MulFOp::create(b, loc, a[0], a[0]);
            return *e == 2 ? square
                           : arith::MulFOp::create(b, loc, square, a[0]);
          }
          return math::PowFOp::create(b, loc, a[0], a[1]);
        })
        .Case([&](MaxOp) {
          return arith::MaximumFOp::create(b, loc, a[0], a[1]);
        })
        .Case([&](MinOp) {
          return arith::MinimumFOp::create(b, loc, a[0], a[1]);
        })
        .Case([&](EqualOp) { return cmp(P::OEQ); })
        .Case([&](NotEqualOp) { return cmp(P::UNE); })
        .Case([&](LessOp) { return cmp(P::OLT); })
        .Case([&](LessEqualOp) { return cmp(P::OLE); })
        .Case([&](GreaterOp) { return cmp(P::OGT); })
        .Case([&](GreaterEqualOp) { return cmp(P::OGE); })
        .Case([&](WhereOp) {
          return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
        })
        .Case([&](CastOp) -> Value {
          Type from = a[0].getType();
          if (from == type)
            return a[0];
          if (from.isInteger(1))
            return arith::UIToFPOp::create(b, loc, type, a[0]);
          if (cast<FloatType>(from).getWidth() <
              cast<FloatType>(type).getWidth())
            return arith::ExtFOp::create(b, loc, type, a[0]);
          return arith::TruncFOp::create(b, loc, type, a[0]);
        });
  }

  OpBuilder &b;
  Location loc;
  llvm::DenseMap<Value, Value> scalars;
  llvm::DenseMap<Attribute, Value> constants;
};

struct FuseElementwisePass
    : public kestrel::impl::FuseElementwiseBase<FuseElementwisePass> {
  using FuseElementwiseBase::FuseElementwiseBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    for (Block &block : func.getBody())
      fuseBlock(block);
  }

  /// The external inputs of `members` (in first-use order), without the
  /// constants that become scalars in the body.
  static llvm::SetVector<Value>
  inputsOf(ArrayRef<Operation *> members,
           const llvm::SmallPtrSetImpl<Operation *> &inGroup) {
    llvm::SetVector<Value> inputs;
    for (Operation *op : members)
      for (auto [i, v] : llvm::enumerate(op->getOperands())) {
        Operation *def = v.getDefiningOp();
        if ((def && inGroup.contains(def)) || inlinableConstant(op, i))
          continue;
        inputs.insert(v);
      }
    return inputs;
  }

  void fuseBlock(Block &block) {
    llvm::SmallPtrSet<Operation *, 32> taken;
    SmallVector<Operation *> roots(llvm::map_range(
        llvm::reverse(block), [](Operation &op) { return &op; }));
    for (Operation *root : roots) {
      if (taken.contains(root) || !isFusible(root))
        continue;
      // Grow the group until no producer joins.
      SmallVector<Operation *> members = {root};
      llvm::SmallPtrSet<Operation *, 16> inGroup = {root};
      ArrayRef<int64_t> rootShape = tensorType(root->getResult(0)).getShape();
      for (bool changed = true; changed;) {
        changed = false;
        for (size_t m = 0; m < members.size(); ++m) {
          for (Value v : members[m]->getOperands()) {
            Operation *def = v.getDefiningOp();
            if (!def || def->getBlock() != &block || inGroup.contains(def) ||
                taken.contains(def) || !isFusible(def) ||
                tensorType(def->getResult(0)).getShape() != rootShape)
              continue;
            if (!llvm::all_of(def->getUsers(), [&](Operation *user) {
                  return inGroup.contains(user);
                }))
              continue;
            inGroup.insert(def);
            members.push_back(def);
            if (inputsOf(members, inGroup).size() + 1 > kMaxOperands) {
              inGroup.erase(def);
              members.pop_back();
              continue;
            }
            changed = true;
          }
        }
      }
      // A group with no tensor input computes from constants alone; the
      // folders, not a kernel, should deal with it.
      if (members.size() < 2 || inputsOf(members, inGroup).empty())
        continue;
      for (Operation *op : members)
        taken.insert(op);
      materialize(root, members, inGroup);
    }
  }

  void materialize(Operation *root, SmallVector<Operation *> &members,
                   const llvm::SmallPtrSetImpl<Operation *> &inGroup) {
    llvm::sort(members, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    llvm::SetVector<Value> inputs = inputsOf(members, inGroup);
    SmallVector<Location> locs;
    for (Operation *op : members)
      locs.push_back(op->getLoc());
    OpBuilder b(root);
    Location loc = b.getFusedLoc(locs);
    Type resultType = root->getResult(0).getType();
    auto fused = FusedElementwiseOp::create(b, loc, TypeRange{resultType},
                                            inputs.getArrayRef());
    Block *body = b.createBlock(&fused.getBody());
    BodyBuilder builder(b, loc);
    for (Value in : inputs)
      builder.map(in, body->addArgument(tensorType(in).getElementType(), loc));
    for (Operation *op : members)
      builder.add(op);
    YieldOp::create(b, loc, builder.lookup(root->getResult(0)));

    root->getResult(0).replaceAllUsesWith(fused.getResult(0));
    for (Operation *op : llvm::reverse(members))
      op->erase();
    ++numFused;
    numAbsorbed += members.size();
  }
};

} // namespace
