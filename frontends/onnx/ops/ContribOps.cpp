//===- ContribOps.cpp - Import onnxruntime's com.microsoft LLM ops --------===//
//
// MultiHeadAttention, GroupQueryAttention, RotaryEmbedding, the fused norms
// (SimplifiedLayerNormalization, SkipSimplifiedLayerNormalization,
// SkipLayerNormalization) and the GELU variants (Gelu, FastGelu, BiasGelu)
// that onnxruntime's transformer optimizer and model builder write.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/ops/AttentionHelpers.h"

#include <cstdint>

using namespace mlir;

namespace kestrel::onnx_frontend {
namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

/// x + bias[offset : offset + size] along the last dim (QKV bias slices).
FailureOr<Value> addBiasSlice(NodeContext &ctx, Value x, Value bias,
                              int64_t offset, int64_t size) {
  FailureOr<Value> slice =
      ctx.create<SliceOp>(bias, {ctx.namedI64Array("starts", {offset}),
                                 ctx.namedI64Array("ends", {offset + size}),
                                 ctx.namedI64Array("steps", {1})});
  if (failed(slice))
    return failure();
  return ctx.create<AddOp>({x, *slice});
}

LogicalResult importMultiHeadAttention(NodeContext &ctx) {
  FailureOr<int64_t> heads = ctx.intAttr("num_heads", std::nullopt);
  FailureOr<int64_t> unidirectional = ctx.intAttr("unidirectional", 0);
  FailureOr<Value> q = ctx.requiredInput(0), k = ctx.requiredInput(1),
                   v = ctx.requiredInput(2);
  if (failed(heads) || failed(unidirectional) || failed(q) || failed(k) ||
      failed(v) ||
      failed(ctx.rejectOutputsFrom(3, "the qk output is not supported")))
    return failure();
  for (unsigned i : {8u, 9u, 10u})
    if (ctx.hasInput(i))
      return ctx.error() << "input " << i
                         << " (past sequence length / cache indirection) is "
                            "not supported";
  // scale = 0 means the default 1 / sqrt(head_size).
  std::optional<float> scale;
  if (failed(ctx.optionalFloatAttr("scale", scale, 0.0f)))
    return failure();
  if (ctx.inputType(0).getRank() != 3)
    return ctx.error() << "packed query/key/value layouts are not supported; "
                          "query must be [batch, seq, hidden]";
  int64_t hiddenQ = ctx.inputType(0).getDimSize(2);
  if (Value bias = ctx.input(3)) {
    if (ctx.inputType(1).getRank() != 3 || ctx.inputType(2).getRank() != 3)
      return ctx.error() << "bias needs 3-D key and value with static sizes";
    int64_t hiddenK = ctx.inputType(1).getDimSize(2);
    int64_t hiddenV = ctx.inputType(2).getDimSize(2);
    if (hiddenQ == kDyn || hiddenK == kDyn || hiddenV == kDyn)
      return ctx.error() << "bias needs 3-D key and value with static sizes";
    if (failed(q = addBiasSlice(ctx, *q, bias, 0, hiddenQ)) ||
        failed(k = addBiasSlice(ctx, *k, bias, hiddenQ, hiddenK)) ||
        failed(v = addBiasSlice(ctx, *v, bias, hiddenQ + hiddenK, hiddenV)))
      return failure();
  }
  if (failed(q = splitHeads(ctx, *q, *heads, "query")))
    return failure();
  // Key and value come as [B, L, hidden] or already split as [B, N, L, H].
  if (ctx.inputType(1).getRank() == 3 &&
      (failed(k = splitHeads(ctx, *k, *heads, "key")) ||
       failed(v = splitHeads(ctx, *v, *heads, "value"))))
    return failure();
  Value pastK = ctx.input(6), pastV = ctx.input(7);
  int64_t pastLen = 0;
  if (pastK || pastV) {
    if (!pastK || !pastV)
      return ctx.error() << "past_key and past_value must come together";
    pastLen = cast<RankedTensorType>(pastK.getType()).getDimSize(2);
    if (failed(
            k = ctx.create<ConcatOp>({pastK, *k}, {ctx.namedI64("axis", 2)})) ||
        failed(
            v = ctx.create<ConcatOp>({pastV, *v}, {ctx.namedI64("axis", 2)})))
      return failure();
  }
  Value mask;
  if (Value padding = ctx.input(4)) {
    auto pt = cast<RankedTensorType>(padding.getType());
    if (pt.getRank() != 2)
      return ctx.error() << "key_padding_mask must be [batch, total_seq]; "
                            "other layouts are not supported";
    // 1 keeps a key, 0 masks it out.
    FailureOr<Value> keep =
        ctx.create<NotEqualOp>({padding, ctx.scalar(pt.getElementType(), 0)});
    if (failed(keep) || failed(keep = ctx.unsqueeze(*keep, {1, 2})))
      return failure();
    mask = *keep;
  }
  if (Value bias = ctx.input(5)) {
    if (mask) {
      Type element = cast<RankedTensorType>(bias.getType()).getElementType();
      FailureOr<Value> masked = ctx.create<WhereOp>(
          {mask, bias,
           ctx.scalar(element, -std::numeric_limits<double>::infinity())});
      if (failed(masked))
        return failure();
      mask = *masked;
    } else {
      mask = bias;
    }
  }
  if (*unidirectional && pastLen == kDyn)
    return ctx.error() << "unidirectional attention over a past of dynamic "
                          "length is not supported";
  FailureOr<Value> y = buildAttention(ctx, *q, *k, *v, mask,
                                      *unidirectional ? pastLen : -1, scale);
  if (failed(y) || failed(y = mergeHeads(ctx, *y)))
    return failure();
  return success(succeeded(ctx.setOutput(0, *y)) &&
                 succeeded(ctx.setOutput(1, *k)) &&
                 succeeded(ctx.setOutput(2, *v)));
}

LogicalResult importGroupQueryAttention(NodeContext &ctx) {
  FailureOr<int64_t> heads = ctx.intAttr("num_heads", std::nullopt);
  FailureOr<int64_t> kvHeads = ctx.intAttr("kv_num_heads", std::nullopt);
  FailureOr<int64_t> window = ctx.intAttr("local_window_size", -1);
  FailureOr<int64_t> doRotary = ctx.intAttr("do_rotary", 0);
  FailureOr<int64_t> interleaved = ctx.intAttr("rotary_interleaved", 0);
  FailureOr<float> softcap = ctx.floatAttr("softcap", 0.0f);
  FailureOr<int64_t> smooth = ctx.intAttr("smooth_softmax", 0);
  FailureOr<Value> q = ctx.requiredInput(0);
  if (failed(heads) || failed(kvHeads) || failed(window) || failed(doRotary) ||
      failed(interleaved) || failed(softcap) || failed(smooth) || failed(q))
    return failure();
  if (*window != -1 || *softcap != 0.0f || *smooth)
    return ctx.error() << "local_window_size, softcap and smooth_softmax are "
                          "not supported";
  for (unsigned i : {9u, 10u, 11u})
    if (ctx.hasInput(i))
      return ctx.error() << "input " << i
                         << " (position_ids, attention_bias, head_sink) is "
                            "not supported";
  // scale = 0 means the default 1 / sqrt(head_size).
  std::optional<float> scale;
  if (failed(ctx.optionalFloatAttr("scale", scale, 0.0f)))
    return failure();
  if (*heads <= 0 || *kvHeads <= 0 || *heads > INT32_MAX ||
      *kvHeads > INT32_MAX)
    return ctx.error() << "num_heads and kv_num_heads must be positive, got "
                       << *heads << " and " << *kvHeads;
  Value k = ctx.input(1), v = ctx.input(2);
  if (!k != !v)
    return ctx.error() << "key and value must come together (neither for "
                          "packed QKV)";
  if (!k) {
    // Packed QKV: [B, S, (N + 2 * Nkv) * H].
    if (ctx.inputType(0).getRank() != 3)
      return ctx.error() << "packed QKV must be [batch, seq, hidden], got "
                         << ctx.inputType(0);
    int64_t hidden = ctx.inputType(0).getDimSize(2);
    int64_t total = *heads + 2 * *kvHeads;
    if (hidden == kDyn || hidden % total != 0)
      return ctx.error() << "packed QKV hidden size is not a static multiple "
                            "of the head counts";
    int64_t h = hidden / total;
    auto parts = ctx.createInferred(
        SplitOp::getOperationName(), *q,
        {ctx.namedI64("axis", 2),
         ctx.namedI64Array("sizes", {*heads * h, *kvHeads * h, *kvHeads * h})},
        3);
    if (failed(parts))
      return failure();
    q = (*parts)[0];
    k = (*parts)[1];
    v = (*parts)[2];
  }
  FailureOr<Value> qh = splitHeads(ctx, *q, *heads, "query");
  FailureOr<Value> kh = splitHeads(ctx, k, *kvHeads, "key");
  FailureOr<Value> vh = splitHeads(ctx, v, *kvHeads, "value");
  if (failed(qh) || failed(kh) || failed(vh))
    return failure();
  FailureOr<Value> seqlens = ctx.requiredInput(5);
  if (failed(seqlens))
    return failure();
  Type i64 = ctx.builder().getI64Type();
  FailureOr<Value> lens = ctx.castTo(*seqlens, i64); // total length - 1
  if (failed(lens))
    return failure();
  if (*doRotary) {
    // New token s of batch b sits at position seqlens_k[b] + 1 - S + s.
    FailureOr<Value> cosCache = ctx.requiredInput(7);
    FailureOr<Value> sinCache = ctx.requiredInput(8);
    FailureOr<Value> s = ctx.dimScalar(*qh, 2);
    if (failed(cosCache) || failed(sinCache) || failed(s))
      return failure();
    int64_t sq = cast<RankedTensorType>(qh->getType()).getDimSize(2);
    FailureOr<Value> start = ctx.create<AddOp>({*lens, ctx.scalar(i64, 1)});
    if (failed(start) || failed(start = ctx.create<SubOp>({*start, *s})) ||
        failed(start = ctx.unsqueeze(*start, {1})))
      return failure();
    FailureOr<Value> steps = ctx.createWithType<RangeOp>(
        RankedTensorType::get({sq}, i64),
        {ctx.scalar(i64, 0), *s, ctx.scalar(i64, 1)});
    if (failed(steps) || failed(steps = ctx.unsqueeze(*steps, {0})))
      return failure();
    FailureOr<Value> positions = ctx.create<AddOp>({*start, *steps});
    if (failed(positions) ||
        failed(qh = rotaryFromCache(ctx, *qh, *cosCache, *sinCache, *positions,
                                    *interleaved, 0)) ||
        failed(kh = rotaryFromCache(ctx, *kh, *cosCache, *sinCache, *positions,
                                    *interleaved, 0)))
      return failure();
  }
  Value pastK = ctx.input(3), pastV = ctx.input(4);
  if (pastK || pastV) {
    if (!pastK || !pastV)
      return ctx.error() << "past_key and past_value must come together";
    if (failed(kh = ctx.create<ConcatOp>({pastK, *kh},
                                         {ctx.namedI64("axis", 2)})) ||
        failed(
            vh = ctx.create<ConcatOp>({pastV, *vh}, {ctx.namedI64("axis", 2)})))
      return failure();
  }
  // Keys past each sequence's length (seqlens_k + 1) are padding.
  FailureOr<Value> total = ctx.dimScalar(*kh, 2);
  if (failed(total))
    return failure();
  int64_t skv = cast<RankedTensorType>(kh->getType()).getDimSize(2);
  FailureOr<Value> keys = ctx.createWithType<RangeOp>(
      RankedTensorType::get({skv}, i64),
      {ctx.scalar(i64, 0), *total, ctx.scalar(i64, 1)});
  FailureOr<Value> bound = ctx.unsqueeze(*lens, {1, 2, 3});
  if (failed(keys) || failed(bound))
    return failure();
  FailureOr<Value> keep = ctx.create<LessEqualOp>({*keys, *bound});
  if (failed(keep))
    return failure();
  // GQA is causal with the diagonal aligned to the last key, which is the
  // alignment kestrel.attention's causal flag has.
  SmallVector<NamedAttribute> attrs = {ctx.namedI64("num_heads", *heads),
                                       ctx.namedI64("num_kv_heads", *kvHeads),
                                       ctx.namedBool("causal", true)};
  if (scale)
    attrs.push_back(ctx.namedF32("scale", *scale));
  FailureOr<Value> y = ctx.create<AttentionOp>({*qh, *kh, *vh, *keep}, attrs);
  if (failed(y) || failed(y = mergeHeads(ctx, *y)))
    return failure();
  return success(succeeded(ctx.setOutput(0, *y)) &&
                 succeeded(ctx.setOutput(1, *kh)) &&
                 succeeded(ctx.setOutput(2, *vh)));
}

LogicalResult importContribRotary(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0), positions = ctx.requiredInput(1),
                   cos = ctx.requiredInput(2), sin = ctx.requiredInput(3);
  FailureOr<int64_t> interleaved = ctx.intAttr("interleaved", 0);
  FailureOr<int64_t> heads = ctx.intAttr("num_heads", 0);
  FailureOr<int64_t> rotaryDim = ctx.intAttr("rotary_embedding_dim", 0);
  FailureOr<int64_t> packedBatching = ctx.intAttr("is_packed_batching", 0);
  FailureOr<float> scale = ctx.floatAttr("scale", 1.0f);
  if (failed(x) || failed(positions) || failed(cos) || failed(sin) ||
      failed(interleaved) || failed(heads) || failed(rotaryDim) ||
      failed(packedBatching) || failed(scale))
    return failure();
  if (*packedBatching || *scale != 1.0f)
    return ctx.error() << "is_packed_batching and scale are not supported";
  RankedTensorType in = ctx.inputType(0);
  bool packed = in.getRank() == 3;
  if (packed) {
    int64_t numHeads = *heads;
    if (numHeads == 0) {
      // Without num_heads the head size is twice the cache width.
      if (ctx.inputType(2).getRank() != 2)
        return ctx.error() << "cos_cache must be [max_position, rotary_dim / "
                              "2], got "
                           << ctx.inputType(2);
      int64_t half = ctx.inputType(2).getDimSize(1);
      if (half == kDyn || in.getDimSize(2) == kDyn || *rotaryDim != 0)
        return ctx.error() << "num_heads is required for this input";
      numHeads = in.getDimSize(2) / (2 * half);
    }
    if (failed(x = splitHeads(ctx, *x, numHeads, "input")))
      return failure();
  } else if (in.getRank() != 4) {
    return ctx.error() << "input must be [batch, seq, hidden] or [batch, "
                          "heads, seq, head_size]";
  }
  FailureOr<Value> y = rotaryFromCache(ctx, *x, *cos, *sin, *positions,
                                       *interleaved, *rotaryDim);
  if (failed(y))
    return failure();
  if (packed && failed(y = mergeHeads(ctx, *y)))
    return failure();
  return ctx.setOutput(0, *y);
}

