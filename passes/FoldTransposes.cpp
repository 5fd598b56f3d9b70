//===- FoldTransposes.cpp - Transposes into their consumers' layouts ------===//
//
// Implements kestrel-fold-transposes. Exporters move attention's operands
// from the projections' [B, S, H, D] to [B, H, S, D] and its output back,
// four transposes (copies) per layer. This pass takes them into the ops
// that can read the projections' layout instead:
//
//  - a transpose that keeps the last dim in place commutes with
//    kestrel.rope (an elementwise op on rows of the last dim): rope of the
//    transpose becomes the transpose of rope, with cos and sin permuted the
//    other way (a reshape where that only moves size-1 dims, as for the
//    [1, 1, S, D/2] tables rotary embeddings broadcast);
//  - kestrel.attention whose query, key and value are transposes by
//    [0, 2, 1, 3] reads their inputs in the "bshd" layout instead, and
//    writes its output in it, behind a transpose that folds into the one
//    the exporter wrote after attention (two transposes by [0, 2, 1, 3]
//    are the identity).
//
//  - a gather from a transposed weight gathers from the weight as stored
//    and permutes only the rows it took.
//
// The shape of a transpose is read from its input (a gather of that shape)
// so that a transpose kept only for its shape goes. Transposes left without
// users are erased. With `report`, each attention op whose layout changed
// gets a remark naming how many transposes went.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-fold-transposes"

namespace kestrel {
#define GEN_PASS_DEF_FOLDTRANSPOSES
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

constexpr int64_t kHeadsSeqSwap[] = {0, 2, 1, 3};

/// Whether applying `perm` to a tensor of `shape` keeps its elements in
/// order (it only moves size-1 dims), so a reshape can do it.
bool onlyMovesUnitDims(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  int64_t last = -1;
  for (int64_t d : perm) {
    if (shape[d] == 1)
      continue;
    if (d < last)
      return false;
    last = d;
  }
  return true;
}

/// Whether `transpose` has no users but `op` and shape_of ops (which read
/// the shape from the transpose's input instead): it goes when `op` stops
/// reading it.
bool onlyReadBy(TransposeOp transpose, Operation *op) {
  return llvm::all_of(transpose->getUsers(), [&](Operation *user) {
    return user == op || isa<ShapeOfOp>(user);
  });
}

/// `v` (broadcast right-aligned to `rank` dims) permuted by `perm`: a
/// reshape when that keeps the element order and at most one dim is
/// dynamic, else a transpose.
Value permuteBroadcast(PatternRewriter &rewriter, Location loc, Value v,
                       int64_t rank, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(rank - type.getRank(), 1);
  llvm::append_range(shape, type.getShape());
  SmallVector<int64_t> permuted;
  for (int64_t d : perm)
    permuted.push_back(shape[d]);
  auto permutedType = RankedTensorType::get(permuted, type.getElementType());
  int64_t dynamic = llvm::count_if(shape, ShapedType::isDynamic);
  if (onlyMovesUnitDims(shape, perm) && dynamic <= 1)
    return ReshapeOp::create(rewriter, loc, permutedType, v, Value(),
                             rewriter.getBoolAttr(false));
  if (int64_t(shape.size()) != type.getRank())
    v = ReshapeOp::create(rewriter, loc,
                          RankedTensorType::get(shape, type.getElementType()),
                          v, Value(), rewriter.getBoolAttr(false));
  return TransposeOp::create(rewriter, loc, permutedType, v,
                             rewriter.getDenseI64ArrayAttr(perm));
}

/// rope(transpose(x, p), cos, sin) -> transpose(rope(x, cos', sin'), p)
/// for a p that keeps the last dim, so that the transpose can reach the
/// op after the rope (attention).
struct SinkTransposeThroughRope : public OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RopeOp rope,
                                PatternRewriter &rewriter) const override {
    auto transpose = rope.getInput().getDefiningOp<TransposeOp>();
    if (!transpose)
      return rewriter.notifyMatchFailure(rope, "input is not a transpose");
    ArrayRef<int64_t> perm = transpose.getPermutation();
    int64_t rank = int64_t(perm.size());
    if (rank < 2 || perm.back() != rank - 1)
      return rewriter.notifyMatchFailure(rope, "the transpose moves the "
                                               "rotated (last) dim");
    if (!onlyReadBy(transpose, rope))
      return rewriter.notifyMatchFailure(rope, "the transpose has other users");
    for (Value table : {rope.getCos(), rope.getSin()}) {
      auto t = cast<RankedTensorType>(table.getType());
      if (t.getRank() > rank)
        return rewriter.notifyMatchFailure(rope, "cos/sin outrank the input");
    }
    // cos and sin broadcast against the transposed rows; against x's rows
    // they need the inverse permutation.
    SmallVector<int64_t> inverse(rank);
    for (int64_t d = 0; d < rank; ++d)
      inverse[perm[d]] = d;
    Location loc = rope.getLoc();
    Value cos = permuteBroadcast(rewriter, loc, rope.getCos(), rank, inverse);
    Value sin = permuteBroadcast(rewriter, loc, rope.getSin(), rank, inverse);
    Value x = transpose.getInput();
    auto rotated =
        RopeOp::create(rewriter, loc, x.getType(), x, cos, sin,
                       rope.getInterleavedAttr(), rope.getRotaryDimAttr());
    rewriter.replaceOpWithNewOp<TransposeOp>(rope, rope.getType(), rotated,
                                             transpose.getPermutationAttr());
    return success();
  }
};

