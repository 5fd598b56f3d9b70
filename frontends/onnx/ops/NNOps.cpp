//===- NNOps.cpp - Import ONNX matmuls, normalizations and reductions -----===//
//
// MatMul, Gemm, Einsum, Softmax/LogSoftmax, LayerNormalization,
// RMSNormalization, the reductions, TopK and ArgMax/ArgMin.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/NodeContext.h"

#include "llvm/ADT/SetVector.h"

#include <limits>

using namespace mlir;

namespace kestrel::onnx_frontend {
namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

LogicalResult importMatMul(NodeContext &ctx) {
  FailureOr<Value> a = ctx.requiredInput(0), b = ctx.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  auto at = cast<RankedTensorType>(a->getType());
  auto bt = cast<RankedTensorType>(b->getType());
  if (at.getRank() == 0 || bt.getRank() == 0)
    return ctx.error() << "operands must have rank 1 or more";
  // NumPy matmul: a 1-D lhs is a row, a 1-D rhs a column, both dropped after.
  bool rowVector = at.getRank() == 1, colVector = bt.getRank() == 1;
  if (rowVector && failed(a = ctx.reshapeTo(*a, {1, at.getDimSize(0)})))
    return failure();
  if (colVector && failed(b = ctx.reshapeTo(*b, {bt.getDimSize(0), 1})))
    return failure();
  FailureOr<Value> y = ctx.create<MatmulOp>({*a, *b});
  if (failed(y))
    return failure();
  if (rowVector || colVector) {
    // Drop the inserted row/column dim; every other dim keeps its size.
    int64_t rank = cast<RankedTensorType>(y->getType()).getRank();
    SmallVector<int64_t> source;
    for (int64_t d = 0; d < rank; ++d)
      if (!(rowVector && d == rank - 2) && !(colVector && d == rank - 1))
        source.push_back(d);
    SmallVector<int64_t> dims(source.size(), kDyn);
    if (failed(y = ctx.reshapeMapped(*y, dims, source)))
      return failure();
  }
  return ctx.setOutput(0, *y);
}

LogicalResult importGemm(NodeContext &ctx) {
  FailureOr<float> alpha = ctx.floatAttr("alpha", 1.0f);
  FailureOr<float> beta = ctx.floatAttr("beta", 1.0f);
  FailureOr<int64_t> transA = ctx.intAttr("transA", 0);
  FailureOr<int64_t> transB = ctx.intAttr("transB", 0);
  FailureOr<Value> a = ctx.requiredInput(0), b = ctx.requiredInput(1);
  if (failed(alpha) || failed(beta) || failed(transA) || failed(transB) ||
      failed(a) || failed(b))
    return failure();
  if (ctx.inputType(0).getRank() != 2 || ctx.inputType(1).getRank() != 2)
    return ctx.error() << "A and B must be matrices (rank 2)";
  FailureOr<Value> y =
      ctx.create<MatmulOp>({*a, *b}, {ctx.namedBool("transpose_a", *transA),
                                      ctx.namedBool("transpose_b", *transB)});
  if (failed(y))
    return failure();
  Type element = ctx.inputType(0).getElementType();
  if (*alpha != 1.0f &&
      failed(y = ctx.create<MulOp>({*y, ctx.scalar(element, *alpha)})))
    return failure();
  if (Value c = ctx.input(2)) {
    if (*beta != 1.0f) {
      FailureOr<Value> scaled =
          ctx.create<MulOp>({c, ctx.scalar(element, *beta)});
      if (failed(scaled))
        return failure();
      c = *scaled;
    }
    if (failed(y = ctx.create<AddOp>({*y, c})))
      return failure();
  }
  return ctx.setOutput(0, *y);
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

/// Parses one operand's labels, expanding "..." to `rank - labels` fresh
/// labels (digits, shared by all operands and right-aligned).
FailureOr<std::string> expandEllipsis(NodeContext &ctx, StringRef term,
                                      int64_t rank, int64_t &ellipsisRank) {
  size_t dots = term.find("...");
  std::string labels = term.str();
  if (dots == StringRef::npos) {
    if (static_cast<int64_t>(labels.size()) != rank)
      return ctx.error() << "equation term '" << term << "' has "
                         << labels.size() << " labels for a rank-" << rank
                         << " operand";
    return labels;
  }
  int64_t n = rank - static_cast<int64_t>(term.size() - 3);
  if (n < 0 || n > 9)
    return ctx.error() << "equation term '" << term
                       << "' does not match a rank-" << rank << " operand";
  ellipsisRank = std::max(ellipsisRank, n);
  std::string fresh;
  for (int64_t i = 0; i < n; ++i)
    fresh.push_back('0' + (9 - n + 1 + i)); // right-aligned digits
  labels.replace(dots, 3, fresh);
  return labels;
}

LogicalResult importEinsum(NodeContext &ctx) {
  FailureOr<std::string> eq = ctx.stringAttr("equation", std::nullopt);
  if (failed(eq))
    return failure();
  std::string equation;
  for (char c : *eq)
    if (c != ' ')
      equation.push_back(c);
  StringRef lhs = equation, rhs;
  size_t arrow = equation.find("->");
  bool implicitOutput = arrow == std::string::npos;
  if (!implicitOutput) {
    lhs = StringRef(equation).take_front(arrow);
    rhs = StringRef(equation).drop_front(arrow + 2);
  }
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ctx.numInputs() || terms.size() > 2)
    return ctx.error() << "equation '" << *eq << "' with " << ctx.numInputs()
                       << " operand(s): only one- and two-operand "
                          "contractions are supported";
  int64_t ellipsisRank = 0;
  SmallVector<std::string> labels;
  SmallVector<Value> operands;
  for (auto [i, term] : llvm::enumerate(terms)) {
    FailureOr<Value> v = ctx.requiredInput(i);
    if (failed(v))
      return failure();
    FailureOr<std::string> l =
        expandEllipsis(ctx, term, ctx.inputType(i).getRank(), ellipsisRank);
    if (failed(l))
      return failure();
    if (llvm::SmallSetVector<char, 16>(l->begin(), l->end()).size() !=
        l->size())
      return ctx.error() << "repeated labels within one operand (diagonals, "
                            "traces) in '"
                         << *eq << "' are not supported";
    labels.push_back(*l);
    operands.push_back(*v);
  }
  std::string out;
  if (implicitOutput) {
    // Labels that appear once, alphabetically (ellipsis dims first).
    std::string all = llvm::join(labels, "");
    for (char c = '0'; c <= 'z'; ++c)
      if (llvm::count(all, c) == 1)
        out.push_back(c);
  } else {
    int64_t unused = 0;
    int64_t outRank = rhs.size() - (rhs.contains("...") ? 3 : 0) + ellipsisRank;
    FailureOr<std::string> o = expandEllipsis(ctx, rhs, outRank, unused);
    if (failed(o))
      return failure();
    out = *o;
  }

  // Sum out labels that appear in one operand only and not in the output.
  auto inLabels = [&](char c, unsigned k) {
    return k < labels.size() && labels[k].find(c) != std::string::npos;
  };
  for (unsigned k = 0; k < labels.size(); ++k) {
    SmallVector<int64_t> axes;
    std::string kept;
    for (auto [d, c] : llvm::enumerate(labels[k])) {
      bool elsewhere = inLabels(c, 1 - k) || out.find(c) != std::string::npos;
      if (elsewhere)
        kept.push_back(c);
      else
        axes.push_back(d);
    }
    if (axes.empty())
      continue;
    FailureOr<Value> r = ctx.create<ReduceSumOp>(
        operands[k],
        {ctx.namedI64Array("axes", axes), ctx.namedBool("keepdims", false)});
    if (failed(r))
      return failure();
    operands[k] = *r;
    labels[k] = kept;
  }
  for (char c : out)
    if (!inLabels(c, 0) && !inLabels(c, 1))
      return ctx.error() << "output label '" << c << "' of '" << *eq
                         << "' appears in no operand";

  auto permuteTo = [&](Value v, StringRef from,
                       StringRef to) -> FailureOr<Value> {
    SmallVector<int64_t> perm;
    for (char c : to)
      perm.push_back(from.find(c));
    if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
      return v;
    return ctx.transpose(v, perm);
  };

  if (labels.size() == 1) {
    FailureOr<Value> y = permuteTo(operands[0], labels[0], out);
    return failed(y) ? failure() : ctx.setOutput(0, *y);
  }

  std::string batch, contracted, freeA, freeB;
  for (char c : out)
    if (inLabels(c, 0) && inLabels(c, 1))
      batch.push_back(c);
  for (char c : labels[0]) {
    if (batch.find(c) != std::string::npos)
      continue;
    (inLabels(c, 1) ? contracted : freeA).push_back(c);
  }
  for (char c : labels[1])
    if (!inLabels(c, 0))
      freeB.push_back(c);

  // Collapses `groups` of a tensor laid out as [batch..., groups...] to one
  // dim each: a single label keeps its dim, an empty group becomes 1, and
  // several labels multiply (their sizes must then be static).
  auto collapse = [&](Value v, ArrayRef<StringRef> groups,
                      StringRef layout) -> FailureOr<Value> {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> dims, source;
    for (int64_t d = 0; d < static_cast<int64_t>(batch.size()); ++d) {
      dims.push_back(kDyn);
      source.push_back(d);
    }
    bool identity = true;
    for (StringRef group : groups) {
      if (group.size() == 1) {
        dims.push_back(kDyn);
        source.push_back(layout.find(group[0]));
        continue;
      }
      identity = false;
      int64_t product = 1;
      for (char c : group) {
        int64_t size = type.getDimSize(layout.find(c));
        if (size == kDyn)
          return ctx.error() << "labels '" << group
                             << "' multiply dynamic sizes, which is not "
                                "supported";
        product *= size;
      }
      dims.push_back(product);
      source.push_back(-1);
    }
    if (identity)
      return v;
    return ctx.reshapeMapped(v, dims, source);
  };
  std::string layoutA = batch + freeA + contracted;
  std::string layoutB = batch + contracted + freeB;
  FailureOr<Value> a = permuteTo(operands[0], labels[0], layoutA);
  FailureOr<Value> b = permuteTo(operands[1], labels[1], layoutB);
  if (failed(a) || failed(b) ||
      failed(a = collapse(*a, {freeA, contracted}, layoutA)) ||
      failed(b = collapse(*b, {contracted, freeB}, layoutB)))
    return failure();
  FailureOr<Value> y = ctx.create<MatmulOp>({*a, *b});
  if (failed(y))
    return failure();
  // Split [batch..., M, N] back into the free dims, which take their sizes
  // from the operands.
  int64_t nb = batch.size();
  if (freeA.size() != 1 || freeB.size() != 1) {
    auto at = cast<RankedTensorType>(operands[0].getType());
    auto bt = cast<RankedTensorType>(operands[1].getType());
    SmallVector<int64_t> dims, source;
    for (int64_t d = 0; d < nb; ++d) {
      dims.push_back(kDyn);
      source.push_back(d);
    }
    auto addGroup = [&](StringRef group, RankedTensorType t, StringRef labelsOf,
                        int64_t resultDim) -> LogicalResult {
      if (group.size() == 1) {
        dims.push_back(kDyn);
        source.push_back(resultDim);
        return success();
      }
      for (char c : group) {
        int64_t size = t.getDimSize(labelsOf.find(c));
        if (size == kDyn)
          return ctx.error() << "labels '" << group
                             << "' split into dynamic sizes, which is not "
                                "supported";
        dims.push_back(size);
        source.push_back(-1);
      }
      return success();
    };
    if (failed(addGroup(freeA, at, labels[0], nb)) ||
        failed(addGroup(freeB, bt, labels[1], nb + 1)) ||
        failed(y = ctx.reshapeMapped(*y, dims, source)))
      return failure();
  }
  if (failed(y = permuteTo(*y, batch + freeA + freeB, out)))
    return failure();
  return ctx.setOutput(0, *y);
}

//===----------------------------------------------------------------------===//
// Softmax and normalizations
//===----------------------------------------------------------------------===//

template <typename OpTy> LogicalResult importSoftmax(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> axis = ctx.intAttr("axis", -1);
  if (failed(x) || failed(axis) ||
      failed(axis = ctx.normalizeAxis(*axis, ctx.inputType(0).getRank())))
    return failure();
  FailureOr<Value> y = ctx.create<OpTy>(*x, {ctx.namedI64("axis", *axis)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// A norm parameter broadcast (ONNX allows it) to the normalized shape.
FailureOr<Value> normParameter(NodeContext &ctx, unsigned i,
                               ArrayRef<int64_t> normalized) {
  Value p = ctx.input(i);
  auto type = cast<RankedTensorType>(p.getType());
  if (type.getShape() == normalized || !ShapedType::isStaticShape(normalized) ||
      type.getRank() > static_cast<int64_t>(normalized.size()))
    return p;
  return ctx.createWithType<ExpandOp>(type.clone(normalized), p);
}

/// LayerNormalization's optional Mean and InvStdDev outputs (kept dims, f32
/// statistics as ONNX's stash_type = 1 asks).
LogicalResult layerNormStatistics(NodeContext &ctx, Value x, int64_t axis,
                                  float epsilon) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(axis, rank));
  Type f32 = ctx.builder().getF32Type();
  FailureOr<Value> xf = ctx.castTo(x, f32);
  if (failed(xf))
    return failure();
  NamedAttribute axesAttr = ctx.namedI64Array("axes", axes);
  FailureOr<Value> mean = ctx.create<ReduceMeanOp>(*xf, {axesAttr});
  if (failed(mean))
    return failure();
  FailureOr<Value> centered = ctx.create<SubOp>({*xf, *mean});
  FailureOr<Value> square =
      failed(centered) ? centered : ctx.create<MulOp>({*centered, *centered});
  FailureOr<Value> variance =
      failed(square) ? square : ctx.create<ReduceMeanOp>(*square, {axesAttr});
  FailureOr<Value> shifted =
      failed(variance)
          ? variance
          : ctx.create<AddOp>({*variance, ctx.scalar(f32, epsilon)});
  FailureOr<Value> inv =
      failed(shifted) ? shifted : ctx.create<RsqrtOp>(*shifted);
  if (failed(inv))
    return failure();
  return success(succeeded(ctx.setOutput(1, *mean)) &&
                 succeeded(ctx.setOutput(2, *inv)));
}

LogicalResult importNorm(NodeContext &ctx, bool rms) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> axis = ctx.intAttr("axis", -1);
  FailureOr<float> epsilon = ctx.floatAttr("epsilon", 1e-5f);
  if (failed(x) || failed(axis) || failed(epsilon) ||
      failed(ctx.requiredInput(1)) ||
      failed(axis = ctx.normalizeAxis(*axis, ctx.inputType(0).getRank())) ||
      (rms && failed(ctx.rejectOutputsFrom(1, "RMSNormalization has one "
                                              "output"))) ||
      failed(ctx.rejectOutputsFrom(3, "LayerNormalization has three outputs")))
    return failure();
  if (!rms && (ctx.wantsOutput(1) || ctx.wantsOutput(2)) &&
      failed(layerNormStatistics(ctx, *x, *axis, *epsilon)))
    return failure();
  ArrayRef<int64_t> normalized = ctx.inputType(0).getShape().drop_front(*axis);
  FailureOr<Value> scale = normParameter(ctx, 1, normalized);
  if (failed(scale))
    return failure();
  SmallVector<Value> operands = {*x, *scale};
  if (!rms && ctx.hasInput(2)) {
    FailureOr<Value> bias = normParameter(ctx, 2, normalized);
    if (failed(bias))
      return failure();
    operands.push_back(*bias);
  }
  SmallVector<NamedAttribute> attrs = {ctx.namedI64("axis", *axis),
                                       ctx.namedF32("epsilon", *epsilon)};
  FailureOr<Value> y = rms ? ctx.create<RmsNormOp>(operands, attrs)
                           : ctx.create<LayerNormOp>(operands, attrs);
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importLayerNorm(NodeContext &ctx) {
  return importNorm(ctx, false);
}
LogicalResult importRmsNorm(NodeContext &ctx) { return importNorm(ctx, true); }

//===----------------------------------------------------------------------===//
// Reductions and TopK
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Channel norms and global pools (CNN encoders), as reductions and
// elementwise ops
//===----------------------------------------------------------------------===//

/// A per-channel parameter [C] of an [N, C, ...] input as [C, 1, ...].
FailureOr<Value> channelParam(NodeContext &ctx, Value p, int64_t rank) {
  auto type = cast<RankedTensorType>(p.getType());
  if (type.getRank() != 1)
    return ctx.error() << "per-channel parameters must be 1-D, got "
                       << p.getType();
  if (rank <= 2)
    return p;
  return ctx.unsqueeze(p, llvm::to_vector(llvm::seq<int64_t>(1, rank - 1)));
}

/// (x - mean) * rsqrt(var + epsilon) with mean and var over `axes`.
FailureOr<Value> normalizeOver(NodeContext &ctx, Value x,
                               ArrayRef<int64_t> axes, float epsilon) {
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  NamedAttribute axesAttr = ctx.namedI64Array("axes", axes);
  FailureOr<Value> mean = ctx.create<ReduceMeanOp>(x, {axesAttr});
  if (failed(mean))
    return failure();
  FailureOr<Value> centered = ctx.create<SubOp>({x, *mean});
  if (failed(centered))
    return failure();
  FailureOr<Value> square = ctx.create<MulOp>({*centered, *centered});
  FailureOr<Value> var =
      failed(square) ? square : ctx.create<ReduceMeanOp>(*square, {axesAttr});
  FailureOr<Value> shifted =
      failed(var) ? var
                  : ctx.create<AddOp>({*var, ctx.scalar(element, epsilon)});
  FailureOr<Value> inv =
      failed(shifted) ? shifted : ctx.create<RsqrtOp>(*shifted);
  if (failed(inv))
    return failure();
  return ctx.create<MulOp>({*centered, *inv});
}

/// y * scale + bias, both per channel.
LogicalResult scaleAndShift(NodeContext &ctx, Value y, unsigned scaleInput,
                            unsigned biasInput, int64_t rank) {
  FailureOr<Value> scale = ctx.requiredInput(scaleInput),
                   bias = ctx.requiredInput(biasInput);
  if (failed(scale) || failed(bias) ||
      failed(scale = channelParam(ctx, *scale, rank)) ||
      failed(bias = channelParam(ctx, *bias, rank)))
    return failure();
  FailureOr<Value> scaled = ctx.create<MulOp>({y, *scale});
  FailureOr<Value> out =
      failed(scaled) ? scaled : ctx.create<AddOp>({*scaled, *bias});
  return failed(out) ? failure() : ctx.setOutput(0, *out);
}

/// BatchNormalization right after a Conv that nothing else reads, all of
/// whose parameters are known at import: folded into the Conv's weight and
/// bias (w * s and (b - mean) * s + beta per output channel, s = scale /
/// sqrt(var + epsilon)), as ONNX Runtime's optimizer does, so neither the
/// statistics nor the normalization run. The folded Conv, or null when the
/// pattern does not hold.
Value foldBatchNormIntoConv(NodeContext &ctx, Value x, float epsilon) {
  auto conv = x.getDefiningOp<ConvOp>();
  // Nothing imported so far reads the Conv, and nothing in the graph but
  // this node will.
  if (!conv || !x.use_empty() || ctx.onnxUses(ctx.node().input(0)) != 1)
    return nullptr;
  auto wType = cast<RankedTensorType>(conv.getWeight().getType());
  int64_t outputs = wType.getDimSize(0);
  std::optional<std::vector<double>> w = ctx.knownValues(conv.getWeight());
  std::optional<std::vector<double>> params[4];
  for (unsigned i = 0; i < 4; ++i) {
    Value p = ctx.input(i + 1);
    if (!p || !(params[i] = ctx.knownValues(p)) ||
        int64_t(params[i]->size()) != outputs)
      return nullptr;
  }
  std::optional<std::vector<double>> b;
  if (conv.getBias() && !(b = ctx.knownValues(conv.getBias())))
    return nullptr;
  if (!w)
    return nullptr;
  const std::vector<double> &gamma = *params[0], &beta = *params[1],
                            &mean = *params[2], &var = *params[3];
  int64_t per = int64_t(w->size()) / outputs;
  std::vector<float> folded(w->size()), bias(static_cast<size_t>(outputs));
  for (int64_t m = 0; m < outputs; ++m) {
    double s = gamma[size_t(m)] / std::sqrt(var[size_t(m)] + double(epsilon));
    for (int64_t i = 0; i < per; ++i)
      folded[size_t(m * per + i)] = float((*w)[size_t(m * per + i)] * s);
    double b0 = b ? (*b)[size_t(m)] : 0.0;
    bias[size_t(m)] = float((b0 - mean[size_t(m)]) * s + beta[size_t(m)]);
  }
  std::string base = ctx.node().output(0);
  Value weight =
      ctx.derivedWeight(base + ".conv_weight", floatData(wType, folded));
  Value biasValue = ctx.derivedWeight(
      base + ".conv_bias",
      floatData(RankedTensorType::get({outputs}, wType.getElementType()),
                bias));
  FailureOr<Value> y =
      ctx.create<ConvOp>({conv.getInput(), weight, biasValue},
                         {ctx.namedI64Array("strides", conv.getStrides()),
                          ctx.namedI64Array("pads", conv.getPads()),
                          ctx.namedI64Array("dilations", conv.getDilations()),
                          ctx.namedI64("group", conv.getGroup())});
  if (failed(y))
    return nullptr;
  // The unfolded Conv (and its weight, which another node may read) is
  // left for the pipeline to drop: the importer still maps its ONNX name.
  return *y;
}

/// BatchNormalization for inference: (x - mean) * (scale / sqrt(var +
/// epsilon)) + B with the stored statistics.
LogicalResult importBatchNorm(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> training = ctx.intAttr("training_mode", 0);
  FailureOr<float> epsilon = ctx.floatAttr("epsilon", 1e-5f);
  if (failed(x) || failed(training) || failed(epsilon) ||
      failed(ctx.rejectOutputsFrom(1, "the running statistics are outputs "
                                      "of training mode only")))
    return failure();
  if (*training)
    return ctx.error() << "training_mode = 1 is not supported (inference "
                          "only)";
  if (Value folded = foldBatchNormIntoConv(ctx, *x, *epsilon))
    return ctx.setOutput(0, folded);
  int64_t rank = ctx.inputType(0).getRank();
  if (rank < 2)
    return ctx.error() << "the input needs rank 2 or more, got " << rank;
  FailureOr<Value> mean = ctx.requiredInput(3), var = ctx.requiredInput(4);
  if (failed(mean) || failed(var) ||
      failed(mean = channelParam(ctx, *mean, rank)) ||
      failed(var = channelParam(ctx, *var, rank)))
    return failure();
  Type element = ctx.inputType(0).getElementType();
  FailureOr<Value> shifted =
      ctx.create<AddOp>({*var, ctx.scalar(element, *epsilon)});
  FailureOr<Value> inv =
      failed(shifted) ? shifted : ctx.create<RsqrtOp>(*shifted);
  FailureOr<Value> centered =
      failed(inv) ? inv : ctx.create<SubOp>({*x, *mean});
  FailureOr<Value> y =
      failed(centered) ? centered : ctx.create<MulOp>({*centered, *inv});
  return failed(y) ? failure() : scaleAndShift(ctx, *y, 1, 2, rank);
}

/// InstanceNormalization: each (sample, channel) over its spatial dims.
LogicalResult importInstanceNorm(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<float> epsilon = ctx.floatAttr("epsilon", 1e-5f);
  if (failed(x) || failed(epsilon))
    return failure();
  int64_t rank = ctx.inputType(0).getRank();
  if (rank < 3)
    return ctx.error() << "the input needs rank 3 or more, got " << rank;
  FailureOr<Value> y = normalizeOver(
      ctx, *x, llvm::to_vector(llvm::seq<int64_t>(2, rank)), *epsilon);
  return failed(y) ? failure() : scaleAndShift(ctx, *y, 1, 2, rank);
}

/// GroupNormalization (opset 21: scale and bias per channel): [N, C, ...]
/// viewed as [N, G, C / G, ...], normalized over all but the first two
/// dims, viewed back.
LogicalResult importGroupNorm(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<float> epsilon = ctx.floatAttr("epsilon", 1e-5f);
  FailureOr<int64_t> groups = ctx.intAttr("num_groups", std::nullopt);
  FailureOr<int64_t> stash = ctx.intAttr("stash_type", 1);
  if (failed(x) || failed(epsilon) || failed(groups) || failed(stash))
    return failure();
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 3)
    return ctx.error() << "the input needs rank 3 or more, got " << rank;
  int64_t channels = type.getDimSize(1);
  if (ShapedType::isDynamic(channels))
    return ctx.error() << "needs a static channel dim";
  if (*groups < 1 || channels % *groups != 0)
    return ctx.error() << "num_groups = " << *groups << " must divide the "
                       << channels << " channels";
  SmallVector<int64_t> dims = {0, *groups, channels / *groups};
  SmallVector<int64_t> source = {0, -1, -1};
  for (int64_t d = 2; d < rank; ++d) {
    dims.push_back(0);
    source.push_back(d);
  }
  FailureOr<Value> grouped = ctx.reshapeMapped(*x, dims, source);
  if (failed(grouped))
    return failure();
  FailureOr<Value> y =
      normalizeOver(ctx, *grouped,
                    llvm::to_vector(llvm::seq<int64_t>(2, rank + 1)), *epsilon);
  if (failed(y))
    return failure();
  SmallVector<int64_t> backDims = {0, channels}, backSource = {0, -1};
  for (int64_t d = 2; d < rank; ++d) {
    backDims.push_back(0);
    backSource.push_back(d + 1);
  }
  FailureOr<Value> back = ctx.reshapeMapped(*y, backDims, backSource);
  return failed(back) ? failure() : scaleAndShift(ctx, *back, 1, 2, rank);
}

/// GlobalAveragePool / GlobalMaxPool: the mean / max over the spatial dims,
/// kept as size 1.
template <typename OpTy> LogicalResult importGlobalPool(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = ctx.inputType(0).getRank();
  if (rank < 3)
    return ctx.error() << "the input needs rank 3 or more, got " << rank;
  FailureOr<Value> y = ctx.create<OpTy>(
      *x, {ctx.namedI64Array("axes",
                             llvm::to_vector(llvm::seq<int64_t>(2, rank)))});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// Conv's and pooling's auto_pad: SAME_UPPER / SAME_LOWER (static spatial
/// dims; the extra pad at the end / the beginning), VALID (no pads), or
/// NOTSET (the explicit `pads`, left as they are).
LogicalResult applyAutoPad(NodeContext &ctx, StringRef autoPad,
                           RankedTensorType xType, ArrayRef<int64_t> kernel,
                           ArrayRef<int64_t> strides,
                           ArrayRef<int64_t> dilations,
                           SmallVectorImpl<int64_t> &pads) {
  int64_t spatial = xType.getRank() - 2;
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    pads.assign(2 * spatial, 0);
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t d = xType.getDimSize(i + 2);
      if (ShapedType::isDynamic(d))
        return ctx.error() << "auto_pad " << autoPad
                           << " needs static spatial dims";
      if (strides[i] < 1)
        return ctx.error() << "strides must be positive";
      int64_t out = (d + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - d);
      int64_t small = total / 2;
      pads[i] = autoPad == "SAME_UPPER" ? small : total - small;
      pads[i + spatial] = total - pads[i];
    }
  } else if (autoPad == "VALID") {
    pads.assign(2 * spatial, 0);
  } else if (autoPad != "NOTSET") {
    return ctx.error() << "unknown auto_pad '" << autoPad << "'";
  }
  return success();
}

