//===- FuseAttention.cpp - Decomposed attention into kestrel.attention ----===//
//
// Implements kestrel-fuse-attention. Exporters write scaled dot-product
// attention as a dozen small ops; this pass finds them from the softmax
// outwards and rewrites
//
//   s = matmul(q', kt') [* c | / c]        (q' = q [* a | / a], likewise k)
//   s = s + mask ... | where(keep, s, -big)
//   p = softmax(s, axis = -1) [NaN guard: where(p != p, 0, p)]
//   o = matmul(p, v')
//
// into `kestrel.attention q, k, v[, mask]` where
//   - kt' is transpose(k, [0, 1, 3, 2]), the dynamo form reshape(transpose(
//     reshape(k, [-1, S, D]), [0, 2, 1]), [B, H, D, S]), or matmul's
//     transpose_b;
//   - k and v may come through the repeat-kv expansion of GQA/MQA
//     (reshape to [B, KvH, 1, S, D], expand, reshape to [B, H, S, D]), which
//     the fused op does in place;
//   - the scale is the product of the scalar factors on q, on k and on the
//     scores;
//   - a causal mask (a where/compare of two aranges, as torch's
//     `j <= i` masks and Trilu export, or a constant lower-triangular mask)
//     becomes `causal = true`; any other additive mask is passed as `mask`,
//     a boolean where-mask as an i1 `mask`.
//
// Only the final matmul's result is replaced; sites that do not match stay
// as they are (and correct). With `report`, each softmax gets a remark
// saying whether and why not it was fused.
//
//===----------------------------------------------------------------------===//

#include "passes/MatchUtils.h"
#include "passes/Passes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Support/Debug.h"

#include <cmath>

#define DEBUG_TYPE "kestrel-fuse-attention"

namespace kestrel {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

/// A value at or below this is a "minus infinity" of a mask: adding it
/// makes exp underflow to exactly 0 (finfo.min, -1e9 in older exports,
/// -inf).
constexpr double kMaskedOut = -1.0e4;

int64_t rankOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getRank();
}

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Whether `v` is a tensor whose dims are all 1 but (maybe) dim `keep`
/// counted from the end.
bool onlyDimFromEnd(Value v, int64_t keep) {
  auto type = typeOf(v);
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (i != type.getRank() - keep && type.getDimSize(i) != 1)
      return false;
  return type.getRank() >= keep;
}

/// An index vector along one axis of a mask: an arange (start, limit, step
/// 1), or the constant it folds to when the shapes are static.
struct Arange {
  RangeOp range;
  int64_t start = 0, length = -1;
  explicit operator bool() const { return range || length >= 0; }
  bool operator==(const Arange &other) const {
    if (range || other.range) {
      if (!range || !other.range)
        return false;
      // Two ranges of the same operands (CSE may not have merged them).
      Operation *a = range, *b = other.range;
      return a == b || a->getOperands() == b->getOperands();
    }
    return start == other.start && length == other.length;
  }
};

/// The arange a mask compares, seen as a row ([..., S, 1], fromEnd = 2) or
/// a column ([..., 1, S], fromEnd = 1): a reshaped `kestrel.range` of step
/// 1, or a constant of consecutive integers.
Arange arangeAlong(Value v, int64_t fromEnd) {
  if (!onlyDimFromEnd(v, fromEnd))
    return {};
  DenseIntElementsAttr values;
  if (matchPattern(v, m_Constant(&values))) {
    Arange a;
    int64_t i = 0;
    for (const APInt &x : values.getValues<APInt>()) {
      if (i == 0)
        a.start = x.getSExtValue();
      else if (x.getSExtValue() != a.start + i)
        return {};
      ++i;
    }
    a.length = i;
    return a;
  }
  auto reshape = v.getDefiningOp<ReshapeOp>();
  if (!reshape || rankOf(reshape.getInput()) != 1)
    return {};
  auto range = reshape.getInput().getDefiningOp<RangeOp>();
  if (!range || !matchPattern(range.getDelta(), m_One()))
    return {};
  Arange a;
  a.range = range;
  return a;
}

/// Whether `lhs OP rhs` compares a key index with a query index: returns +1
/// for (key, query), -1 for (query, key), 0 otherwise.
int keyQueryOrder(Value lhs, Value rhs) {
  Arange colL = arangeAlong(lhs, 1), rowR = arangeAlong(rhs, 2);
  if (colL && rowR && colL == rowR)
    return 1;
  Arange rowL = arangeAlong(lhs, 2), colR = arangeAlong(rhs, 1);
  if (rowL && colR && rowL == colR)
    return -1;
  return 0;
}

