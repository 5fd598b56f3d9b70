//===- FuseRope.cpp - Rotary embedding chains into kestrel.rope -----------===//
//
// Implements kestrel-fuse-rope for the rotate-half form exporters write for
// GPT-NeoX/Llama rotary embeddings:
//
//   r = concat(neg(x[..., h:]), x[..., :h])       (rotate_half, on the last
//   axis) y = x * cos + r * sin                          (either operand order)
//
// where cos and sin cover the whole head dim d = 2h with equal halves (HF
// computes them as cos(concat(freqs, freqs)), possibly scaled, reshaped or
// gathered by position). It becomes `kestrel.rope x, cos[..., :h],
// sin[..., :h]`. The halves must be provably equal: the pass follows cos and
// sin back through elementwise ops, scalar scaling, row-preserving reshapes
// and gathers to a concat of one tensor with itself, or to a constant whose
// halves it compares. Anything else stays unfused.
//
//===----------------------------------------------------------------------===//

#include "passes/MatchUtils.h"
#include "passes/Passes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#include <limits>

#define DEBUG_TYPE "kestrel-fuse-rope"

namespace kestrel {
#define GEN_PASS_DEF_FUSEROPE
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The static size of `v`'s last dim, or -1.
int64_t lastDim(Value v) {
  auto type = typeOf(v);
  if (type.getRank() == 0 || type.isDynamicDim(type.getRank() - 1))
    return -1;
  return type.getDimSize(type.getRank() - 1);
}

/// Whether `v[..., i] == v[..., i + d/2]` for every i, as the IR proves it.
bool hasEqualHalves(Value v, int depth = 0) {
  if (depth > 12 || lastDim(v) <= 0 || lastDim(v) % 2 != 0)
    return false;
  int64_t rank = typeOf(v).getRank();
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (auto concat = dyn_cast<ConcatOp>(def))
    return static_cast<int64_t>(concat.getAxis()) == rank - 1 &&
           concat.getInputs().size() == 2 &&
           concat.getInputs()[0] == concat.getInputs()[1];
  DenseFPElementsAttr values;
  if (matchPattern(v, m_Constant(&values))) {
    if (values.isSplat())
      return true;
    int64_t d = lastDim(v), h = d / 2;
    auto data = values.getValues<APFloat>();
    for (int64_t row = 0; row < values.getNumElements() / d; ++row)
      for (int64_t i = 0; i < h; ++i)
        if (data[row * d + i].compare(data[row * d + h + i]) !=
            APFloat::cmpEqual)
          return false;
    return true;
  }
  // Elementwise functions of one tensor keep equal halves equal.
  if (isa<CosOp, SinOp, NegOp, CastOp, ExpOp, SqrtOp, ReciprocalOp>(def))
    return hasEqualHalves(def->getOperand(0), depth + 1);
  // So does scaling by a scalar.
  if (isa<MulOp, DivOp>(def)) {
    for (int i = 0; i < 2; ++i)
      if (scalarFloatConstant(def->getOperand(1 - i)) &&
          (i == 0 || isa<MulOp>(def)) &&
          typeOf(def->getOperand(i)).getRank() == rank &&
          lastDim(def->getOperand(i)) == lastDim(v))
        return hasEqualHalves(def->getOperand(i), depth + 1);
    return false;
  }
  // Reshapes that keep the last dim keep every row, and gathers along
  // another axis pick whole rows.
  if (auto reshape = dyn_cast<ReshapeOp>(def))
    return lastDim(reshape.getInput()) == lastDim(v) &&
           hasEqualHalves(reshape.getInput(), depth + 1);
  if (auto gather = dyn_cast<GatherOp>(def)) {
    int64_t inRank = typeOf(gather.getInput()).getRank();
    int64_t axis = static_cast<int64_t>(gather.getAxis());
    if (axis < 0)
      axis += inRank;
    return axis != inRank - 1 && lastDim(gather.getInput()) == lastDim(v) &&
           hasEqualHalves(gather.getInput(), depth + 1);
  }
  return false;
}

/// `x` when `v` is slice(x) over [start, start + h) of the last axis, the
/// other axes whole.
Value lastAxisSlice(Value v, int64_t start, int64_t h) {
  auto slice = v.getDefiningOp<SliceOp>();
  if (!slice || lastDim(v) != h)
    return {};
  Value x = slice.getInput();
  auto type = typeOf(x);
  int64_t rank = type.getRank(), d = lastDim(x);
  ArrayRef<int64_t> starts = slice.getStarts(), ends = slice.getEnds(),
                    steps = slice.getSteps();
  if (d < 0 || static_cast<int64_t>(starts.size()) != rank)
    return {};
  for (int64_t i = 0; i < rank; ++i) {
    if (steps[i] != 1)
      return {};
    if (i < rank - 1) {
      bool whole = starts[i] == 0 &&
                   (ends[i] == std::numeric_limits<int64_t>::max() ||
                    (!type.isDynamicDim(i) && ends[i] >= type.getDimSize(i)));
      if (!whole)
        return {};
      continue;
    }
    int64_t begin = starts[i] < 0 ? starts[i] + d : starts[i];
    int64_t end = std::min(ends[i] < 0 ? ends[i] + d : ends[i], d);
    if (begin != start || end != start + h)
      return {};
  }
  return x;
}

/// x when `v` is rotate_half(x) = concat(-x[..., h:], x[..., :h]).
Value rotateHalfOf(Value v) {
  auto concat = v.getDefiningOp<ConcatOp>();
  if (!concat || concat.getInputs().size() != 2)
    return {};
  int64_t rank = typeOf(v).getRank();
  if (static_cast<int64_t>(concat.getAxis()) != rank - 1 || lastDim(v) <= 0 ||
      lastDim(v) % 2)
    return {};
  int64_t h = lastDim(v) / 2;
  auto neg = concat.getInputs()[0].getDefiningOp<NegOp>();
  if (!neg)
    return {};
  Value hi = lastAxisSlice(neg.getInput(), h, h);
  Value lo = lastAxisSlice(concat.getInputs()[1], 0, h);
  if (!hi || hi != lo)
    return {};
  return hi;
}

struct FuseRotateHalf : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    auto lhs = add.getLhs().getDefiningOp<MulOp>();
    auto rhs = add.getRhs().getDefiningOp<MulOp>();
    if (!lhs || !rhs)
      return rewriter.notifyMatchFailure(add, "not a sum of two products");
    // One product is x * cos, the other rotate_half(x) * sin.
    for (auto [direct, rotated] : {std::pair(lhs, rhs), std::pair(rhs, lhs)}) {
      for (int r = 0; r < 2; ++r) {
        Value x = rotateHalfOf(rotated->getOperand(r));
        if (!x)
          continue;
        Value sin = rotated->getOperand(1 - r);
        Value cos = otherOperand(direct, x);
        if (!cos || !direct.getResult().hasOneUse() ||
            !rotated.getResult().hasOneUse())
          continue;
        auto xType = typeOf(x);
        if (add.getType() != xType)
          return rewriter.notifyMatchFailure(add, "cos/sin broadcast x");
        if (!hasEqualHalves(cos) || !hasEqualHalves(sin))
          return rewriter.notifyMatchFailure(
              add, "cos and sin are not provably two equal halves");
        if (typeOf(cos).getElementType() != xType.getElementType() ||
            typeOf(sin).getElementType() != xType.getElementType() ||
            lastDim(cos) != lastDim(x) || lastDim(sin) != lastDim(x))
          return rewriter.notifyMatchFailure(add, "cos/sin do not fit x");
        int64_t h = lastDim(x) / 2;
        Location loc = add.getLoc();
        auto half = [&](Value t) -> Value {
          auto type = typeOf(t);
          int64_t rank = type.getRank();
          SmallVector<int64_t> starts(rank, 0), steps(rank, 1),
              ends(rank, std::numeric_limits<int64_t>::max());
          ends.back() = h;
          SmallVector<int64_t> shape(type.getShape());
          shape.back() = h;
          return SliceOp::create(
              rewriter, loc,
              RankedTensorType::get(shape, type.getElementType()), t,
              rewriter.getDenseI64ArrayAttr(starts),
              rewriter.getDenseI64ArrayAttr(ends),
              rewriter.getDenseI64ArrayAttr(steps));
        };
        Value cosHalf = half(cos), sinHalf = half(sin);
        auto rope = RopeOp::create(rewriter, loc, add.getType(), x, cosHalf,
                                   sinHalf, /*interleaved=*/false,
                                   /*rotary_dim=*/IntegerAttr());
        LLVM_DEBUG(llvm::dbgs() << "fused rotate-half rope at " << loc << "\n");
        rewriter.replaceOp(add, rope.getResult());
        return success();
      }
    }
    return rewriter.notifyMatchFailure(add, "no rotate_half(x) * sin term");
  }
};

struct FuseRopePass : public kestrel::impl::FuseRopeBase<FuseRopePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseRotateHalf>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