/// MaxPool / AveragePool: 1 to 3 spatial dims; explicit pads or auto_pad;
/// ceil_mode, dilations, count_include_pad. MaxPool's Indices output is
/// not supported.
template <bool isMax> LogicalResult importPool(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<std::string> autoPad = ctx.stringAttr("auto_pad", "NOTSET");
  FailureOr<int64_t> ceilMode = ctx.intAttr("ceil_mode", 0);
  FailureOr<int64_t> countIncludePad = ctx.intAttr("count_include_pad", 0);
  FailureOr<SmallVector<int64_t>> kernel =
      ctx.intsAttr("kernel_shape", std::nullopt);
  if (failed(x) || failed(autoPad) || failed(ceilMode) ||
      failed(countIncludePad) || failed(kernel))
    return failure();
  if (isMax && failed(ctx.rejectOutputsFrom(
                   1, "MaxPool's Indices (argmax positions) are not computed")))
    return failure();
  RankedTensorType xType = ctx.inputType(0);
  int64_t spatial = xType.getRank() - 2;
  if (spatial < 1 || spatial > 3)
    return ctx.error() << "supports 1 to 3 spatial dims, got an input of rank "
                       << xType.getRank();
  if (!isa<FloatType>(xType.getElementType()))
    return ctx.error() << "supports float inputs, got " << xType;
  FailureOr<SmallVector<int64_t>> strides =
      ctx.intsAttr("strides", SmallVector<int64_t>(spatial, 1));
  FailureOr<SmallVector<int64_t>> dilations =
      ctx.intsAttr("dilations", SmallVector<int64_t>(spatial, 1));
  FailureOr<SmallVector<int64_t>> pads =
      ctx.intsAttr("pads", SmallVector<int64_t>(2 * spatial, 0));
  if (failed(strides) || failed(dilations) || failed(pads))
    return failure();
  if (int64_t(kernel->size()) != spatial ||
      int64_t(strides->size()) != spatial ||
      int64_t(dilations->size()) != spatial ||
      int64_t(pads->size()) != 2 * spatial)
    return ctx.error() << "kernel_shape, strides and dilations need " << spatial
                       << " values each and pads " << 2 * spatial;
  if (failed(applyAutoPad(ctx, *autoPad, xType, *kernel, *strides, *dilations,
                          *pads)))
    return failure();
  FailureOr<Value> y = ctx.create<PoolOp>(
      *x,
      {ctx.builder().getNamedAttr(
           "kind", ctx.builder().getStringAttr(isMax ? "max" : "average")),
       ctx.namedI64Array("kernel_shape", *kernel),
       ctx.namedI64Array("strides", *strides), ctx.namedI64Array("pads", *pads),
       ctx.namedI64Array("dilations", *dilations),
       ctx.namedBool("ceil_mode", *ceilMode != 0),
       ctx.namedBool("count_include_pad", !isMax && *countIncludePad != 0)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// Conv: 1 to 3 spatial dims; explicit pads or auto_pad (SAME_* needs the
/// input's spatial sizes static). The weight's shape must be static.
LogicalResult importConv(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<Value> w = ctx.requiredInput(1);
  FailureOr<int64_t> group = ctx.intAttr("group", 1);
  FailureOr<std::string> autoPad = ctx.stringAttr("auto_pad", "NOTSET");
  if (failed(x) || failed(w) || failed(group) || failed(autoPad))
    return failure();
  RankedTensorType xType = ctx.inputType(0), wType = ctx.inputType(1);
  int64_t spatial = xType.getRank() - 2;
  if (spatial < 1 || spatial > 3)
    return ctx.error() << "supports 1 to 3 spatial dims, got an input of rank "
                       << xType.getRank();
  if (wType.getRank() != xType.getRank() || !wType.hasStaticShape())
    return ctx.error() << "the weight must have the input's rank and a static "
                          "shape, got "
                       << wType;
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  FailureOr<SmallVector<int64_t>> shapeAttr =
      ctx.intsAttr("kernel_shape", kernel);
  FailureOr<SmallVector<int64_t>> strides =
      ctx.intsAttr("strides", SmallVector<int64_t>(spatial, 1));
  FailureOr<SmallVector<int64_t>> dilations =
      ctx.intsAttr("dilations", SmallVector<int64_t>(spatial, 1));
  FailureOr<SmallVector<int64_t>> pads =
      ctx.intsAttr("pads", SmallVector<int64_t>(2 * spatial, 0));
  if (failed(shapeAttr) || failed(strides) || failed(dilations) || failed(pads))
    return failure();
  if (*shapeAttr != kernel)
    return ctx.error() << "kernel_shape does not match the weight's spatial "
                          "dims";
  if (int64_t(strides->size()) != spatial ||
      int64_t(dilations->size()) != spatial)
    return ctx.error() << "strides and dilations need " << spatial
                       << " values each";
  if (failed(applyAutoPad(ctx, *autoPad, xType, kernel, *strides, *dilations,
                          *pads)))
    return failure();
  SmallVector<Value> operands = {*x, *w};
  if (ctx.hasInput(2))
    operands.push_back(ctx.input(2));
  FailureOr<Value> y =
      ctx.create<ConvOp>(operands, {ctx.namedI64Array("strides", *strides),
                                    ctx.namedI64Array("pads", *pads),
                                    ctx.namedI64Array("dilations", *dilations),
                                    ctx.namedI64("group", *group)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// ConvTranspose: 1 to 3 spatial dims; explicit pads, output_padding, or
/// output_shape / auto_pad SAME_* (static spatial sizes), which decide the
/// pads as ONNX defines. The weight's shape must be static.
LogicalResult importConvTranspose(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<Value> w = ctx.requiredInput(1);
  FailureOr<int64_t> group = ctx.intAttr("group", 1);
  FailureOr<std::string> autoPad = ctx.stringAttr("auto_pad", "NOTSET");
  if (failed(x) || failed(w) || failed(group) || failed(autoPad))
    return failure();
  RankedTensorType xType = ctx.inputType(0), wType = ctx.inputType(1);
  int64_t spatial = xType.getRank() - 2;
  if (spatial < 1 || spatial > 3)
    return ctx.error() << "supports 1 to 3 spatial dims, got an input of rank "
                       << xType.getRank();
  if (wType.getRank() != xType.getRank() || !wType.hasStaticShape())
    return ctx.error() << "the weight must have the input's rank and a static "
                          "shape, got "
                       << wType;
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  SmallVector<int64_t> ones(spatial, 1), zeros(spatial, 0);
  FailureOr<SmallVector<int64_t>> shapeAttr =
      ctx.intsAttr("kernel_shape", kernel);
  FailureOr<SmallVector<int64_t>> strides = ctx.intsAttr("strides", ones);
  FailureOr<SmallVector<int64_t>> dilations = ctx.intsAttr("dilations", ones);
  FailureOr<SmallVector<int64_t>> outputPadding =
      ctx.intsAttr("output_padding", zeros);
  FailureOr<SmallVector<int64_t>> pads =
      ctx.intsAttr("pads", SmallVector<int64_t>(2 * spatial, 0));
  FailureOr<SmallVector<int64_t>> outputShape =
      ctx.intsAttr("output_shape", SmallVector<int64_t>());
  if (failed(shapeAttr) || failed(strides) || failed(dilations) ||
      failed(outputPadding) || failed(pads) || failed(outputShape))
    return failure();
  if (*shapeAttr != kernel)
    return ctx.error() << "kernel_shape does not match the weight's spatial "
                          "dims";
  if (int64_t(strides->size()) != spatial ||
      int64_t(dilations->size()) != spatial ||
      int64_t(outputPadding->size()) != spatial ||
      int64_t(pads->size()) != 2 * spatial)
    return ctx.error() << "strides, dilations and output_padding need "
                       << spatial << " values each and pads " << 2 * spatial;
  // output_shape (its spatial dims, or all dims) or SAME_* auto_pad fix the
  // output size; the pads follow.
  SmallVector<int64_t> target;
  if (!outputShape->empty()) {
    target.assign(outputShape->end() -
                      std::min<int64_t>(spatial, outputShape->size()),
                  outputShape->end());
    if (int64_t(target.size()) != spatial)
      return ctx.error() << "output_shape needs " << spatial
                         << " spatial sizes, got " << outputShape->size();
  } else if (*autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < spatial; ++i)
      target.push_back(xType.getDimSize(i + 2) * (*strides)[i]);
  } else if (*autoPad == "VALID") {
    pads->assign(2 * spatial, 0);
  } else if (*autoPad != "NOTSET") {
    return ctx.error() << "unknown auto_pad '" << *autoPad << "'";
  }
  if (!target.empty()) {
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t d = xType.getDimSize(i + 2);
      if (ShapedType::isDynamic(d))
        return ctx.error() << "output_shape or auto_pad " << *autoPad
                           << " needs static spatial dims";
      int64_t total = (*strides)[i] * (d - 1) + (*outputPadding)[i] +
                      (kernel[i] - 1) * (*dilations)[i] + 1 - target[i];
      if (total < 0) {
        // An output larger than the full one: the extra positions at the
        // end receive no input (as output_padding's do).
        (*outputPadding)[i] -= total;
        (*pads)[i] = (*pads)[i + spatial] = 0;
        continue;
      }
      bool upper = *autoPad == "SAME_UPPER";
      (*pads)[i] = upper ? total / 2 : total - total / 2;
      (*pads)[i + spatial] = total - (*pads)[i];
    }
  }
  SmallVector<Value> operands = {*x, *w};
  if (ctx.hasInput(2))
    operands.push_back(ctx.input(2));
  FailureOr<Value> y = ctx.create<ConvTransposeOp>(
      operands,
      {ctx.namedI64Array("strides", *strides), ctx.namedI64Array("pads", *pads),
       ctx.namedI64Array("dilations", *dilations),
       ctx.namedI64Array("output_padding", *outputPadding),
       ctx.namedI64("group", *group)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// CumSum: the axis is a one-element constant input.
LogicalResult importCumSum(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> exclusive = ctx.intAttr("exclusive", 0);
  FailureOr<int64_t> reverse = ctx.intAttr("reverse", 0);
  if (failed(x) || failed(exclusive) || failed(reverse))
    return failure();
  if (!ctx.hasInput(1))
    return ctx.error() << "needs the axis input";
  FailureOr<SmallVector<int64_t>> axis = ctx.constantInts(1, "axis");
  if (failed(axis))
    return failure();
  if (axis->size() != 1)
    return ctx.error() << "axis must hold one value, got " << axis->size();
  FailureOr<int64_t> a =
      ctx.normalizeAxis((*axis)[0], ctx.inputType(0).getRank());
  if (failed(a))
    return failure();
  FailureOr<Value> y =
      ctx.create<CumSumOp>(*x, {ctx.namedI64("axis", *a),
                                ctx.namedBool("exclusive", *exclusive != 0),
                                ctx.namedBool("reverse", *reverse != 0)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// `axesFromInputSince`: the opset from which axes come as input 1.
template <typename OpTy, int64_t axesFromInputSince>
LogicalResult importReduce(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> keepdims = ctx.intAttr("keepdims", 1);
  FailureOr<int64_t> noop = ctx.intAttr("noop_with_empty_axes", 0);
  if (failed(x) || failed(keepdims) || failed(noop))
    return failure();
  int64_t rank = ctx.inputType(0).getRank();
  SmallVector<int64_t> axes;
  if (ctx.opset() >= axesFromInputSince) {
    if (ctx.hasInput(1)) {
      FailureOr<SmallVector<int64_t>> a = ctx.constantInts(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else {
    FailureOr<SmallVector<int64_t>> a =
        ctx.intsAttr("axes", SmallVector<int64_t>());
    if (failed(a))
      return failure();
    axes = *a;
  }
  if (axes.empty()) {
    if (*noop)
      return ctx.setOutput(0, *x);
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  for (int64_t &a : axes) {
    FailureOr<int64_t> n = ctx.normalizeAxis(a, rank, "reduction axis");
    if (failed(n))
      return failure();
    a = *n;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (rank == 0)
    return ctx.setOutput(0, *x);
  FailureOr<Value> y =
      ctx.create<OpTy>(*x, {ctx.namedI64Array("axes", axes),
                            ctx.namedBool("keepdims", *keepdims)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// ArgMax / ArgMin: top_k with k = 1 along the axis (its indices; ties
/// keep the lower index, NaN ranks above every number, as in TopK), the
/// axis dropped without keepdims. select_last_index = 1 runs it over the
/// axis reversed (a slice with step -1) and maps index i back to n - 1 - i.
template <bool Largest> LogicalResult importArgReduce(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> axis = ctx.intAttr("axis", 0);
  FailureOr<int64_t> keepdims = ctx.intAttr("keepdims", 1);
  FailureOr<int64_t> last = ctx.intAttr("select_last_index", 0);
  if (failed(x) || failed(axis) || failed(keepdims) || failed(last))
    return failure();
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 1)
    return ctx.error() << "needs an input of rank 1 or more, got a scalar";
  if (failed(axis = ctx.normalizeAxis(*axis, rank)))
    return failure();
  if (type.getDimSize(*axis) == 0)
    return ctx.error() << "axis " << *axis << " is empty: no index to return";
  Value input = *x;
  if (*last) {
    SmallVector<int64_t> starts(rank, 0),
        ends(rank, std::numeric_limits<int64_t>::max()), steps(rank, 1);
    starts[*axis] = -1;
    ends[*axis] = -std::numeric_limits<int64_t>::max();
    steps[*axis] = -1;
    FailureOr<Value> reversed =
        ctx.create<SliceOp>(input, {ctx.namedI64Array("starts", starts),
                                    ctx.namedI64Array("ends", ends),
                                    ctx.namedI64Array("steps", steps)});
    if (failed(reversed))
      return failure();
    input = *reversed;
  }
  auto results =
      ctx.createInferred(TopKOp::getOperationName(), input,
                         {ctx.namedI64("k", 1), ctx.namedI64("axis", *axis),
                          ctx.namedBool("largest", Largest)},
                         /*numResults=*/2);
  if (failed(results))
    return failure();
  FailureOr<Value> index = (*results)[1];
  if (*last) {
    Type i64 = IntegerType::get(ctx.context(), 64);
    FailureOr<Value> n = ctx.dimScalar(*x, *axis);
    FailureOr<Value> top;
    if (failed(n) ||
        failed(top = ctx.create<SubOp>({*n, ctx.scalar(i64, 1)})) ||
        failed(index = ctx.create<SubOp>({*top, *index})))
      return failure();
  }
  if (!*keepdims) {
    SmallVector<int64_t> dims, source;
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis) {
        dims.push_back(ShapedType::kDynamic);
        source.push_back(d);
      }
    index = ctx.reshapeMapped(*index, dims, source);
  }
  return failed(index) ? failure() : ctx.setOutput(0, *index);
}

LogicalResult importTopK(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> axis = ctx.intAttr("axis", -1);
  FailureOr<int64_t> largest = ctx.intAttr("largest", 1);
  FailureOr<int64_t> sorted = ctx.intAttr("sorted", 1);
  FailureOr<SmallVector<int64_t>> k = ctx.constantInts(1, "K");
  if (failed(x) || failed(axis) || failed(largest) || failed(sorted) ||
      failed(k) ||
      failed(axis = ctx.normalizeAxis(*axis, ctx.inputType(0).getRank())))
    return failure();
  if (k->size() != 1)
    return ctx.error() << "K must hold one value, got " << k->size();
  // sorted = 0 allows any order; the sorted order is one of them.
  auto results = ctx.createInferred(TopKOp::getOperationName(), *x,
                                    {ctx.namedI64("k", k->front()),
                                     ctx.namedI64("axis", *axis),
                                     ctx.namedBool("largest", *largest)},
                                    /*numResults=*/2);
  if (failed(results))
    return failure();
  return success(succeeded(ctx.setOutput(0, (*results)[0])) &&
                 succeeded(ctx.setOutput(1, (*results)[1])));
}

} // namespace

void registerNNOps(std::vector<OpEntry> &ops) {
  auto add = [&](const char *op, ImportFn fn, int64_t since = 13,
                 const char *notes = "") {
    ops.push_back({"", op, since, fn, notes});
  };
  add("MatMul", importMatMul, 13, "NumPy semantics, 1-D operands included");
  add("Gemm", importGemm);
  add("Einsum", importEinsum, 13,
      "one or two operands; no repeated labels within an operand");
  add("Softmax", importSoftmax<SoftmaxOp>, 13, "opset 13 semantics (one axis)");
  add("LogSoftmax", importSoftmax<LogSoftmaxOp>, 13,
      "opset 13 semantics (one axis)");
  add("LayerNormalization", importLayerNorm, 17,
      "Mean/InvStdDev outputs in f32");
  add("RMSNormalization", importRmsNorm, 23);
  add("ReduceSum", importReduce<ReduceSumOp, 13>, 13, "constant axes");
  add("ReduceMean", importReduce<ReduceMeanOp, 18>, 13, "constant axes");
  add("ReduceMax", importReduce<ReduceMaxOp, 18>, 13, "constant axes");
  add("ReduceMin", importReduce<ReduceMinOp, 18>, 13, "constant axes");
  add("TopK", importTopK, 11, "constant K");
  add("ArgMax", importArgReduce<true>, 13,
      "as top_k with k = 1 (ties: the lower index, or the higher with "
      "select_last_index; NaN ranks above every number)");
  add("ArgMin", importArgReduce<false>, 13,
      "as top_k with k = 1 (ties: the lower index, or the higher with "
      "select_last_index; NaN ranks above every number)");
  add("BatchNormalization", importBatchNorm, 15,
      "inference (training_mode = 0): folded into the weight and bias of a "
      "Conv that only it reads, else elementwise ops");
  add("InstanceNormalization", importInstanceNorm, 6,
      "as reductions and elementwise ops");
  add("GroupNormalization", importGroupNorm, 21,
      "opset 21 (per-channel scale and bias); static channel count");
  add("GlobalAveragePool", importGlobalPool<ReduceMeanOp>, 1,
      "as reduce_mean over the spatial dims");
  add("GlobalMaxPool", importGlobalPool<ReduceMaxOp>, 1,
      "as reduce_max over the spatial dims");
  add("Conv", importConv, 11,
      "1-D to 3-D; groups, strides, dilations, pads and auto_pad (SAME_* "
      "with static spatial sizes); static weight shape");
  add("ConvTranspose", importConvTranspose, 11,
      "1-D to 3-D; groups, strides, dilations, pads, output_padding, "
      "output_shape and auto_pad (static spatial sizes for the last two); "
      "static weight shape");
  add("MaxPool", importPool<true>, 8,
      "1-D to 3-D floats; pads, auto_pad, strides, dilations, ceil_mode; "
      "not the Indices output");
  add("AveragePool", importPool<false>, 7,
      "1-D to 3-D; pads, auto_pad, strides, dilations, ceil_mode, "
      "count_include_pad; sums in f32");
  add("CumSum", importCumSum, 11,
      "constant axis; floats narrower than f32 sum in f32");
}

} // namespace kestrel::onnx_frontend