enum class Causal { None, Keep, Drop };

/// Whether the boolean `c` is true exactly where key j <= query i (Keep) or
/// exactly where j > i (Drop), as torch's causal masks and Trilu export.
Causal causalCondition(Value c) {
  for (int depth = 0; depth < 8; ++depth) {
    if (auto expand = c.getDefiningOp<ExpandOp>()) {
      c = expand.getInput();
      continue;
    }
    if (auto notOp = c.getDefiningOp<NotOp>()) {
      Causal inner = causalCondition(notOp.getInput());
      return inner == Causal::Keep   ? Causal::Drop
             : inner == Causal::Drop ? Causal::Keep
                                     : Causal::None;
    }
    break;
  }
  Operation *cmp = c.getDefiningOp();
  if (!cmp || cmp->getNumOperands() != 2)
    return Causal::None;
  int order = keyQueryOrder(cmp->getOperand(0), cmp->getOperand(1));
  if (order == 0)
    return Causal::None;
  // key <= query, query >= key: keep; key > query, query < key: drop.
  if ((order == 1 && isa<LessEqualOp>(cmp)) ||
      (order == -1 && isa<GreaterEqualOp>(cmp)))
    return Causal::Keep;
  if ((order == 1 && isa<GreaterOp>(cmp)) || (order == -1 && isa<LessOp>(cmp)))
    return Causal::Drop;
  return Causal::None;
}

/// Whether the float constant `v` is a square lower-triangular additive
/// mask: 0 where j <= i, masked out above the diagonal.
bool isCausalConstant(Value v) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return false;
  auto type = typeOf(v);
  int64_t rank = type.getRank();
  if (rank < 2 || type.getDimSize(rank - 1) != type.getDimSize(rank - 2))
    return false;
  for (int64_t i = 0; i + 2 < rank; ++i)
    if (type.getDimSize(i) != 1)
      return false;
  int64_t n = type.getDimSize(rank - 1);
  if (n < 2)
    return false;
  if (attr.isSplat())
    return false;
  auto values = attr.getValues<APFloat>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double x = values[i * n + j].convertToDouble();
      if (j <= i ? x != 0.0 : x > kMaskedOut)
        return false;
    }
  return true;
}

/// A scalar constant at or below kMaskedOut.
bool isMaskedOutConstant(Value v) {
  std::optional<double> x = scalarFloatConstant(v);
  return x && *x <= kMaskedOut;
}

/// Whether `v` is computed from a matmul through scalar scaling and adds:
/// the scores side of an add (the other side is a mask).
bool reachesMatmul(Value v, int depth = 0) {
  if (depth > 8)
    return false;
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (isa<MatmulOp>(def))
    return true;
  if (isa<MulOp, DivOp>(def))
    return (isa<MulOp>(def) && scalarFloatConstant(def->getOperand(0)) &&
            reachesMatmul(def->getOperand(1), depth + 1)) ||
           (scalarFloatConstant(def->getOperand(1)) &&
            reachesMatmul(def->getOperand(0), depth + 1));
  if (isa<AddOp>(def))
    return reachesMatmul(def->getOperand(0), depth + 1) ||
           reachesMatmul(def->getOperand(1), depth + 1);
  if (auto where = dyn_cast<WhereOp>(def))
    return reachesMatmul(where.getTrueValue(), depth + 1) ||
           reachesMatmul(where.getFalseValue(), depth + 1);
  return false;
}

/// Peels multiplications and divisions by positive-or-negative scalar
/// constants off `v`, folding them into `scale`.
Value peelScale(Value v, double &scale) {
  for (int depth = 0; depth < 8; ++depth) {
    Operation *def = v.getDefiningOp();
    if (auto mul = dyn_cast_or_null<MulOp>(def)) {
      // The scalar must not broadcast the tensor to a bigger rank.
      if (std::optional<double> c = scalarFloatConstant(mul.getRhs());
          c && rankOf(mul.getRhs()) <= rankOf(mul.getLhs())) {
        scale *= *c;
        v = mul.getLhs();
        continue;
      }
      if (std::optional<double> c = scalarFloatConstant(mul.getLhs());
          c && rankOf(mul.getLhs()) <= rankOf(mul.getRhs())) {
        scale *= *c;
        v = mul.getRhs();
        continue;
      }
    }
    if (auto div = dyn_cast_or_null<DivOp>(def)) {
      if (std::optional<double> c = scalarFloatConstant(div.getRhs());
          c && *c != 0.0 && rankOf(div.getRhs()) <= rankOf(div.getLhs())) {
        scale /= *c;
        v = div.getLhs();
        continue;
      }
    }
    break;
  }
  return v;
}

