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

/// The operand of `def` whose repetition along the last axis (equal halves
/// or equal pairs) its result keeps: the input of an elementwise function of
/// one tensor, or the tensor a scalar constant scales when `fits(operand)`.
/// Null for anything else.
template <typename Fits> Value repetitionSource(Operation *def, Fits fits) {
  if (isa<CosOp, SinOp, NegOp, CastOp, ExpOp, SqrtOp, ReciprocalOp>(def))
    return def->getOperand(0);
  if (isa<MulOp, DivOp>(def))
    for (int i = 0; i < 2; ++i)
      if (scalarFloatConstant(def->getOperand(1 - i)) &&
          (i == 0 || isa<MulOp>(def)) && fits(def->getOperand(i)))
        return def->getOperand(i);
  return {};
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
  // Elementwise functions of one tensor and scaling by a scalar keep equal
  // halves equal.
  if (Value source = repetitionSource(def, [&](Value operand) {
        return typeOf(operand).getRank() == rank &&
               lastDim(operand) == lastDim(v);
      }))
    return hasEqualHalves(source, depth + 1);
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

/// `v` with the reshapes that produce it peeled off: a reshape keeps the
/// row-major (flat) order of the elements.
Value peelReshapes(Value v) {
  while (auto r = v.getDefiningOp<ReshapeOp>())
    v = r.getInput();
  return v;
}

/// Whether `v`'s elements come in equal pairs in flat order, v[2j] ==
/// v[2j + 1] (for an even last dim, pairs along the last axis), as the IR
/// proves it: repeat_interleave(t, 2) as exporters write it (an expand of a
/// size-1 dim to 2 behind only size-1 dims, under reshapes), elementwise
/// functions and scalar scaling of such a tensor, gathers of whole even
/// rows, and constants.
bool hasEqualPairs(Value v, int depth = 0) {
  if (depth > 16)
    return false;
  v = peelReshapes(v);
  auto type = typeOf(v);
  int64_t rank = type.getRank();
  Operation *def = v.getDefiningOp();
  if (!def || rank == 0)
    return false;
  // The last dim that is not a static 1: a static 2 broadcast from 1 makes
  // every flat pair one element.
  if (auto expand = dyn_cast<ExpandOp>(def)) {
    int64_t k = rank - 1;
    while (k > 0 && type.getDimSize(k) == 1)
      --k;
    auto in = typeOf(expand.getInput());
    int64_t inK = k - (rank - in.getRank());
    return type.getDimSize(k) == 2 && (inK < 0 || in.getDimSize(inK) == 1);
  }
  DenseFPElementsAttr values;
  if (matchPattern(v, m_Constant(&values))) {
    if (values.isSplat())
      return true;
    auto data = values.getValues<APFloat>();
    int64_t n = values.getNumElements();
    if (n % 2)
      return false;
    for (int64_t i = 0; i < n; i += 2)
      if (data[i].compare(data[i + 1]) != APFloat::cmpEqual)
        return false;
    return true;
  }
  if (Value source = repetitionSource(def, [&](Value operand) {
        return typeOf(operand).getShape() == type.getShape();
      }))
    return hasEqualPairs(source, depth + 1);
  // A gather along another axis copies whole rows; even rows keep pairs.
  if (auto gather = dyn_cast<GatherOp>(def)) {
    int64_t inRank = typeOf(gather.getInput()).getRank();
    int64_t axis = static_cast<int64_t>(gather.getAxis());
    if (axis < 0)
      axis += inRank;
    int64_t last = lastDim(gather.getInput());
    return axis != inRank - 1 && last > 0 && last % 2 == 0 &&
           hasEqualPairs(gather.getInput(), depth + 1);
  }
  return false;
}

/// `x` when `v` is slice(x) over [start, start + h) of the last axis, the
/// other axes whole.
Value lastAxisSlice(Value v, int64_t start, int64_t h, int64_t step = 1) {
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
    if (steps[i] != (i == rank - 1 ? step : 1))
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
    if (begin != start || (end - begin + step - 1) / step != h)
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

/// x when `v` is GPT-J's rotate_every_two(x) =
/// flatten(stack(-x[..., 1::2], x[..., ::2]), -2): in flat order
/// v[2j] = -x[2j + 1] and v[2j + 1] = x[2j]. Exporters write the stack as
/// unsqueezes (reshapes) and a concat on the new last axis, the flatten as
/// a reshape; reshapes keep the flat order, so they are peeled.
Value rotateEveryTwoOf(Value v) {
  auto concat = peelReshapes(v).getDefiningOp<ConcatOp>();
  if (!concat || concat.getInputs().size() != 2)
    return {};
  int64_t rank = typeOf(concat.getResult()).getRank();
  if (static_cast<int64_t>(concat.getAxis()) != rank - 1 ||
      lastDim(concat.getInputs()[0]) != 1 ||
      lastDim(concat.getInputs()[1]) != 1)
    return {};
  auto neg = peelReshapes(concat.getInputs()[0]).getDefiningOp<NegOp>();
  if (!neg)
    return {};
  Value odd = peelReshapes(neg.getInput());
  Value even = peelReshapes(concat.getInputs()[1]);
  int64_t h = lastDim(odd);
  if (h <= 0)
    return {};
  Value x = lastAxisSlice(odd, 1, h, 2);
  if (!x || x != lastAxisSlice(even, 0, h, 2) || lastDim(x) != 2 * h)
    return {};
  return x;
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
        bool interleaved = false;
        Value x = rotateHalfOf(rotated->getOperand(r));
        if (!x) {
          x = rotateEveryTwoOf(rotated->getOperand(r));
          interleaved = true;
        }
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
        if (!interleaved && (!hasEqualHalves(cos) || !hasEqualHalves(sin)))
          return rewriter.notifyMatchFailure(
              add, "cos and sin are not provably two equal halves");
        if (interleaved && (!hasEqualPairs(cos) || !hasEqualPairs(sin)))
          return rewriter.notifyMatchFailure(
              add, "cos and sin are not provably in equal pairs");
        // Interleaved tables may have a dynamic last dim (the exporters'
        // flattening reshape); the rope kernels check it at run time.
        auto fits = [&](Value t) {
          return typeOf(t).getElementType() == xType.getElementType() &&
                 (lastDim(t) == lastDim(x) ||
                  (interleaved && lastDim(t) < 0)) &&
                 typeOf(t).getRank() <= xType.getRank();
        };
        if (!fits(cos) || !fits(sin))
          return rewriter.notifyMatchFailure(add, "cos/sin do not fit x");
        int64_t h = lastDim(x) / 2;
        Location loc = add.getLoc();
        auto half = [&](Value t) -> Value {
          auto type = typeOf(t);
          int64_t rank = type.getRank();
          // Rotate-half: [..., :h]; interleaved: [..., ::2].
          SmallVector<int64_t> starts(rank, 0), steps(rank, 1),
              ends(rank, std::numeric_limits<int64_t>::max());
          if (interleaved)
            steps.back() = 2;
          else
            ends.back() = h;
          SmallVector<int64_t> shape(type.getShape());
          if (!interleaved || !type.isDynamicDim(rank - 1))
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
                                   sinHalf, interleaved,
                                   /*rotary_dim=*/IntegerAttr());
        LLVM_DEBUG(llvm::dbgs()
                   << "fused " << (interleaved ? "interleaved" : "rotate-half")
                   << " rope at " << loc << "\n");
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
    populateFuseRopePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void kestrel::populateFuseRopePatterns(RewritePatternSet &patterns) {
  patterns.add<FuseRotateHalf>(patterns.getContext());
}
