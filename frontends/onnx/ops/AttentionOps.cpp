//===- AttentionOps.cpp - Import ONNX Attention and RotaryEmbedding -------===//
//
// The opset-23 Attention and RotaryEmbedding ops, and the helpers the
// com.microsoft attention importers share.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/ops/AttentionHelpers.h"

using namespace mlir;

namespace kestrel::onnx_frontend {

static constexpr int64_t kDyn = ShapedType::kDynamic;

FailureOr<Value> splitHeads(NodeContext &ctx, Value x, int64_t numHeads,
                            StringRef what) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() != 3)
    return ctx.error() << what << " must be [batch, seq, hidden], got " << type;
  int64_t hidden = type.getDimSize(2);
  if (numHeads <= 0 || hidden == kDyn || hidden % numHeads != 0)
    return ctx.error() << what << " hidden size "
                       << (hidden == kDyn ? std::string("?")
                                          : std::to_string(hidden))
                       << " is not a static multiple of " << numHeads
                       << " heads";
  FailureOr<Value> r = ctx.reshapeMapped(
      x, {kDyn, kDyn, numHeads, hidden / numHeads}, {0, 1, -1, -1});
  if (failed(r))
    return failure();
  return ctx.transpose(*r, {0, 2, 1, 3});
}

FailureOr<Value> mergeHeads(NodeContext &ctx, Value x) {
  FailureOr<Value> t = ctx.transpose(x, {0, 2, 1, 3});
  if (failed(t))
    return failure();
  auto type = cast<RankedTensorType>(t->getType());
  int64_t n = type.getDimSize(2), d = type.getDimSize(3);
  if (n == kDyn || d == kDyn)
    return ctx.error() << "head count and size must be static";
  return ctx.reshapeMapped(*t, {kDyn, kDyn, n * d}, {0, 1, -1});
}

/// keep[i, j] = j <= i + offset over [Sq, Skv], as an i1 tensor.
static FailureOr<Value> causalKeepMask(NodeContext &ctx, Value q, Value k,
                                       int64_t offset) {
  Type i64 = ctx.builder().getI64Type();
  auto range = [&](Value v) -> FailureOr<Value> {
    FailureOr<Value> n = ctx.dimScalar(v, 2);
    if (failed(n))
      return failure();
    return ctx.createWithType<RangeOp>(
        RankedTensorType::get(
            {cast<RankedTensorType>(v.getType()).getDimSize(2)}, i64),
        {ctx.scalar(i64, 0), *n, ctx.scalar(i64, 1)});
  };
  FailureOr<Value> rows = range(q), cols = range(k);
  if (failed(rows) || failed(cols))
    return failure();
  int64_t sq = cast<RankedTensorType>(q.getType()).getDimSize(2);
  if (failed(rows = ctx.reshapeTo(*rows, {sq, 1})))
    return failure();
  if (offset != 0 &&
      failed(rows = ctx.create<AddOp>({*rows, ctx.scalar(i64, offset)})))
    return failure();
  return ctx.create<LessEqualOp>({*cols, *rows});
}