/// GQA/MQA's repeat-kv: reshape([B, KvH, S, D] -> [B, KvH, 1, S, D]),
/// expand the unit dim to n_rep, reshape to [B, KvH * n_rep, S, D]. Returns
/// the un-repeated tensor, or `v` itself. repeat_interleave(k, n_rep, 1) as
/// the TorchScript exporter writes it (unsqueeze, Tile, reshape) imports as
/// the same with one more unit dim ([B, KvH, 1, 1, S, D], expanded to
/// [B, KvH, n_rep, 1, S, D]) and a reshape on either side of the expand
/// split in two; reshapes keep the flat order, so the chains are followed.
Value stripRepeatKv(Value v) {
  auto merge = v.getDefiningOp<ReshapeOp>();
  if (!merge || rankOf(v) != 4)
    return v;
  Value merged = merge.getInput();
  while (auto more = merged.getDefiningOp<ReshapeOp>())
    merged = more.getInput();
  auto expand = merged.getDefiningOp<ExpandOp>();
  int64_t r = expand ? rankOf(expand.getResult()) : 0;
  if (r != 5 && r != 6)
    return v;
  // The reshapes from k (rank 4) to the unit-dim form (rank r).
  SmallVector<ReshapeOp> splits;
  Value kv = expand.getInput();
  while (rankOf(kv) != 4) {
    auto split = kv.getDefiningOp<ReshapeOp>();
    if (!split || splits.size() == 2)
      return v;
    splits.push_back(split);
    kv = split.getInput();
  }
  if (splits.empty())
    return v;
  auto in = typeOf(kv), unit = typeOf(expand.getInput()), out = typeOf(v);
  if (unit.getRank() != r)
    return v;
  auto compatible = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
  };
  // [B, KvH, S, D] -> [B, KvH, 1, (1,) S, D]: the unit dims are new after
  // KvH, head_dim stays; -> [B, H, S, D] keeps head_dim and sequence.
  for (int64_t d = 2; d < r - 2; ++d)
    if (unit.getDimSize(d) != 1)
      return v;
  if (!compatible(unit.getDimSize(1), in.getDimSize(1)) ||
      !compatible(unit.getDimSize(r - 1), in.getDimSize(3)) ||
      !compatible(out.getDimSize(3), in.getDimSize(3)) ||
      !compatible(out.getDimSize(2), in.getDimSize(2)) ||
      !compatible(out.getDimSize(0), in.getDimSize(0)))
    return v;
  // When both head counts are known, the query-side one is a multiple.
  if (!in.isDynamicDim(1) && !out.isDynamicDim(1) &&
      out.getDimSize(1) % in.getDimSize(1) != 0)
    return v;
  // Each reshape from k keeps the sequence dim (second to last): its shape
  // reads it from a tensor's second-to-last dim (k's own, k's for v, or the
  // previous step's), or it is static and equal. (A reshape that moved
  // elements between batch and sequence would leave k, v and q disagreeing
  // on the batch, which the kernels reject.)
  for (ReshapeOp split : splits) {
    Value shape = split.getShape();
    if (!shape)
      continue;
    int64_t rank = rankOf(split.getResult());
    std::optional<ShapeElement> seq = traceShapeElement(shape, rank - 2);
    bool readsSeq = seq && seq->tensor && seq->dim == rankOf(seq->tensor) - 2 &&
                    rankOf(seq->tensor) >= 4;
    if (!readsSeq &&
        !(typeOf(split.getResult()).getDimSize(rank - 2) == in.getDimSize(2) &&
          !in.isDynamicDim(2)))
      return v;
  }
  return kv;
}