/// Skip(Simplified)LayerNormalization: s = input (+ bias) + skip, then the
/// norm of s; output 3 is s itself. The bias is added first: the input is
/// a projection whose bias ORT's optimizer moved here, so that
/// kestrel-fuse-matmul-epilogue folds bias and skip back into the matmul.
LogicalResult importSkipNorm(NodeContext &ctx, bool rms) {
  FailureOr<Value> x = ctx.requiredInput(0), skip = ctx.requiredInput(1),
                   gamma = ctx.requiredInput(2);
  FailureOr<float> epsilon = ctx.floatAttr("epsilon", 1e-12f);
  if (failed(x) || failed(skip) || failed(gamma) || failed(epsilon))
    return failure();
  if (ctx.wantsOutput(1) || ctx.wantsOutput(2))
    return ctx.error() << "mean and inverse standard deviation outputs are "
                          "not supported";
  unsigned biasIndex = rms ? 3 : 4;
  FailureOr<Value> sum = *x;
  if (Value bias = ctx.input(biasIndex))
    if (failed(sum = ctx.create<AddOp>({*sum, bias})))
      return failure();
  if (failed(sum = ctx.create<AddOp>({*sum, *skip})))
    return failure();
  int64_t axis = ctx.inputType(0).getRank() - 1;
  SmallVector<Value> operands = {*sum, *gamma};
  if (!rms)
    if (Value beta = ctx.input(3))
      operands.push_back(beta);
  SmallVector<NamedAttribute> attrs = {ctx.namedI64("axis", axis),
                                       ctx.namedF32("epsilon", *epsilon)};
  FailureOr<Value> y = rms ? ctx.create<RmsNormOp>(operands, attrs)
                           : ctx.create<LayerNormOp>(operands, attrs);
  if (failed(y))
    return failure();
  return success(succeeded(ctx.setOutput(0, *y)) &&
                 succeeded(ctx.setOutput(3, *sum)));
}