FailureOr<Value> buildAttention(NodeContext &ctx, Value q, Value k, Value v,
                                Value mask, int64_t causalOffset,
                                std::optional<float> scale) {
  auto qt = cast<RankedTensorType>(q.getType());
  auto kt = cast<RankedTensorType>(k.getType());
  if (qt.getRank() != 4 || kt.getRank() != 4)
    return ctx.error() << "query and key must be [batch, heads, seq, head_dim]";
  int64_t heads = qt.getDimSize(1), kvHeads = kt.getDimSize(1);
  if (heads == kDyn || kvHeads == kDyn)
    return ctx.error() << "head counts must be static";
  bool causalFlag = false;
  if (causalOffset >= 0) {
    int64_t sq = qt.getDimSize(2), skv = kt.getDimSize(2);
    // kestrel.attention aligns the causal diagonal to the last key
    // (offset Skv - Sq); use the flag when that is provably the same.
    if (sq != kDyn && skv != kDyn && skv - sq == causalOffset) {
      causalFlag = true;
    } else {
      FailureOr<Value> keep = causalKeepMask(ctx, q, k, causalOffset);
      if (failed(keep))
        return failure();
      if (!mask) {
        mask = *keep;
      } else if (cast<RankedTensorType>(mask.getType())
                     .getElementType()
                     .isInteger(1)) {
        FailureOr<Value> both = ctx.create<AndOp>({mask, *keep});
        if (failed(both))
          return failure();
        mask = *both;
      } else {
        Type element = qt.getElementType();
        FailureOr<Value> bias = ctx.create<WhereOp>(
            {*keep, ctx.scalar(element, 0.0),
             ctx.scalar(element, -std::numeric_limits<double>::infinity())});
        if (failed(bias) || failed(bias = ctx.create<AddOp>({mask, *bias})))
          return failure();
        mask = *bias;
      }
    }
  }
  if (mask) {
    auto mt = cast<RankedTensorType>(mask.getType());
    if (!mt.getElementType().isInteger(1) &&
        mt.getElementType() != qt.getElementType()) {
      FailureOr<Value> c = ctx.castTo(mask, qt.getElementType());
      if (failed(c))
        return failure();
      mask = *c;
    }
  }
  SmallVector<Value> operands = {q, k, v};
  if (mask)
    operands.push_back(mask);
  SmallVector<NamedAttribute> attrs = {ctx.namedI64("num_heads", heads),
                                       ctx.namedI64("num_kv_heads", kvHeads),
                                       ctx.namedBool("causal", causalFlag)};
  if (scale)
    attrs.push_back(ctx.namedF32("scale", *scale));
  return ctx.create<AttentionOp>(operands, attrs);
}

FailureOr<Value> rotaryFromCache(NodeContext &ctx, Value x, Value cosCache,
                                 Value sinCache, Value positions,
                                 bool interleaved, int64_t rotaryDim) {
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() != 4)
    return ctx.error() << "input must be [batch, heads, seq, head_size] (or "
                          "[batch, seq, hidden] with num_heads), got "
                       << xt;
  int64_t headDim = xt.getDimSize(3);
  Value cos = cosCache, sin = sinCache;
  if (positions) {
    auto pt = cast<RankedTensorType>(positions.getType());
    Value ids = positions;
    if (pt.getRank() <= 1 && pt.hasStaticShape() && pt.getNumElements() == 1) {
      // A start offset: positions offset + [0, S).
      return ctx.error() << "position_ids given as a single start offset are "
                            "not supported; pass [batch, seq] ids";
    }
    FailureOr<Value> c =
        ctx.create<GatherOp>({cosCache, ids}, {ctx.namedI64("axis", 0)});
    FailureOr<Value> s =
        ctx.create<GatherOp>({sinCache, ids}, {ctx.namedI64("axis", 0)});
    if (failed(c) || failed(s))
      return failure();
    cos = *c;
    sin = *s;
  }
  // [B, S, R/2] -> [B, 1, S, R/2] to broadcast over the heads.
  auto ct = cast<RankedTensorType>(cos.getType());
  if (ct.getRank() != 3)
    return ctx.error() << "cos/sin must be [batch, seq, rotary_dim / 2] after "
                          "the position lookup, got "
                       << ct;
  FailureOr<Value> c4 = ctx.unsqueeze(cos, {1});
  FailureOr<Value> s4 = ctx.unsqueeze(sin, {1});
  if (failed(c4) || failed(s4))
    return failure();
  int64_t half = ct.getDimSize(2);
  if (rotaryDim <= 0)
    rotaryDim = half != kDyn ? 2 * half : headDim;
  SmallVector<NamedAttribute> attrs = {
      ctx.namedBool("interleaved", interleaved)};
  if (rotaryDim != headDim)
    attrs.push_back(ctx.namedI64("rotary_dim", rotaryDim));
  if (cast<RankedTensorType>(c4->getType()).getElementType() !=
      xt.getElementType()) {
    if (failed(c4 = ctx.castTo(*c4, xt.getElementType())) ||
        failed(s4 = ctx.castTo(*s4, xt.getElementType())))
      return failure();
  }
  return ctx.create<RopeOp>({x, *c4, *s4}, attrs);
}