/// The static form of dynamo's kᵀ once shapes are known and the importer
/// folded the reshapes: reshape(transpose(reshape(X -> [B*H, S, D]),
/// [0, 2, 1]) -> [B, H, D, S]) where X is k itself ([B, H, S, D]) or k's
/// repeat-kv expansion before its final reshape ([B, KvH, R, S, D], the
/// reshapes folded into one).
Value untransposeStatic(Value kt) {
  auto outer = kt.getDefiningOp<ReshapeOp>();
  if (!outer || rankOf(kt) != 4 || !typeOf(kt).hasStaticShape())
    return {};
  auto t = outer.getInput().getDefiningOp<TransposeOp>();
  if (!t || t.getPermutation() != ArrayRef<int64_t>{0, 2, 1})
    return {};
  auto inner = t.getInput().getDefiningOp<ReshapeOp>();
  if (!inner)
    return {};
  Value x = inner.getInput();
  auto xType = typeOf(x);
  ArrayRef<int64_t> bhds = typeOf(kt).getShape();
  ArrayRef<int64_t> flat = typeOf(inner.getResult()).getShape();
  if (!xType.hasStaticShape() || xType.getRank() < 3 || flat.size() != 3)
    return {};
  ArrayRef<int64_t> xs = xType.getShape();
  int64_t s = xs[xs.size() - 2], d = xs.back();
  // [.., S, D] -> [B*H, S, D] -> [B*H, D, S] -> [B, H, D, S].
  if (flat[1] != s || flat[2] != d || bhds[2] != d || bhds[3] != s ||
      flat[0] != bhds[0] * bhds[1])
    return {};
  if (xType.getRank() == 4 && xs[0] == bhds[0] && xs[1] == bhds[1])
    return x;
  if (xType.getRank() != 5 || xs[0] != bhds[0] || xs[1] * xs[2] != bhds[1])
    return {};
  auto expand = x.getDefiningOp<ExpandOp>();
  auto split = expand ? expand.getInput().getDefiningOp<ReshapeOp>() : nullptr;
  if (!split || rankOf(split.getInput()) != 4)
    return {};
  Value k = split.getInput();
  ArrayRef<int64_t> ks = typeOf(k).getShape(),
                    unit = typeOf(split.getResult()).getShape();
  if (unit[2] != 1 || ks[0] != xs[0] || ks[1] != xs[1] || ks[2] != s ||
      ks[3] != d || unit[1] != xs[1] || unit[3] != s)
    return {};
  return k;
}

/// k from kᵀ: transpose(k, [0, 1, 3, 2]) or the dynamo form
/// reshape(transpose(reshape(k, [-1, S, D]), [0, 2, 1]), [B, H, D, S]).
Value untranspose(Value kt) {
  if (auto t = kt.getDefiningOp<TransposeOp>()) {
    if (t.getPermutation() == ArrayRef<int64_t>{0, 1, 3, 2})
      return t.getInput();
    return {};
  }
  auto outer = kt.getDefiningOp<ReshapeOp>();
  if (!outer || !outer.getShape() || rankOf(kt) != 4)
    return {};
  auto t = outer.getInput().getDefiningOp<TransposeOp>();
  if (!t || t.getPermutation() != ArrayRef<int64_t>{0, 2, 1})
    return {};
  auto inner = t.getInput().getDefiningOp<ReshapeOp>();
  if (!inner || !inner.getShape() || rankOf(inner.getInput()) != 4)
    return {};
  Value k = inner.getInput();
  Value in = inner.getShape(), out = outer.getShape();
  // [B, H, S, D] -> [B*H, S, D] -> [B*H, D, S] -> [B, H, D, S].
  if (!shapeElementIsDim(in, 1, k, 2) || !shapeElementIsDim(in, 2, k, 3) ||
      !shapeElementIsDim(out, 0, k, 0) || !shapeElementIsDim(out, 1, k, 1) ||
      !shapeElementIsDim(out, 2, k, 3) || !shapeElementIsDim(out, 3, k, 2))
    return {};
  return k;
}

/// A matched site, before it is rewritten.
struct Site {
  Value query, key, value, mask;
  /// The key is k in [B, S, H, D] (kᵀ = transpose(k, [0, 2, 3, 1]), as
  /// GPT-J's TorchScript export writes it); the rewrite transposes it to
  /// [B, H, S, D].
  bool keyIsBshd = false;
  double scale = 1.0;
  bool causal = false;
};