LogicalResult importSkipLayerNorm(NodeContext &ctx) {
  return importSkipNorm(ctx, false);
}
LogicalResult importSkipSimplifiedLayerNorm(NodeContext &ctx) {
  return importSkipNorm(ctx, true);
}

LogicalResult importSimplifiedLayerNorm(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0), scale = ctx.requiredInput(1);
  FailureOr<int64_t> axis = ctx.intAttr("axis", -1);
  FailureOr<float> epsilon = ctx.floatAttr("epsilon", 1e-5f);
  if (failed(x) || failed(scale) || failed(axis) || failed(epsilon) ||
      failed(axis = ctx.normalizeAxis(*axis, ctx.inputType(0).getRank())) ||
      failed(ctx.rejectOutputsFrom(1, "the inverse standard deviation output "
                                      "is training-only")))
    return failure();
  FailureOr<Value> y =
      ctx.create<RmsNormOp>({*x, *scale}, {ctx.namedI64("axis", *axis),
                                           ctx.namedF32("epsilon", *epsilon)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// Gelu(x + bias): FastGelu is the tanh form, BiasGelu and Gelu the exact.
template <bool approximate> LogicalResult importBiasGelu(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  if (Value bias = ctx.input(1))
    if (failed(x = ctx.create<AddOp>({*x, bias})))
      return failure();
  FailureOr<Value> y =
      ctx.create<GeluOp>(*x, {ctx.namedBool("approximate", approximate)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// Element `index` of `bits`-bit values packed low bits first in `bytes`.
float packedValue(const std::string &bytes, int64_t index, int64_t bits) {
  int64_t bit = index * bits;
  return float((uint8_t(bytes[size_t(bit / 8)]) >> (bit % 8)) &
               ((1 << bits) - 1));
}

/// The UINT8 zero points of input `i`, one per (row, block), each row's
/// packed like the data into ceil(blocks * bits / 8) bytes, into `zero`.
LogicalResult packedZeroPoints(NodeContext &ctx, unsigned i, int64_t rows,
                               int64_t blocks, int64_t bits,
                               std::vector<float> &zero) {
  FailureOr<std::string> zp = ctx.uint8Initializer(i, "zero_points");
  if (failed(zp))
    return failure();
  int64_t row = (blocks * bits + 7) / 8;
  if (int64_t(zp->size()) != rows * row)
    return ctx.error() << "zero_points holds " << zp->size()
                       << " bytes; packed per row it needs " << rows * row;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < blocks; ++b)
      zero[size_t(r * blocks + b)] =
          packedValue(*zp, r * row * 8 / bits + b, bits);
  return success();
}

/// The weights kestrel.matmul_nbits and kestrel.gather_nbits read, from
/// input `dataInput`'s packed bytes: a u8 [rows, blocks, blob] weight named
/// after the initializer the bytes come from (so a MatMulNBits and a
/// GatherBlockQuantized of one initializer share it), then the scales
/// (input 2 of both ops) as an f32 [rows, blocks] weight, then, when
/// `zero` is given (input 3's UINT8 zero points, unpacked), a byte per
/// block.
FailureOr<SmallVector<Value>>
packedOperands(NodeContext &ctx, unsigned dataInput, const std::string &bytes,
               int64_t rows, int64_t blocks, int64_t blob,
               const std::vector<float> &scales,
               const std::vector<float> *zero) {
  FailureOr<const onnx::TensorProto *> data =
      ctx.rawInitializer(dataInput, "data");
  if (failed(data))
    return failure();
  MLIRContext *context = ctx.context();
  Type u8 = IntegerType::get(context, 8, IntegerType::Unsigned);
  auto perBlock = [&](Type t) {
    return RankedTensorType::get({rows, blocks}, t);
  };
  SmallVector<Value> operands = {
      ctx.derivedWeight(
          (*data)->name() + ".nbits",
          DenseElementsAttr::get(
              RankedTensorType::get({rows, blocks, blob}, u8),
              ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(bytes.data()),
                                bytes.size()))),
      ctx.derivedWeight(
          ctx.node().input(2) + ".f32",
          floatData(perBlock(Float32Type::get(context)), scales))};
  if (zero) {
    std::vector<uint8_t> zeroBytes(zero->begin(), zero->end());
    operands.push_back(ctx.derivedWeight(
        ctx.node().input(3) + ".u8",
        DenseElementsAttr::get(perBlock(u8), ArrayRef<uint8_t>(zeroBytes))));
  }
  return operands;
}

/// MatMulNBits: A [..., K] times the block-quantized B ([N, blocks,
/// block_size * bits / 8] bytes, element j of a block at bits [j * bits,
/// (j + 1) * bits) of its blob, low bits first), W[k][n] = (q - zero point)
/// * scale; zero points packed the same way per row of N (UINT8), as
/// floats, or 2^(bits - 1) when absent. Becomes kestrel.matmul_nbits: B
/// stays packed (a u8 weight of the same layout) and the kernels dequantize
/// it inside the product; the scales become an f32 [N, blocks] weight, the
/// UINT8 zero points one byte per block. Then the bias.
LogicalResult importMatMulNBits(NodeContext &ctx) {
  FailureOr<Value> a = ctx.requiredInput(0);
  FailureOr<int64_t> k = ctx.intAttr("K", std::nullopt);
  FailureOr<int64_t> n = ctx.intAttr("N", std::nullopt);
  FailureOr<int64_t> bits = ctx.intAttr("bits", 4);
  FailureOr<int64_t> blockSize = ctx.intAttr("block_size", std::nullopt);
  if (failed(a) || failed(k) || failed(n) || failed(bits) || failed(blockSize))
    return failure();
  if (*bits != 2 && *bits != 4 && *bits != 8)
    return ctx.error() << "bits = " << *bits << " (supported: 2, 4, 8)";
  if (*k < 1 || *n < 1 || *blockSize < 16 || *blockSize > (1 << 16) ||
      (*blockSize & (*blockSize - 1)))
    return ctx.error() << "K = " << *k << ", N = " << *n
                       << " and block_size = " << *blockSize
                       << " must be positive, block_size a power of 2 in "
                          "[16, 65536]";
  if (*k > (int64_t(1) << 24) || *n > (int64_t(1) << 24))
    return ctx.error() << "K x N = " << *k << " x " << *n
                       << " is too large (each at most 2^24)";
  auto aType = cast<RankedTensorType>(a->getType());
  auto element = dyn_cast<FloatType>(aType.getElementType());
  if (!element || aType.getRank() < 1 ||
      (!aType.isDynamicDim(aType.getRank() - 1) &&
       aType.getDimSize(aType.getRank() - 1) != *k))
    return ctx.error() << "A must be a float tensor [..., " << *k << "], got "
                       << aType;
  if (ctx.hasInput(4))
    return ctx.error() << "g_idx (act-order block indices) is not supported";
  int64_t blocks = (*k + *blockSize - 1) / *blockSize;
  int64_t blob = *blockSize * *bits / 8;
  FailureOr<std::string> q = ctx.uint8Initializer(1, "B");
  FailureOr<std::vector<float>> scales = ctx.floatInitializer(2, "scales");
  if (failed(q) || failed(scales))
    return failure();
  if (int64_t(q->size()) != *n * blocks * blob)
    return ctx.error() << "B holds " << q->size() << " bytes; N x blocks x "
                       << "blob = " << *n << " x " << blocks << " x " << blob
                       << " needs " << *n * blocks * blob;
  if (int64_t(scales->size()) != *n * blocks)
    return ctx.error() << "scales holds " << scales->size()
                       << " values; N x blocks needs " << *n * blocks;
  // Zero points: per (n, block), packed UINT8 or floats.
  std::optional<std::vector<float>> zero;
  bool zeroBytes = false;
  if (ctx.hasInput(3)) {
    FailureOr<const onnx::TensorProto *> zt =
        ctx.rawInitializer(3, "zero_points");
    if (failed(zt))
      return failure();
    zeroBytes = (*zt)->data_type() == onnx::TensorProto::UINT8;
    if (zeroBytes) {
      zero.emplace(size_t(*n * blocks));
      if (failed(packedZeroPoints(ctx, 3, *n, blocks, *bits, *zero)))
        return failure();
    } else {
      FailureOr<std::vector<float>> zp = ctx.floatInitializer(3, "zero_points");
      if (failed(zp))
        return failure();
      if (int64_t(zp->size()) != *n * blocks)
        return ctx.error() << "zero_points holds " << zp->size()
                           << " values; N x blocks needs " << *n * blocks;
      zero = std::move(*zp);
    }
  }
  FailureOr<SmallVector<Value>> operands = packedOperands(
      ctx, 1, *q, *n, blocks, blob, *scales, zeroBytes ? &*zero : nullptr);
  if (failed(operands))
    return failure();
  operands->insert(operands->begin(), *a);
  if (zero && !zeroBytes)
    operands->push_back(ctx.derivedWeight(
        ctx.node().input(3) + ".f32",
        floatData(RankedTensorType::get({*n, blocks},
                                        Float32Type::get(ctx.context())),
                  *zero)));
  FailureOr<int64_t> accuracy = ctx.intAttr("accuracy_level", 0);
  if (failed(accuracy))
    return failure();
  SmallVector<NamedAttribute> attrs = {ctx.namedI64("bits", *bits),
                                       ctx.namedI64("block_size", *blockSize),
                                       ctx.namedI64("k", *k)};
  if (*accuracy != 0)
    attrs.push_back(ctx.namedI64("accuracy_level", *accuracy));
  FailureOr<Value> y = ctx.create<MatmulNBitsOp>(*operands, attrs);
  if (failed(y))
    return failure();
  if (Value bias = ctx.input(5))
    if (failed(y = ctx.create<AddOp>({*y, bias})))
      return failure();
  return ctx.setOutput(0, *y);
}

/// GatherBlockQuantized (onnxruntime-genai's int4 embedding table): rows of
/// the block-quantized UINT8 data [V, H * bits / 8] (quantized along its
/// last axis in blocks of block_size, elements packed low bits first),
/// (q - zero point) * scale. Zero points as MatMulNBits' (packed per row,
/// 2^(bits - 1) when absent). When H is a multiple of block_size the rows
/// are MatMulNBits' packed layout and the table stays packed: a
/// kestrel.gather_nbits (then a cast to the scales' type when it is not
/// f32), sharing the weight with a MatMulNBits that reads the same
/// initializer (a tied LM head). Otherwise the table is dequantized at
/// compile time into a [V, H] weight of the scales' type and gathered.
LogicalResult importGatherBlockQuantized(NodeContext &ctx) {
  FailureOr<Value> indices = ctx.requiredInput(1);
  FailureOr<int64_t> bits = ctx.intAttr("bits", 4);
  FailureOr<int64_t> blockSize = ctx.intAttr("block_size", 128);
  FailureOr<int64_t> gatherAxis = ctx.intAttr("gather_axis", 0);
  FailureOr<int64_t> quantizeAxis = ctx.intAttr("quantize_axis", 1);
  if (failed(indices) || failed(bits) || failed(blockSize) ||
      failed(gatherAxis) || failed(quantizeAxis))
    return failure();
  FailureOr<const onnx::TensorProto *> dataTensor =
      ctx.rawInitializer(0, "data");
  if (failed(dataTensor))
    return failure();
  SmallVector<int64_t> dataShape = ctx.rawInputShape(0);
  if (dataShape.size() != 2 || *gatherAxis != 0 ||
      (*quantizeAxis != 1 && *quantizeAxis != -1))
    return ctx.error() << "supports 2-D data gathered along axis 0 and "
                          "quantized along axis 1";
  if (*bits != 4 && *bits != 8)
    return ctx.error() << "bits = " << *bits << " (supported: 4, 8)";
  if (*blockSize < 16 || *blockSize > (1 << 16) ||
      (*blockSize & (*blockSize - 1)))
    return ctx.error() << "block_size = " << *blockSize
                       << " must be a power of 2 in [16, 65536]";
  FailureOr<std::string> q = ctx.uint8Initializer(0, "data");
  FailureOr<std::vector<float>> scales = ctx.floatInitializer(2, "scales");
  if (failed(q) || failed(scales))
    return failure();
  int64_t rows = dataShape[0];
  int64_t width = dataShape[1] * 8 / *bits;
  int64_t blocks = (width + *blockSize - 1) / *blockSize;
  if (rows < 1 || width < 1 || rows * width > (int64_t(1) << 40) ||
      int64_t(q->size()) != rows * dataShape[1])
    return ctx.error() << "data of " << rows << " x " << width
                       << " values is not a table this op can read";
  if (int64_t(scales->size()) != rows * blocks)
    return ctx.error() << "scales holds " << scales->size()
                       << " values; rows x blocks needs " << rows * blocks;
  std::vector<float> zero(size_t(rows * blocks), float(1 << (*bits - 1)));
  if (ctx.hasInput(3) &&
      failed(packedZeroPoints(ctx, 3, rows, blocks, *bits, zero)))
    return failure();
  FailureOr<const onnx::TensorProto *> scaleTensor =
      ctx.rawInitializer(2, "scales");
  if (failed(scaleTensor))
    return failure();
  Type element = convertElementType(ctx.context(), (*scaleTensor)->data_type());
  if (width % *blockSize == 0) {
    FailureOr<SmallVector<Value>> operands =
        packedOperands(ctx, 0, *q, rows, blocks, *blockSize * *bits / 8,
                       *scales, ctx.hasInput(3) ? &zero : nullptr);
    if (failed(operands))
      return failure();
    operands->insert(operands->begin() + 2, *indices);
    FailureOr<Value> y = ctx.create<GatherNBitsOp>(
        *operands,
        {ctx.namedI64("bits", *bits), ctx.namedI64("block_size", *blockSize),
         ctx.namedI64("k", width)});
    if (succeeded(y) && !element.isF32()) {
      auto type = cast<RankedTensorType>(y->getType());
      y = ctx.createWithType<CastOp>(
          RankedTensorType::get(type.getShape(), element), {*y});
    }
    return failed(y) ? failure() : ctx.setOutput(0, *y);
  }
  if (rows * width > (int64_t(1) << 32))
    return ctx.error() << "data of " << rows << " x " << width
                       << " values (rows not whole blocks) is too large to "
                          "dequantize at compile time";
  std::vector<float> w(size_t(rows * width));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < width; ++h) {
      int64_t b = h / *blockSize;
      float v = packedValue(*q, r * dataShape[1] * 8 / *bits + h, *bits);
      w[size_t(r * width + h)] = (v - zero[size_t(r * blocks + b)]) *
                                 (*scales)[size_t(r * blocks + b)];
    }
  auto type = RankedTensorType::get({rows, width}, element);
  Value table = ctx.derivedWeight(ctx.node().input(0) + ".dequantized",
                                  floatData(type, w));
  FailureOr<Value> y =
      ctx.create<GatherOp>({table, *indices}, {ctx.namedI64("axis", 0)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

} // namespace

void registerContribOps(std::vector<OpEntry> &ops) {
  auto add = [&](const char *op, ImportFn fn, const char *notes = "") {
    ops.push_back({"com.microsoft", op, 1, fn, notes});
  };
  add("MultiHeadAttention", importMultiHeadAttention,
      "3-D query; key_padding_mask [batch, total_seq] as a hard mask");
  add("GroupQueryAttention", importGroupQueryAttention,
      "past buffers hold exactly the valid past tokens; no local window, "
      "softcap or smooth softmax");
  add("RotaryEmbedding", importContribRotary, "position ids as [batch, seq]");
  add("SkipLayerNormalization", importSkipLayerNorm);
  add("SkipSimplifiedLayerNormalization", importSkipSimplifiedLayerNorm);
  add("SimplifiedLayerNormalization", importSimplifiedLayerNorm);
  add("FastGelu", importBiasGelu<true>);
  add("BiasGelu", importBiasGelu<false>);
  add("Gelu", importBiasGelu<false>);
  // Data, scales and zero points / B, scales, zero points and g_idx are
  // read from their initializers.
  ops.push_back({"com.microsoft", "GatherBlockQuantized", 1,
                 importGatherBlockQuantized,
                 "UINT8 data (4 or 8 bits) gathered along axis 0, quantized "
                 "along axis 1: kept packed and dequantized row by row as it "
                 "is gathered (kestrel.gather_nbits) when the row length is "
                 "a multiple of block_size, else dequantized at compile "
                 "time; the data may be a Reshape of another op's quantized "
                 "weight",
                 0b1101});
  ops.push_back({"com.microsoft", "MatMulNBits", 1, importMatMulNBits,
                 "2/4/8-bit block-quantized constant weights, kept packed "
                 "and dequantized inside the GEMM (kestrel.matmul_nbits); "
                 "accuracy_level 4: int8 activations on the CPU for 4 bits "
                 "(blocks of 32 or more) and up to 16 rows; no g_idx",
                 0b11110});
  // onnxruntime registers SimplifiedLayerNormalization in the ONNX domain.
  ops.push_back({"", "SimplifiedLayerNormalization", 1,
                 importSimplifiedLayerNorm, "onnxruntime contrib op"});
}

} // namespace kestrel::onnx_frontend