namespace {

LogicalResult importAttention(NodeContext &ctx) {
  FailureOr<Value> q = ctx.requiredInput(0), k = ctx.requiredInput(1),
                   v = ctx.requiredInput(2);
  FailureOr<int64_t> causal = ctx.intAttr("is_causal", 0);
  FailureOr<int64_t> qHeads = ctx.intAttr("q_num_heads", 0);
  FailureOr<int64_t> kvHeads = ctx.intAttr("kv_num_heads", 0);
  FailureOr<float> softcap = ctx.floatAttr("softcap", 0.0f);
  if (failed(q) || failed(k) || failed(v) || failed(causal) || failed(qHeads) ||
      failed(kvHeads) || failed(softcap) ||
      failed(ctx.rejectOutputsFrom(3, "qk_matmul_output is not supported")))
    return failure();
  if (*softcap != 0.0f)
    return ctx.error() << "softcap is not supported";
  if (ctx.hasInput(6))
    return ctx.error() << "nonpad_kv_seqlen is not supported";
  for (const char *name : {"left_window_size", "right_window_size"})
    if (ctx.hasAttr(name))
      return ctx.error() << "attribute '" << name << "' is not supported";
  std::optional<float> scale;
  if (failed(ctx.optionalFloatAttr("scale", scale)))
    return failure();
  bool packed = ctx.inputType(0).getRank() == 3;
  if (packed && (failed(q = splitHeads(ctx, *q, *qHeads, "Q")) ||
                 failed(k = splitHeads(ctx, *k, *kvHeads, "K")) ||
                 failed(v = splitHeads(ctx, *v, *kvHeads, "V"))))
    return failure();
  int64_t offset = 0;
  Value pastK = ctx.input(4), pastV = ctx.input(5);
  if (pastK || pastV) {
    if (!pastK || !pastV)
      return ctx.error() << "past_key and past_value must come together";
    for (auto [value, name] :
         {std::pair{pastK, "past_key"}, std::pair{pastV, "past_value"}})
      if (auto type = cast<RankedTensorType>(value.getType());
          type.getRank() != 4)
        return ctx.error()
               << name
               << " must be [batch, kv_heads, past_seq, head_size], "
                  "got "
               << type;
    int64_t past = cast<RankedTensorType>(pastK.getType()).getDimSize(2);
    if (*causal && past == kDyn)
      return ctx.error() << "causal attention over a past of dynamic length "
                            "is not supported";
    offset = past;
    if (failed(
            k = ctx.create<ConcatOp>({pastK, *k}, {ctx.namedI64("axis", 2)})) ||
        failed(
            v = ctx.create<ConcatOp>({pastV, *v}, {ctx.namedI64("axis", 2)})))
      return failure();
  }
  FailureOr<Value> y = buildAttention(ctx, *q, *k, *v, ctx.input(3),
                                      *causal ? offset : -1, scale);
  if (failed(y) || (packed && failed(y = mergeHeads(ctx, *y))))
    return failure();
  return success(succeeded(ctx.setOutput(0, *y)) &&
                 succeeded(ctx.setOutput(1, *k)) &&
                 succeeded(ctx.setOutput(2, *v)));
}

LogicalResult importRotaryEmbedding(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0), cos = ctx.requiredInput(1),
                   sin = ctx.requiredInput(2);
  FailureOr<int64_t> interleaved = ctx.intAttr("interleaved", 0);
  FailureOr<int64_t> heads = ctx.intAttr("num_heads", 0);
  FailureOr<int64_t> rotaryDim = ctx.intAttr("rotary_embedding_dim", 0);
  if (failed(x) || failed(cos) || failed(sin) || failed(interleaved) ||
      failed(heads) || failed(rotaryDim))
    return failure();
  bool packed = ctx.inputType(0).getRank() == 3;
  if (packed && failed(x = splitHeads(ctx, *x, *heads, "X")))
    return failure();
  FailureOr<Value> y = rotaryFromCache(ctx, *x, *cos, *sin, ctx.input(3),
                                       *interleaved, *rotaryDim);
  if (failed(y) || (packed && failed(y = mergeHeads(ctx, *y))))
    return failure();
  return ctx.setOutput(0, *y);
}

} // namespace

void registerAttentionOps(std::vector<OpEntry> &ops) {
  ops.push_back(
      {"", "Attention", 23, importAttention,
       "no softcap, sliding windows, qk_matmul_output or nonpad_kv_seqlen"});
  ops.push_back({"", "RotaryEmbedding", 23, importRotaryEmbedding,
                 "position ids as [batch, seq]"});
}

} // namespace kestrel::onnx_frontend