/// Matches the site around `softmax`; on failure, returns why.
FailureOr<Site> matchSite(SoftmaxOp softmax, MatmulOp &pv, std::string &why) {
  auto fail = [&](const Twine &reason) {
    why = reason.str();
    return failure();
  };
  Value probs = softmax.getResult();
  int64_t rank = rankOf(probs);
  if (rank != 4 || softmax.getAxis() != 3)
    return fail("the softmax is not over the last dim of a rank-4 tensor");

  // The NaN guard dynamo exports write after the softmax:
  // where(p != p, 0, p).
  if (!probs.hasOneUse()) {
    NotEqualOp isNan;
    WhereOp guard;
    for (Operation *user : probs.getUsers()) {
      if (auto ne = dyn_cast<NotEqualOp>(user);
          ne && ne.getLhs() == probs && ne.getRhs() == probs)
        isNan = ne;
      else if (auto w = dyn_cast<WhereOp>(user))
        guard = w;
      else
        return fail("the probabilities have users other than one matmul");
    }
    if (!isNan || !guard || !isNan->hasOneUse() ||
        guard.getCondition() != isNan.getResult() ||
        guard.getFalseValue() != probs ||
        scalarFloatConstant(guard.getTrueValue()) != 0.0)
      return fail("the probabilities have users other than one matmul");
    probs = guard.getResult();
  }
  pv = dyn_cast_or_null<MatmulOp>(singleUser(probs));
  if (!pv || pv.getLhs() != probs || pv.getTransposeA() || pv.getTransposeB())
    return fail("the probabilities do not feed one matmul with v");

  Site site;
  site.value = stripRepeatKv(pv.getRhs());
  if (rankOf(site.value) != 4)
    return fail("v is not rank 4");

  // Masks, outermost first.
  Value scores = softmax.getInput();
  SmallVector<Value> masks;
  for (int depth = 0; depth < 8; ++depth) {
    if (!scores.hasOneUse() && depth > 0)
      return fail("the masked scores have other users");
    if (auto add = scores.getDefiningOp<AddOp>()) {
      bool lhs = reachesMatmul(add.getLhs()), rhs = reachesMatmul(add.getRhs());
      if (lhs == rhs)
        return fail("cannot tell the scores from the mask in an add");
      Value mask = lhs ? add.getRhs() : add.getLhs();
      scores = lhs ? add.getLhs() : add.getRhs();
      if (typeOf(mask).getElementType() != typeOf(scores).getElementType())
        return fail("the additive mask's element type is not the scores'");
      if (rankOf(mask) > 4)
        return fail("the additive mask has rank above 4");
      // where(keep, 0, -big) and where(drop, -big, 0) of a causal
      // condition, or a constant triangle: causal.
      if (auto w = mask.getDefiningOp<WhereOp>()) {
        Causal c = causalCondition(w.getCondition());
        if ((c == Causal::Keep &&
             scalarFloatConstant(w.getTrueValue()) == 0.0 &&
             isMaskedOutConstant(w.getFalseValue())) ||
            (c == Causal::Drop && isMaskedOutConstant(w.getTrueValue()) &&
             scalarFloatConstant(w.getFalseValue()) == 0.0)) {
          site.causal = true;
          continue;
        }
      }
      if (isCausalConstant(mask)) {
        site.causal = true;
        continue;
      }
      masks.push_back(mask);
      continue;
    }
    if (auto w = scores.getDefiningOp<WhereOp>()) {
      // where(keep, s, -big) / where(drop, -big, s): a boolean mask.
      bool keepForm = isMaskedOutConstant(w.getFalseValue()) &&
                      reachesMatmul(w.getTrueValue());
      bool dropForm = isMaskedOutConstant(w.getTrueValue()) &&
                      reachesMatmul(w.getFalseValue());
      if (!keepForm && !dropForm)
        return fail("a where on the scores is not a mask of -inf");
      Causal c = causalCondition(w.getCondition());
      scores = keepForm ? w.getTrueValue() : w.getFalseValue();
      if ((keepForm && c == Causal::Keep) || (dropForm && c == Causal::Drop)) {
        site.causal = true;
        continue;
      }
      if (dropForm)
        return fail("a where mask that selects the masked-out positions");
      if (rankOf(w.getCondition()) > 4)
        return fail("the boolean mask has rank above 4");
      masks.push_back(w.getCondition());
      continue;
    }
    break;
  }
  if (masks.size() > 1)
    return fail("more than one non-causal mask");
  if (!masks.empty())
    site.mask = masks.front();

  if (!scores.hasOneUse())
    return fail("the scores have other users");
  Value raw = peelScale(scores, site.scale);
  auto qk = raw.getDefiningOp<MatmulOp>();
  if (!qk || qk.getTransposeA())
    return fail("the softmax input is not a (scaled, masked) matmul");
  if (raw != scores && !raw.hasOneUse())
    return fail("the unscaled scores have other users");
  site.query = peelScale(qk.getLhs(), site.scale);
  Value kt = peelScale(qk.getRhs(), site.scale);
  Value k = qk.getTransposeB() ? kt : untranspose(kt);
  auto bshd = kt.getDefiningOp<TransposeOp>();
  if (!k && bshd && bshd.getPermutation() == ArrayRef<int64_t>{0, 2, 3, 1}) {
    k = peelScale(bshd.getInput(), site.scale);
    site.keyIsBshd = true;
  } else if (k) {
    k = stripRepeatKv(peelScale(k, site.scale));
  } else {
    k = untransposeStatic(kt);
    if (!k)
      return fail("the matmul's rhs is not a transposed key");
  }
  site.key = k;

  if (rankOf(site.query) != 4 || rankOf(site.key) != 4)
    return fail("q or k is not rank 4");
  Type element = typeOf(site.query).getElementType();
  if (typeOf(site.key).getElementType() != element ||
      typeOf(site.value).getElementType() != element)
    return fail("q, k and v do not share one element type");
  if (site.mask && !typeOf(site.mask).getElementType().isInteger(1) &&
      typeOf(site.mask).getElementType() != element)
    return fail("the mask's element type is neither i1 nor q's");
  if (!(site.scale > 0.0) || !std::isfinite(site.scale))
    return fail("the combined scale is not positive and finite");
  return site;
}