/// attention(transpose(q), transpose(k), transpose(v)) by [0, 2, 1, 3]
/// -> transpose(attention{layout = "bshd"}(q, k, v)).
struct FoldAttentionTransposes : public OpRewritePattern<AttentionOp> {
  FoldAttentionTransposes(MLIRContext *context, bool report,
                          llvm::Statistic &removed)
      : OpRewritePattern(context), report(report), removed(removed) {}

  LogicalResult matchAndRewrite(AttentionOp attention,
                                PatternRewriter &rewriter) const override {
    if (attention.getLayout() != "bhsd")
      return rewriter.notifyMatchFailure(attention, "already in bshd");
    SmallVector<TransposeOp> transposes;
    for (Value operand :
         {attention.getQuery(), attention.getKey(), attention.getValue()}) {
      auto t = operand.getDefiningOp<TransposeOp>();
      if (!t || t.getPermutation() != ArrayRef<int64_t>(kHeadsSeqSwap))
        return rewriter.notifyMatchFailure(
            attention, "query, key and value are not all transposes by "
                       "[0, 2, 1, 3]");
      transposes.push_back(t);
    }
    // Each transpose goes once nothing else reads it; the output's
    // transpose meets the exporter's and both fold away when there is one.
    llvm::SmallPtrSet<Operation *, 3> distinct;
    for (TransposeOp t : transposes)
      if (onlyReadBy(t, attention))
        distinct.insert(t);
    int64_t gone = int64_t(distinct.size());
    Value result = attention.getResult();
    bool outputFolds =
        result.hasOneUse() && isa<TransposeOp>(*result.getUsers().begin()) &&
        cast<TransposeOp>(*result.getUsers().begin()).getPermutation() ==
            ArrayRef<int64_t>(kHeadsSeqSwap);
    if (outputFolds)
      ++gone;
    else
      --gone; // a transpose of the output is added
    if (gone <= 0)
      return rewriter.notifyMatchFailure(attention,
                                         "no transpose would go away");
    auto type = cast<RankedTensorType>(attention.getType());
    SmallVector<int64_t> shape(type.getShape());
    std::swap(shape[1], shape[2]);
    auto bshd = AttentionOp::create(
        rewriter, attention.getLoc(),
        RankedTensorType::get(shape, type.getElementType()),
        transposes[0].getInput(), transposes[1].getInput(),
        transposes[2].getInput(), attention.getMask(), attention.getScaleAttr(),
        attention.getCausalAttr(), attention.getNumHeadsAttr(),
        attention.getNumKvHeadsAttr(), rewriter.getStringAttr("bshd"));
    if (report)
      bshd->emitRemark("attention in the bshd layout: ")
          << gone << " transpose" << (gone == 1 ? "" : "s") << " removed";
    removed += static_cast<unsigned>(gone);
    rewriter.replaceOpWithNewOp<TransposeOp>(
        attention, type, bshd.getResult(),
        rewriter.getDenseI64ArrayAttr(kHeadsSeqSwap));
    return success();
  }