struct FuseAttentionPass
    : public kestrel::impl::FuseAttentionBase<FuseAttentionPass> {
  using FuseAttentionBase::FuseAttentionBase;

  void runOnOperation() override {
    SmallVector<SoftmaxOp> softmaxes;
    getOperation().walk([&](SoftmaxOp op) { softmaxes.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (SoftmaxOp softmax : softmaxes) {
      MatmulOp pv;
      std::string why;
      FailureOr<Site> site = matchSite(softmax, pv, why);
      if (failed(site)) {
        LLVM_DEBUG(llvm::dbgs() << "not fused at " << softmax.getLoc() << ": "
                                << why << "\n");
        if (report)
          softmax.emitRemark("attention not fused: ") << why;
        continue;
      }
      rewriter.setInsertionPoint(pv);
      if (site->keyIsBshd) {
        auto bshd = typeOf(site->key);
        ArrayRef<int64_t> d = bshd.getShape();
        site->key = TransposeOp::create(
            rewriter, site->key.getLoc(),
            RankedTensorType::get({d[0], d[2], d[1], d[3]},
                                  bshd.getElementType()),
            site->key, rewriter.getDenseI64ArrayAttr({0, 2, 1, 3}));
      }
      auto qType = typeOf(site->query), kType = typeOf(site->key);
      IntegerAttr heads, kvHeads;
      if (!qType.isDynamicDim(1) && !kType.isDynamicDim(1)) {
        heads = rewriter.getI64IntegerAttr(qType.getDimSize(1));
        kvHeads = rewriter.getI64IntegerAttr(kType.getDimSize(1));
      }
      Location loc = rewriter.getFusedLoc({softmax.getLoc(), pv.getLoc()});
      auto attention = AttentionOp::create(
          rewriter, loc, pv.getResult().getType(), site->query, site->key,
          site->value, site->mask,
          rewriter.getF32FloatAttr(static_cast<float>(site->scale)),
          rewriter.getBoolAttr(site->causal), heads, kvHeads,
          rewriter.getStringAttr("bhsd"));
      // The shape rules have the last word (e.g. head counts that do not
      // divide); their complaint is the remark, not an error.
      std::string complaint;
      bool verified;
      {
        ScopedDiagnosticHandler quiet(&getContext(), [&](Diagnostic &d) {
          if (complaint.empty())
            complaint = d.str();
          return success();
        });
        verified = succeeded(mlir::verify(attention));
      }
      if (!verified) {
        rewriter.eraseOp(attention);
        if (site->keyIsBshd)
          rewriter.eraseOp(site->key.getDefiningOp());
        if (report)
          softmax.emitRemark("attention not fused: the fused op would not "
                             "verify: ")
              << complaint;
        continue;
      }
      if (report)
        softmax.emitRemark("attention fused")
            << (site->causal ? " (causal)" : "")
            << (site->mask ? " (with mask)" : "");
      rewriter.replaceOp(pv, attention.getResult());
      ++numFused;
    }
  }
};

} // namespace