  bool report;
  llvm::Statistic &removed;
};

/// shape_of(transpose(x, p)) -> gather(shape_of(x), p): the shape of a
/// transpose does not need the transpose to run.
struct ShapeOfTranspose : public OpRewritePattern<ShapeOfOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ShapeOfOp shapeOf,
                                PatternRewriter &rewriter) const override {
    auto transpose = shapeOf.getInput().getDefiningOp<TransposeOp>();
    if (!transpose)
      return rewriter.notifyMatchFailure(shapeOf, "input is not a transpose");
    Location loc = shapeOf.getLoc();
    ArrayRef<int64_t> perm = transpose.getPermutation();
    auto indexType =
        RankedTensorType::get({int64_t(perm.size())}, rewriter.getI64Type());
    Value indices = ConstantOp::create(
        rewriter, loc, DenseIntElementsAttr::get(indexType, perm));
    Value shape = ShapeOfOp::create(rewriter, loc, shapeOf.getType(),
                                    transpose.getInput());
    rewriter.replaceOpWithNewOp<GatherOp>(shapeOf, shapeOf.getType(), shape,
                                          indices,
                                          rewriter.getI64IntegerAttr(0));
    return success();
  }
};

/// gather(transpose(w, p), indices, axis a) with w a weight ->
/// transpose(gather(w, indices, axis p[a]), t): the rows are gathered from
/// the weight as it is stored and only they are permuted, instead of the
/// whole table every call (onnxruntime-genai's builder reads a tied
/// embedding as Gather(Transpose(lm_head weight)): 113 MB moved per call
/// for a 49152 x 576 vocabulary, to read a few rows).
struct GatherFromTransposedWeight : public OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatherOp gather,
                                PatternRewriter &rewriter) const override {
    auto transpose = gather.getInput().getDefiningOp<TransposeOp>();
    if (!transpose)
      return rewriter.notifyMatchFailure(gather, "input is not a transpose");
    if (!transpose.getInput().getDefiningOp<WeightOp>())
      return rewriter.notifyMatchFailure(gather,
                                         "the transpose's input is not a "
                                         "weight");
    if (!onlyReadBy(transpose, gather))
      return rewriter.notifyMatchFailure(gather, "the transpose has other "
                                                 "users");
    ArrayRef<int64_t> perm = transpose.getPermutation();
    int64_t rank = int64_t(perm.size()), axis = gather.getAxis();
    auto indicesType = cast<RankedTensorType>(gather.getIndices().getType());
    int64_t m = indicesType.getRank();
    if (axis < 0 || axis >= rank)
      return rewriter.notifyMatchFailure(gather, "axis out of range");
    // gather(w, axis q) lays out w's dims before q, the indices' dims, then
    // w's dims after q; the old result has the transposed dims before and
    // after `axis` around the indices' dims.
    int64_t q = perm[axis];
    auto position = [&](int64_t wDim) {
      return wDim < q ? wDim : wDim + m - 1;
    };
    SmallVector<int64_t> t;
    for (int64_t k = 0; k < axis; ++k)
      t.push_back(position(perm[k]));
    for (int64_t l = 0; l < m; ++l)
      t.push_back(q + l);
    for (int64_t k = axis + 1; k < rank; ++k)
      t.push_back(position(perm[k]));
    Location loc = gather.getLoc();
    auto rows =
        GatherOp::create(rewriter, loc, transpose.getInput(),
                         gather.getIndices(), rewriter.getI64IntegerAttr(q));
    rewriter.replaceOpWithNewOp<TransposeOp>(gather, gather.getType(),
                                             rows.getResult(),
                                             rewriter.getDenseI64ArrayAttr(t));
    return success();
  }
};

struct FoldTransposesPass
    : public kestrel::impl::FoldTransposesBase<FoldTransposesPass> {
  using FoldTransposesBase::FoldTransposesBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Transpose pairs fold away through TransposeOp::fold, which the driver
    // applies.
    patterns.add<SinkTransposeThroughRope, ShapeOfTranspose,
                 GatherFromTransposedWeight>(&getContext());
    patterns.add<FoldAttentionTransposes>(&getContext(), report, numRemoved);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
