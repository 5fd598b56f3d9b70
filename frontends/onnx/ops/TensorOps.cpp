//===- TensorOps.cpp - Import ONNX shape and data movement ops ------------===//
//
// Reshape, Transpose, Concat, Split, Slice, Gather, (Un)Squeeze, Expand,
// Flatten, Shape, ConstantOfShape, Constant, Range, Trilu.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/NodeContext.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace kestrel::onnx_frontend {
namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

LogicalResult importReshape(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0), shape = ctx.requiredInput(1);
  FailureOr<int64_t> allowzero = ctx.intAttr("allowzero", 0);
  if (failed(x) || failed(shape) || failed(allowzero))
    return failure();
  RankedTensorType in = ctx.inputType(0);
  RankedTensorType shapeType = ctx.inputType(1);
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0) ||
      !shapeType.getElementType().isInteger(64))
    return ctx.error() << "shape must be a 1-D i64 tensor of static length, "
                          "got "
                       << shapeType;
  if (failed(ctx.checkShapeOperandLength(shapeType.getDimSize(0), "shape")))
    return failure();
  if (DenseElementsAttr c = ctx.constantInput(1)) {
    SmallVector<int64_t> entries;
    for (const APInt &v : c.getValues<APInt>())
      entries.push_back(v.getSExtValue());
    SmallVector<int64_t> dims;
    int64_t known = 1, inferAt = -1;
    for (auto [i, e] : llvm::enumerate(entries)) {
      if (e == 0 && !*allowzero) {
        if (static_cast<int64_t>(i) >= in.getRank())
          return ctx.error()
                 << "shape entry " << i
                 << " is 0 (copy), but the input has rank " << in.getRank();
        e = in.getDimSize(i);
      } else if (e == -1) {
        if (inferAt >= 0)
          return ctx.error() << "shape has more than one -1 entry";
        inferAt = i;
        dims.push_back(kDyn);
        continue;
      } else if (e < 0) {
        return ctx.error() << "shape entry " << i << " is " << e;
      }
      dims.push_back(e);
      if (e == kDyn || known == kDyn)
        known = kDyn;
      else if (llvm::MulOverflow(known, e, known))
        return ctx.error() << "shape " << formatShape(entries)
                           << " has more elements than a 64-bit count holds";
    }
    if (inferAt >= 0 && in.hasStaticShape() && known != kDyn) {
      if (known == 0 || in.getNumElements() % known != 0)
        return ctx.error() << "cannot reshape " << formatShape(in.getShape())
                           << " to " << formatShape(entries);
      dims[inferAt] = in.getNumElements() / known;
    }
    auto resultType = in.clone(dims);
    if (llvm::count(dims, kDyn) <= 1) {
      FailureOr<Value> y = ctx.createWithType<ReshapeOp>(resultType, *x);
      return failed(y) ? failure() : ctx.setOutput(0, *y);
    }
  }
  SmallVector<int64_t> dims(shapeType.getDimSize(0), kDyn);
  if (DenseElementsAttr c = ctx.constantInput(1))
    for (auto [i, v] : llvm::enumerate(c.getValues<APInt>())) {
      int64_t e = v.getSExtValue();
      dims[i] =
          e > 0 ? e : (e == 0 ? (*allowzero ? 0 : in.getDimSize(i)) : kDyn);
    }
  SmallVector<NamedAttribute> attrs;
  if (*allowzero)
    attrs.push_back(ctx.namedBool("allow_zero", true));
  FailureOr<Value> y =
      ctx.createWithType<ReshapeOp>(in.clone(dims), {*x, *shape}, attrs);
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importTranspose(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = ctx.inputType(0).getRank();
  SmallVector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d)
    reversed.push_back(d);
  FailureOr<SmallVector<int64_t>> perm = ctx.intsAttr("perm", reversed);
  if (failed(perm))
    return failure();
  for (int64_t &p : *perm) {
    FailureOr<int64_t> n = ctx.normalizeAxis(p, rank, "perm entry");
    if (failed(n))
      return failure();
    p = *n;
  }
  FailureOr<Value> y = ctx.transpose(*x, *perm);
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importConcat(NodeContext &ctx) {
  FailureOr<int64_t> axis = ctx.intAttr("axis", std::nullopt);
  if (failed(axis))
    return failure();
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i) {
    FailureOr<Value> v = ctx.requiredInput(i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  if (inputs.empty())
    return ctx.error() << "needs at least one input";
  if (failed(axis = ctx.normalizeAxis(*axis, ctx.inputType(0).getRank())))
    return failure();
  FailureOr<Value> y =
      ctx.create<ConcatOp>(inputs, {ctx.namedI64("axis", *axis)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importSplit(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> axis = ctx.intAttr("axis", 0);
  if (failed(x) || failed(axis) ||
      failed(axis = ctx.normalizeAxis(*axis, ctx.inputType(0).getRank())))
    return failure();
  unsigned n = ctx.numOutputs();
  int64_t dim = ctx.inputType(0).getDimSize(*axis);
  SmallVector<int64_t> sizes;
  if (ctx.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> s = ctx.constantInts(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  } else {
    if (dim == kDyn)
      return ctx.error() << "an equal split needs a static size along axis "
                         << *axis;
    FailureOr<int64_t> parts = ctx.intAttr("num_outputs", n);
    if (failed(parts))
      return failure();
    if (*parts < 1 || *parts != int64_t(n))
      return ctx.error() << "an equal split into num_outputs = " << *parts
                         << " pieces needs that many outputs (at least one); "
                         << "the node has " << n;
    // Opset 18: the last piece is smaller when the size does not divide.
    int64_t chunk = (dim + *parts - 1) / *parts;
    for (int64_t i = 0; i < *parts; ++i)
      sizes.push_back(std::min(chunk, dim - i * chunk));
  }
  if (sizes.size() != n)
    return ctx.error() << "split has " << sizes.size() << " sizes but the "
                       << "node has " << n << " outputs";
  auto results = ctx.createInferred(
      SplitOp::getOperationName(), *x,
      {ctx.namedI64("axis", *axis), ctx.namedI64Array("sizes", sizes)}, n);
  if (failed(results))
    return failure();
  for (unsigned i = 0; i < n; ++i)
    if (failed(ctx.setOutput(i, (*results)[i])))
      return failure();
  return success();
}

/// One entry of a 1-D i64 vector built at run time: a constant, or entry
/// `index` of the 1-D integer tensor `from`.
struct VectorEntry {
  int64_t constant = 0;
  Value from;
  int64_t index = 0;
};

/// Concatenates `entries` into a 1-D i64 tensor (folds when all constant).
FailureOr<Value> buildVector(NodeContext &ctx, ArrayRef<VectorEntry> entries) {
  SmallVector<Value> parts;
  SmallVector<int64_t> run;
  auto flush = [&] {
    if (!run.empty())
      parts.push_back(ctx.constantI64(run));
    run.clear();
  };
  for (const VectorEntry &e : entries) {
    if (!e.from) {
      run.push_back(e.constant);
      continue;
    }
    flush();
    FailureOr<Value> from = ctx.castTo(e.from, ctx.builder().getI64Type());
    FailureOr<Value> one =
        failed(from) ? from
                     : ctx.create<SliceOp>(
                           *from, {ctx.namedI64Array("starts", {e.index}),
                                   ctx.namedI64Array("ends", {e.index + 1}),
                                   ctx.namedI64Array("steps", {1})});
    if (failed(one))
      return failure();
    parts.push_back(*one);
  }
  flush();
  if (parts.size() == 1)
    return parts.front();
  return ctx.create<ConcatOp>(parts, {ctx.namedI64("axis", 0)});
}

/// Slice whose starts/ends/steps are computed at run time (constant axes).
LogicalResult importDynamicSlice(NodeContext &ctx, Value x) {
  RankedTensorType in = ctx.inputType(0);
  int64_t rank = in.getRank();
  int64_t count =
      ctx.inputType(1).getRank() == 1 ? ctx.inputType(1).getDimSize(0) : kDyn;
  if (count == kDyn)
    return ctx.error() << "starts must be a 1-D tensor of static length";
  if (count > rank)
    return ctx.error() << "starts has " << count << " entries for a rank-"
                       << rank << " input";
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, count));
  if (ctx.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> a = ctx.constantInts(3, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  }
  SmallVector<VectorEntry> starts(rank), ends(rank), steps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    ends[d].constant = std::numeric_limits<int64_t>::max();
    steps[d].constant = 1;
  }
  SmallVector<int64_t> shape(in.getShape());
  for (auto [j, axis] : llvm::enumerate(axes)) {
    FailureOr<int64_t> a = ctx.normalizeAxis(axis, rank, "slice axis");
    if (failed(a))
      return failure();
    starts[*a] = {0, ctx.input(1), static_cast<int64_t>(j)};
    ends[*a] = {0, ctx.input(2), static_cast<int64_t>(j)};
    if (ctx.hasInput(4))
      steps[*a] = {0, ctx.input(4), static_cast<int64_t>(j)};
    shape[*a] = kDyn;
  }
  FailureOr<Value> s = buildVector(ctx, starts), e = buildVector(ctx, ends),
                   st = buildVector(ctx, steps);
  if (failed(s) || failed(e) || failed(st))
    return failure();
  FailureOr<Value> y =
      ctx.createWithType<DynamicSliceOp>(in.clone(shape), {x, *s, *e, *st});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// Pad: constant pads (and axes, opset 18); the constant value a scalar
/// (or one-element) input of x's type, 0 when absent.
/// If whose condition is a constant at compile time (a frozen input, a
/// folded shape test): the branch it takes, imported inline.
LogicalResult importIf(NodeContext &ctx) {
  DenseElementsAttr cond = ctx.constantInput(0);
  if (!cond)
    return ctx.error() << "the condition is not a constant at compile time; "
                          "Kestrel compiles If only when its condition folds "
                          "(no data-dependent control flow)";
  if (cond.getNumElements() != 1 || !cond.getElementType().isInteger(1))
    return ctx.error() << "the condition must be one bool, got "
                       << cond.getType();
  bool taken = *cond.getValues<bool>().begin();
  const char *name = taken ? "then_branch" : "else_branch";
  const onnx::AttributeProto *branch = ctx.attr(name);
  if (!branch || !branch->has_g())
    return ctx.error() << "needs the graph attribute " << name;
  FailureOr<SmallVector<Value>> outs = ctx.importSubgraph(branch->g());
  if (failed(outs))
    return failure();
  if (outs->size() != ctx.numOutputs())
    return ctx.error() << name << " has " << outs->size()
                       << " outputs; the node " << ctx.numOutputs();
  for (auto [i, v] : llvm::enumerate(*outs))
    if (ctx.wantsOutput(i) && failed(ctx.setOutput(i, v)))
      return failure();
  return success();
}

/// The float entries of constant input `i` (absent or empty: none); an
/// error naming `what` when it is not a constant float tensor.
FailureOr<SmallVector<float>> constantFloats(NodeContext &ctx, unsigned i,
                                             StringRef what) {
  SmallVector<float> values;
  if (!ctx.hasInput(i))
    return values;
  DenseElementsAttr data = ctx.constantInput(i);
  if (!data || !isa<FloatType>(data.getElementType()))
    return ctx.error() << what << " must be a constant float tensor";
  for (const APFloat &v : data.getValues<APFloat>()) {
    bool lost = false;
    APFloat f = v;
    f.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(f.convertToFloat());
  }
  return values;
}

/// Resize (opset 11+): constant scales or sizes (with axes and
/// keep_aspect_ratio_policy), a constant roi for tf_crop_and_resize;
/// nearest, linear and cubic; not antialias.
LogicalResult importResize(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<std::string> mode = ctx.stringAttr("mode", "nearest");
  FailureOr<std::string> coordinates =
      ctx.stringAttr("coordinate_transformation_mode", "half_pixel");
  FailureOr<std::string> nearest =
      ctx.stringAttr("nearest_mode", "round_prefer_floor");
  FailureOr<std::string> policy =
      ctx.stringAttr("keep_aspect_ratio_policy", "stretch");
  FailureOr<float> cubicA = ctx.floatAttr("cubic_coeff_a", -0.75f);
  FailureOr<int64_t> excludeOutside = ctx.intAttr("exclude_outside", 0);
  FailureOr<float> extrapolation = ctx.floatAttr("extrapolation_value", 0.0f);
  FailureOr<int64_t> antialias = ctx.intAttr("antialias", 0);
  if (failed(x) || failed(mode) || failed(coordinates) || failed(nearest) ||
      failed(policy) || failed(cubicA) || failed(excludeOutside) ||
      failed(extrapolation) || failed(antialias))
    return failure();
  if (*antialias != 0)
    return ctx.error() << "antialias = 1 is not supported";
  if (*coordinates == "tf_half_pixel_for_nn")
    return ctx.error() << "coordinate_transformation_mode "
                          "tf_half_pixel_for_nn (opset 11 only) is not "
                          "supported";
  RankedTensorType xType = ctx.inputType(0);
  int64_t rank = xType.getRank();
  if (!isa<FloatType>(xType.getElementType()) || rank < 1)
    return ctx.error() << "supports float inputs of rank 1 or more, got "
                       << xType;
  SmallVector<int64_t> allAxes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  FailureOr<SmallVector<int64_t>> axes = ctx.intsAttr("axes", allAxes);
  if (failed(axes))
    return failure();
  for (int64_t &a : *axes) {
    FailureOr<int64_t> n = ctx.normalizeAxis(a, rank, "axes");
    if (failed(n))
      return failure();
    a = *n;
  }
  int64_t numAxes = int64_t(axes->size());
  FailureOr<SmallVector<float>> roi = constantFloats(ctx, 1, "roi");
  FailureOr<SmallVector<float>> scales = constantFloats(ctx, 2, "scales");
  if (failed(roi) || failed(scales))
    return failure();
  SmallVector<int64_t> sizes;
  if (ctx.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> s = ctx.constantInts(3, "sizes");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (scales->empty() == sizes.empty())
    return ctx.error() << "needs exactly one of scales and sizes (got "
                       << scales->size() << " scales and " << sizes.size()
                       << " sizes)";
  if (int64_t(scales->size() + sizes.size()) != numAxes)
    return ctx.error() << (sizes.empty() ? "scales" : "sizes") << " has "
                       << scales->size() + sizes.size() << " values; "
                       << numAxes << " axes need one each";
  // Per dim: the size (-1: floor(in * scale)) and the scale (0: out / in).
  SmallVector<int64_t> outSizes(rank, -1);
  SmallVector<float> outScales(rank, 1.0f);
  if (!scales->empty()) {
    for (int64_t i = 0; i < numAxes; ++i) {
      if (!((*scales)[i] > 0))
        return ctx.error() << "scales must be positive, got " << (*scales)[i];
      outScales[(*axes)[i]] = (*scales)[i];
    }
  } else if (*policy == "stretch") {
    for (int64_t i = 0; i < numAxes; ++i) {
      if (sizes[i] < 0)
        return ctx.error() << "sizes must not be negative, got " << sizes[i];
      outSizes[(*axes)[i]] = sizes[i];
      outScales[(*axes)[i]] = 0.0f;
    }
  } else if (*policy == "not_larger" || *policy == "not_smaller") {
    double scale = 0;
    for (int64_t i = 0; i < numAxes; ++i) {
      int64_t in = xType.getDimSize((*axes)[i]);
      if (ShapedType::isDynamic(in) || in == 0)
        return ctx.error() << "keep_aspect_ratio_policy " << *policy
                           << " needs static, non-empty resized dims";
      double s = double(sizes[i]) / double(in);
      scale = i == 0 ? s
                     : (*policy == "not_larger" ? std::min(scale, s)
                                                : std::max(scale, s));
    }
    for (int64_t a : *axes) {
      outSizes[a] = int64_t(scale * double(xType.getDimSize(a)) + 0.5);
      outScales[a] = float(scale);
    }
  } else {
    return ctx.error() << "unknown keep_aspect_ratio_policy '" << *policy
                       << "'";
  }
  SmallVector<NamedAttribute> attrs = {
      ctx.namedI64Array("sizes", outSizes),
      ctx.builder().getNamedAttr("scales",
                                 ctx.builder().getDenseF32ArrayAttr(outScales)),
      ctx.builder().getNamedAttr("mode", ctx.builder().getStringAttr(*mode)),
      ctx.builder().getNamedAttr("coordinate_mode",
                                 ctx.builder().getStringAttr(*coordinates)),
      ctx.builder().getNamedAttr("nearest_mode",
                                 ctx.builder().getStringAttr(*nearest)),
      ctx.namedF32("cubic_coeff_a", *cubicA),
      ctx.namedBool("exclude_outside", *excludeOutside != 0),
      ctx.namedF32("extrapolation_value", *extrapolation)};
  if (*coordinates == "tf_crop_and_resize") {
    if (int64_t(roi->size()) != 2 * numAxes)
      return ctx.error() << "tf_crop_and_resize needs a roi of " << 2 * numAxes
                         << " values, got " << roi->size();
    SmallVector<float> full(rank, 0.0f);
    full.append(rank, 1.0f);
    for (int64_t i = 0; i < numAxes; ++i) {
      full[(*axes)[i]] = (*roi)[i];
      full[rank + (*axes)[i]] = (*roi)[numAxes + i];
    }
    attrs.push_back(ctx.builder().getNamedAttr(
        "roi", ctx.builder().getDenseF32ArrayAttr(full)));
  }
  FailureOr<Value> y = ctx.create<ResizeOp>(*x, attrs);
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importPad(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<std::string> mode = ctx.stringAttr("mode", "constant");
  if (failed(x) || failed(mode))
    return failure();
  if (*mode != "constant" && *mode != "reflect" && *mode != "edge" &&
      *mode != "wrap")
    return ctx.error() << "mode must be constant, reflect, edge or wrap, got '"
                       << *mode << "'";
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (!ctx.hasInput(1))
    return ctx.error() << "needs the pads input";
  FailureOr<SmallVector<int64_t>> given = ctx.constantInts(1, "pads");
  if (failed(given))
    return failure();
  SmallVector<int64_t> axes;
  if (ctx.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> a = ctx.constantInts(3, "axes");
    if (failed(a))
      return failure();
    for (int64_t v : *a) {
      FailureOr<int64_t> n = ctx.normalizeAxis(v, rank);
      if (failed(n))
        return failure();
      if (llvm::is_contained(axes, *n))
        return ctx.error() << "axes contain " << *n << " twice";
      axes.push_back(*n);
    }
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  int64_t count = static_cast<int64_t>(axes.size());
  if (static_cast<int64_t>(given->size()) != 2 * count)
    return ctx.error() << "pads must hold " << 2 * count
                       << " values (begin and end pads of " << count
                       << " axes), got " << given->size();
  SmallVector<int64_t> pads(2 * rank, 0);
  for (auto [i, a] : llvm::enumerate(axes)) {
    pads[a] = (*given)[i];
    pads[rank + a] = (*given)[count + i];
  }
  Value value = ctx.scalar(type.getElementType(), 0);
  if (ctx.hasInput(2)) {
    FailureOr<Value> v = ctx.requiredInput(2);
    if (failed(v))
      return failure();
    RankedTensorType vType = ctx.inputType(2);
    if (vType.getNumElements() != 1 || !vType.hasStaticShape())
      return ctx.error() << "constant_value must hold one value, got " << vType;
    value = *v;
    if (vType.getRank() != 0) {
      FailureOr<Value> scalar = ctx.reshapeTo(*v, {});
      if (failed(scalar))
        return failure();
      value = *scalar;
    }
  }
  FailureOr<Value> y = ctx.create<PadOp>(
      {*x, value},
      {ctx.namedI64Array("pads", pads),
       ctx.builder().getNamedAttr("mode", ctx.builder().getStringAttr(*mode))});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importSlice(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x) || failed(ctx.requiredInput(1)) || failed(ctx.requiredInput(2)))
    return failure();
  int64_t rank = ctx.inputType(0).getRank();
  if (!ctx.constantInput(1) || !ctx.constantInput(2) ||
      (ctx.hasInput(4) && !ctx.constantInput(4)))
    return importDynamicSlice(ctx, *x);
  FailureOr<SmallVector<int64_t>> starts = ctx.constantInts(1, "starts");
  FailureOr<SmallVector<int64_t>> ends = ctx.constantInts(2, "ends");
  if (failed(starts) || failed(ends))
    return failure();
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(0, starts->size()));
  SmallVector<int64_t> steps(starts->size(), 1);
  if (ctx.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> a = ctx.constantInts(3, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  }
  if (ctx.hasInput(4)) {
    FailureOr<SmallVector<int64_t>> s = ctx.constantInts(4, "steps");
    if (failed(s))
      return failure();
    steps = *s;
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() ||
      steps.size() != starts->size())
    return ctx.error() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> fullStarts(rank, 0),
      fullEnds(rank, std::numeric_limits<int64_t>::max()), fullSteps(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    FailureOr<int64_t> a = ctx.normalizeAxis(axes[i], rank, "slice axis");
    if (failed(a))
      return failure();
    if (steps[i] == 0)
      return ctx.error() << "step of axis " << *a << " is zero";
    fullStarts[*a] = (*starts)[i];
    fullEnds[*a] = (*ends)[i];
    fullSteps[*a] = steps[i];
  }
  FailureOr<Value> y =
      ctx.create<SliceOp>(*x, {ctx.namedI64Array("starts", fullStarts),
                               ctx.namedI64Array("ends", fullEnds),
                               ctx.namedI64Array("steps", fullSteps)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// Gather and GatherElements: two operands and an axis.
template <typename OpTy> LogicalResult importAxisGather(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0), idx = ctx.requiredInput(1);
  FailureOr<int64_t> axis = ctx.intAttr("axis", 0);
  if (failed(x) || failed(idx) || failed(axis) ||
      failed(axis = ctx.normalizeAxis(*axis, ctx.inputType(0).getRank())))
    return failure();
  FailureOr<Value> y =
      ctx.create<OpTy>({*x, *idx}, {ctx.namedI64("axis", *axis)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importGatherND(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0), idx = ctx.requiredInput(1);
  FailureOr<int64_t> batch = ctx.intAttr("batch_dims", 0);
  if (failed(x) || failed(idx) || failed(batch))
    return failure();
  FailureOr<Value> y =
      ctx.create<GatherNdOp>({*x, *idx}, {ctx.namedI64("batch_dims", *batch)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// NonZero: the result's length is known only once the input's values are;
/// later ops read it in a later stage of the run.
LogicalResult importNonZero(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = ctx.create<NonZeroOp>({*x});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// ScatterElements and ScatterND: data, indices, updates; `reduction` (since
/// opset 16; max and min since 18).
template <typename OpTy> LogicalResult importScatter(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0), idx = ctx.requiredInput(1),
                   upd = ctx.requiredInput(2);
  FailureOr<std::string> reduction = ctx.stringAttr("reduction", "none");
  if (failed(x) || failed(idx) || failed(upd) || failed(reduction))
    return failure();
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, *reduction))
    return ctx.error() << "unknown reduction '" << *reduction << "'";
  SmallVector<NamedAttribute> attrs = {ctx.builder().getNamedAttr(
      "reduction", ctx.builder().getStringAttr(*reduction))};
  if constexpr (std::is_same_v<OpTy, ScatterElementsOp>) {
    FailureOr<int64_t> axis = ctx.intAttr("axis", 0);
    if (failed(axis) ||
        failed(axis = ctx.normalizeAxis(*axis, ctx.inputType(0).getRank())))
      return failure();
    attrs.push_back(ctx.namedI64("axis", *axis));
  }
  FailureOr<Value> y = ctx.create<OpTy>({*x, *idx, *upd}, attrs);
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// Tile(x, repeats) = reshape(expand(x as [1, d0, 1, d1, ...] to
/// [r0, d0, r1, d1, ...]), [r0 * d0, r1 * d1, ...]); with constant repeats
/// only the dims whose repeat is not 1 get the unit axis.
LogicalResult importTile(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x) || failed(ctx.requiredInput(1)))
    return failure();
  RankedTensorType in = ctx.inputType(0);
  int64_t rank = in.getRank();
  if (!ctx.constantInput(1)) {
    // Repeats known at run time only: expand [1, d0, 1, d1, ...] by
    // [r0, 1, r1, 1, ...], then reshape to shape_of(x) * repeats.
    SmallVector<int64_t> dims, source;
    SmallVector<VectorEntry> grow;
    for (int64_t d = 0; d < rank; ++d) {
      dims.append({1, kDyn});
      source.append({-1, d});
      grow.push_back({0, ctx.input(1), d});
      grow.push_back({1, Value(), 0});
    }
    FailureOr<Value> spread = ctx.reshapeMapped(*x, dims, source);
    FailureOr<Value> growShape = buildVector(ctx, grow);
    if (failed(spread) || failed(growShape))
      return failure();
    FailureOr<Value> grown = ctx.createWithType<ExpandOp>(
        in.clone(SmallVector<int64_t>(2 * rank, kDyn)), {*spread, *growShape});
    FailureOr<Value> shape = ctx.create<ShapeOfOp>(*x);
    FailureOr<Value> repeats =
        ctx.castTo(ctx.input(1), ctx.builder().getI64Type());
    if (failed(grown) || failed(shape) || failed(repeats) ||
        failed(shape = ctx.create<MulOp>({*shape, *repeats})))
      return failure();
    FailureOr<Value> y = ctx.createWithType<ReshapeOp>(
        in.clone(SmallVector<int64_t>(rank, kDyn)), {*grown, *shape});
    return failed(y) ? failure() : ctx.setOutput(0, *y);
  }
  FailureOr<SmallVector<int64_t>> repeats = ctx.constantInts(1, "repeats");
  if (failed(repeats))
    return failure();
  if (static_cast<int64_t>(repeats->size()) != rank)
    return ctx.error() << "repeats has " << repeats->size()
                       << " entries for a rank-" << rank << " input";
  if (llvm::all_of(*repeats, [](int64_t r) { return r == 1; }))
    return ctx.setOutput(0, *x);
  SmallVector<int64_t> dims, source, expanded, tiled, interleavedRepeats;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t r = (*repeats)[d], size = in.getDimSize(d);
    if (r < 0)
      return ctx.error() << "repeats must be non-negative";
    int64_t total = kDyn;
    if (size != kDyn && llvm::MulOverflow(size, r, total))
      return ctx.error() << "dimension " << d << " (" << size << ") repeated "
                         << r << " times overflows a 64-bit size";
    tiled.push_back(total);
    // Only repeated dims get the extra unit axis: the spread tensor stays
    // within the runtime's rank limit for the rank-5 tiles exporters write.
    if (r == 1) {
      dims.push_back(kDyn);
      source.push_back(d);
      expanded.push_back(size);
      interleavedRepeats.push_back(1);
      continue;
    }
    dims.append({1, kDyn});
    source.append({-1, d});
    expanded.append({r, size});
    interleavedRepeats.append({r, 1});
  }
  FailureOr<Value> spread = ctx.reshapeMapped(*x, dims, source);
  if (failed(spread))
    return failure();
  FailureOr<Value> grown =
      ShapedType::isStaticShape(expanded)
          ? ctx.createWithType<ExpandOp>(in.clone(expanded), *spread)
          : ctx.createWithType<ExpandOp>(
                in.clone(expanded),
                {*spread, ctx.constantI64(interleavedRepeats)});
  if (failed(grown))
    return failure();
  FailureOr<Value> y;
  if (llvm::count(tiled, kDyn) <= 1) {
    y = ctx.reshapeTo(*grown, tiled);
  } else {
    // The tiled sizes at run time: shape_of(x) * repeats.
    FailureOr<Value> shape = ctx.create<ShapeOfOp>(*x);
    if (failed(shape) ||
        failed(shape = ctx.create<MulOp>({*shape, ctx.constantI64(*repeats)})))
      return failure();
    y = ctx.createWithType<ReshapeOp>(in.clone(tiled), {*grown, *shape});
  }
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// OneHot(indices, depth, [off, on]) along `axis`: where(indices (wrapped
/// when negative) == range(depth), on, off).
LogicalResult importOneHot(NodeContext &ctx) {
  FailureOr<Value> indices = ctx.requiredInput(0);
  FailureOr<Value> values = ctx.requiredInput(2);
  FailureOr<int64_t> axis = ctx.intAttr("axis", -1);
  if (failed(indices) || failed(values) || failed(axis))
    return failure();
  // depth may have any numeric type; it fixes the output shape, so it must
  // be a constant.
  DenseElementsAttr depthAttr = ctx.constantInput(1);
  if (!depthAttr || depthAttr.getNumElements() != 1)
    return ctx.error() << "depth (input 1) must be a constant holding one "
                          "value";
  int64_t depth;
  if (isa<FloatType>(depthAttr.getElementType())) {
    // Truncated, as ONNX does; outside int64 (or NaN) it is no size at all.
    double value = (*depthAttr.getValues<APFloat>().begin()).convertToDouble();
    if (!(value >= 1.0 && value < 0x1p63))
      return ctx.error() << "depth must be a positive size, got " << value;
    depth = static_cast<int64_t>(value);
  } else {
    depth = (*depthAttr.getValues<APInt>().begin()).getSExtValue();
  }
  if (depth <= 0)
    return ctx.error() << "depth must be positive, got " << depth;
  int64_t rank = ctx.inputType(0).getRank() + 1;
  if (failed(axis = ctx.normalizeAxis(*axis, rank)))
    return failure();
  Type i64 = ctx.builder().getI64Type();
  FailureOr<Value> idx = ctx.castTo(*indices, i64);
  if (failed(idx))
    return failure();
  FailureOr<Value> negative = ctx.create<LessOp>({*idx, ctx.scalar(i64, 0)});
  FailureOr<Value> wrapped =
      failed(negative) ? negative
                       : ctx.create<AddOp>({*idx, ctx.scalar(i64, depth)});
  if (failed(wrapped) ||
      failed(idx = ctx.create<WhereOp>({*negative, *wrapped, *idx})) ||
      failed(idx = ctx.unsqueeze(*idx, {*axis})))
    return failure();
  // The classes [0, depth) along `axis` (a constant once folded, unless
  // depth is too large to hold as one).
  SmallVector<int64_t> classShape(rank, 1);
  classShape[*axis] = depth;
  FailureOr<Value> range = ctx.createWithType<RangeOp>(
      RankedTensorType::get({depth}, i64),
      {ctx.scalar(i64, 0), ctx.scalar(i64, depth), ctx.scalar(i64, 1)});
  if (failed(range) || failed(range = ctx.reshapeTo(*range, classShape)))
    return failure();
  FailureOr<Value> hit = ctx.create<EqualOp>({*idx, *range});
  auto pick = [&](int64_t i) -> FailureOr<Value> {
    return ctx.create<GatherOp>({*values, ctx.scalar(i64, i)},
                                {ctx.namedI64("axis", 0)});
  };
  FailureOr<Value> off = pick(0), on = pick(1);
  if (failed(hit) || failed(off) || failed(on))
    return failure();
  FailureOr<Value> y = ctx.create<WhereOp>({*hit, *on, *off});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importUnsqueeze(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<SmallVector<int64_t>> axes = ctx.constantInts(1, "axes");
  if (failed(x) || failed(axes))
    return failure();
  int64_t rank = ctx.inputType(0).getRank() + axes->size();
  for (int64_t &a : *axes) {
    FailureOr<int64_t> n = ctx.normalizeAxis(a, rank, "unsqueeze axis");
    if (failed(n))
      return failure();
    a = *n;
  }
  llvm::sort(*axes);
  if (std::adjacent_find(axes->begin(), axes->end()) != axes->end())
    return ctx.error() << "axes contain a duplicate";
  FailureOr<Value> y = ctx.unsqueeze(*x, *axes);
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importSqueeze(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType in = ctx.inputType(0);
  SmallVector<int64_t> axes;
  if (ctx.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> a = ctx.constantInts(1, "axes");
    if (failed(a))
      return failure();
    for (int64_t v : *a) {
      FailureOr<int64_t> n = ctx.normalizeAxis(v, in.getRank(), "squeeze axis");
      if (failed(n))
        return failure();
      if (in.getDimSize(*n) != 1 && in.getDimSize(*n) != kDyn)
        return ctx.error() << "cannot squeeze axis " << *n << " of size "
                           << in.getDimSize(*n);
      axes.push_back(*n);
    }
  } else {
    for (int64_t d = 0; d < in.getRank(); ++d) {
      if (in.getDimSize(d) == kDyn)
        return ctx.error() << "squeezing every size-1 axis needs static "
                              "sizes; axis "
                           << d << " is dynamic";
      if (in.getDimSize(d) == 1)
        axes.push_back(d);
    }
  }
  SmallVector<int64_t> dims, source;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (!llvm::is_contained(axes, d)) {
      dims.push_back(kDyn);
      source.push_back(d);
    }
  FailureOr<Value> y = ctx.reshapeMapped(*x, dims, source);
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importFlatten(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> axis = ctx.intAttr("axis", 1);
  if (failed(x) || failed(axis))
    return failure();
  RankedTensorType in = ctx.inputType(0);
  int64_t rank = in.getRank(), a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a > rank)
    return ctx.error() << "axis " << *axis << " is out of range for rank "
                       << rank;
  auto product = [&](int64_t from, int64_t to) {
    int64_t p = 1;
    for (int64_t d = from; d < to; ++d) {
      if (in.isDynamicDim(d))
        return kDyn;
      p *= in.getDimSize(d);
    }
    return p;
  };
  SmallVector<int64_t> shape = {product(0, a), product(a, rank)};
  if (llvm::count(shape, kDyn) <= 1) {
    FailureOr<Value> y = ctx.reshapeTo(*x, shape);
    return failed(y) ? failure() : ctx.setOutput(0, *y);
  }
  // Both sizes dynamic: the inner one is the product of the trailing dims
  // at run time, the outer one is inferred (-1).
  FailureOr<Value> dims = ctx.create<ShapeOfOp>(*x);
  if (failed(dims))
    return failure();
  Value inner = ctx.constantI64({1});
  for (int64_t d = a; d < rank; ++d) {
    FailureOr<Value> dim =
        ctx.create<SliceOp>(*dims, {ctx.namedI64Array("starts", {d}),
                                    ctx.namedI64Array("ends", {d + 1}),
                                    ctx.namedI64Array("steps", {1})});
    FailureOr<Value> next =
        failed(dim) ? dim : ctx.create<MulOp>({inner, *dim});
    if (failed(next))
      return failure();
    inner = *next;
  }
  FailureOr<Value> target = ctx.create<ConcatOp>({ctx.constantI64({-1}), inner},
                                                 {ctx.namedI64("axis", 0)});
  FailureOr<Value> y =
      failed(target)
          ? target
          : ctx.createWithType<ReshapeOp>(in.clone(shape), {*x, *target});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importExpand(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0), shape = ctx.requiredInput(1);
  if (failed(x) || failed(shape))
    return failure();
  RankedTensorType in = ctx.inputType(0);
  RankedTensorType shapeType = ctx.inputType(1);
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return ctx.error() << "shape must be a 1-D tensor of static length";
  if (failed(ctx.checkShapeOperandLength(shapeType.getDimSize(0), "shape")))
    return failure();
  int64_t rank = std::max(in.getRank(), shapeType.getDimSize(0));
  if (DenseElementsAttr c = ctx.constantInput(1)) {
    SmallVector<int64_t> target;
    for (const APInt &v : c.getValues<APInt>())
      target.push_back(v.getSExtValue());
    SmallVector<int64_t> out;
    if (failed(broadcastShapes({in.getShape(), target}, out)))
      return ctx.error() << "cannot expand " << formatShape(in.getShape())
                         << " to " << formatShape(target);
    if (ShapedType::isStaticShape(out)) {
      FailureOr<Value> y = ctx.createWithType<ExpandOp>(in.clone(out), *x);
      return failed(y) ? failure() : ctx.setOutput(0, *y);
    }
    FailureOr<Value> y =
        ctx.createWithType<ExpandOp>(in.clone(out), {*x, *shape});
    return failed(y) ? failure() : ctx.setOutput(0, *y);
  }
  FailureOr<Value> y = ctx.createWithType<ExpandOp>(
      in.clone(SmallVector<int64_t>(rank, kDyn)), {*x, *shape});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importShape(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> start = ctx.intAttr("start", 0);
  if (failed(x) || failed(start))
    return failure();
  int64_t rank = ctx.inputType(0).getRank();
  FailureOr<int64_t> end = ctx.intAttr("end", rank);
  if (failed(end))
    return failure();
  FailureOr<Value> s = ctx.create<ShapeOfOp>(*x);
  if (failed(s))
    return failure();
  if (*start != 0 || *end != rank) {
    // Opset 15 start/end: negative counts from the end, both clamped.
    auto clampIndex = [&](int64_t v) {
      return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank);
    };
    s = ctx.create<SliceOp>(*s,
                            {ctx.namedI64Array("starts", {clampIndex(*start)}),
                             ctx.namedI64Array("ends", {clampIndex(*end)}),
                             ctx.namedI64Array("steps", {1})});
    if (failed(s))
      return failure();
  }
  return ctx.setOutput(0, *s);
}

LogicalResult importConstantOfShape(NodeContext &ctx) {
  FailureOr<Value> shape = ctx.requiredInput(0);
  if (failed(shape))
    return failure();
  DenseElementsAttr fill = DenseElementsAttr::get(
      RankedTensorType::get({1}, ctx.builder().getF32Type()), 0.0f);
  if (const onnx::AttributeProto *a = ctx.attr("value")) {
    if (a->type() != onnx::AttributeProto::TENSOR)
      return ctx.error() << "attribute 'value' must be a tensor";
    FailureOr<DenseElementsAttr> v = ctx.decodeTensor(a->t());
    if (failed(v))
      return failure();
    if (v->getNumElements() != 1)
      return ctx.error() << "attribute 'value' must hold one element";
    fill = *v;
  }
  Type element = fill.getElementType();
  RankedTensorType shapeType = ctx.inputType(0);
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return ctx.error() << "shape must be a 1-D tensor of static length";
  if (failed(ctx.checkShapeOperandLength(shapeType.getDimSize(0), "shape")))
    return failure();
  if (DenseElementsAttr c = ctx.constantInput(0)) {
    SmallVector<int64_t> dims;
    for (const APInt &v : c.getValues<APInt>())
      dims.push_back(v.getSExtValue());
    if (llvm::any_of(dims, [](int64_t d) { return d < 0; }) ||
        !staticElementCount(dims))
      return ctx.error() << "shape " << formatShape(dims)
                         << " is no tensor's shape";
    auto type = RankedTensorType::get(dims, element);
    return ctx.setOutput(0, ctx.constant(DenseElementsAttr::get(
                                type, fill.getValues<Attribute>()[0])));
  }
  Value scalar = ctx.constant(fill.reshape(RankedTensorType::get({}, element)));
  FailureOr<Value> y = ctx.createWithType<ExpandOp>(
      RankedTensorType::get(SmallVector<int64_t>(shapeType.getDimSize(0), kDyn),
                            element),
      {scalar, *shape});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importConstant(NodeContext &ctx) {
  if (ctx.node().attribute_size() != 1)
    return ctx.error() << "needs exactly one value attribute";
  const onnx::AttributeProto &a = ctx.node().attribute(0);
  Builder &b = ctx.builder();
  std::string name = ctx.node().output(0);
  if (a.name() == "value") {
    if (a.type() != onnx::AttributeProto::TENSOR)
      return ctx.error() << "attribute 'value' must be a tensor";
    FailureOr<Value> v = ctx.importTensor(a.t(), name);
    return failed(v) ? failure() : ctx.setOutput(0, *v);
  }
  if (a.name() == "value_float" && a.type() == onnx::AttributeProto::FLOAT)
    return ctx.setOutput(
        0, ctx.constant(DenseElementsAttr::get(
               RankedTensorType::get({}, b.getF32Type()), a.f())));
  if (a.name() == "value_int" && a.type() == onnx::AttributeProto::INT)
    return ctx.setOutput(0, ctx.constant(DenseElementsAttr::get(
                                RankedTensorType::get({}, b.getI64Type()),
                                static_cast<int64_t>(a.i()))));
  if (a.name() == "value_floats" && a.type() == onnx::AttributeProto::FLOATS) {
    SmallVector<float> v(a.floats().begin(), a.floats().end());
    return ctx.setOutput(
        0, ctx.constant(DenseElementsAttr::get(
               RankedTensorType::get({static_cast<int64_t>(v.size())},
                                     b.getF32Type()),
               ArrayRef<float>(v))));
  }
  if (a.name() == "value_ints" && a.type() == onnx::AttributeProto::INTS) {
    SmallVector<int64_t> v(a.ints().begin(), a.ints().end());
    return ctx.setOutput(0, ctx.constantI64(v));
  }
  return ctx.error() << "attribute '" << a.name()
                     << "' (strings, sparse tensors) is not supported, or it "
                        "has the wrong type";
}

LogicalResult importRange(NodeContext &ctx) {
  FailureOr<Value> start = ctx.requiredInput(0), limit = ctx.requiredInput(1),
                   delta = ctx.requiredInput(2);
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  DenseElementsAttr s = ctx.constantInput(0), l = ctx.constantInput(1),
                    d = ctx.constantInput(2);
  Type element = ctx.inputType(0).getElementType();
  auto scalarOf = [&](DenseElementsAttr c) {
    return c && c.getNumElements() == 1 && c.getElementType() == element;
  };
  // Otherwise kestrel.range's verifier names what is wrong.
  if (scalarOf(s) && scalarOf(l) && scalarOf(d)) {
    // Length known at import: give the result a static type so it folds.
    std::optional<int64_t> n;
    bool zeroDelta;
    if (isa<FloatType>(element)) {
      double dv = d.getSplatValue<APFloat>().convertToDouble();
      zeroDelta = dv == 0;
      n = rangeLength(s.getSplatValue<APFloat>().convertToDouble(),
                      l.getSplatValue<APFloat>().convertToDouble(), dv);
    } else {
      int64_t dv = d.getSplatValue<APInt>().getSExtValue();
      zeroDelta = dv == 0;
      n = rangeLength(s.getSplatValue<APInt>().getSExtValue(),
                      l.getSplatValue<APInt>().getSExtValue(), dv);
    }
    if (zeroDelta)
      return ctx.error() << "delta is zero";
    if (!n)
      return ctx.error() << "start, limit and delta give no length (NaN or "
                            "more than 2^63 elements)";
    FailureOr<Value> y = ctx.createWithType<RangeOp>(
        RankedTensorType::get({*n}, element), {*start, *limit, *delta});
    return failed(y) ? failure() : ctx.setOutput(0, *y);
  }
  FailureOr<Value> y = ctx.create<RangeOp>({*start, *limit, *delta});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importTrilu(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  FailureOr<int64_t> upper = ctx.intAttr("upper", 1);
  if (failed(x) || failed(upper))
    return failure();
  int64_t k = 0;
  if (ctx.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> kv = ctx.constantInts(1, "k");
    if (failed(kv))
      return failure();
    k = kv->front();
  }
  RankedTensorType in = ctx.inputType(0);
  int64_t rank = in.getRank();
  if (rank < 2)
    return ctx.error() << "input must have rank 2 or more";
  Type i64 = ctx.builder().getI64Type();
  // keep(i, j) = upper ? j - i >= k : j - i <= k, built from two ranges so
  // it also works for dynamic sizes (and folds for static ones).
  auto range = [&](int64_t dim) -> FailureOr<Value> {
    FailureOr<Value> n = ctx.dimScalar(*x, dim);
    if (failed(n))
      return failure();
    int64_t size = in.getDimSize(dim);
    return ctx.createWithType<RangeOp>(
        RankedTensorType::get({size}, i64),
        {ctx.scalar(i64, 0), *n, ctx.scalar(i64, 1)});
  };
  FailureOr<Value> rows = range(rank - 2), cols = range(rank - 1);
  if (failed(rows) || failed(cols) ||
      failed(rows = ctx.reshapeTo(*rows, {in.getDimSize(rank - 2), 1})))
    return failure();
  FailureOr<Value> diff = ctx.create<SubOp>({*cols, *rows});
  if (failed(diff))
    return failure();
  Value kv = ctx.scalar(i64, k);
  FailureOr<Value> keep = *upper ? ctx.create<GreaterEqualOp>({*diff, kv})
                                 : ctx.create<LessEqualOp>({*diff, kv});
  if (failed(keep))
    return failure();
  FailureOr<Value> y =
      ctx.create<WhereOp>({*keep, *x, ctx.scalar(in.getElementType(), 0)});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

} // namespace

void registerTensorOps(std::vector<OpEntry> &ops) {
  auto add = [&](const char *op, ImportFn fn, int64_t since = 13,
                 const char *notes = "") {
    ops.push_back({"", op, since, fn, notes});
  };
  add("Reshape", importReshape);
  add("Transpose", importTranspose);
  add("Concat", importConcat);
  add("Split", importSplit, 13, "constant split sizes");
  add("Slice", importSlice, 13, "constant axes");
  add("If", importIf, 13,
      "a condition that is constant at compile time: the branch taken is "
      "imported inline");
  add("Resize", importResize, 11,
      "constant scales or sizes (axes, keep_aspect_ratio_policy); nearest "
      "(every nearest_mode), linear and cubic (exclude_outside); every "
      "coordinate_transformation_mode but tf_half_pixel_for_nn; not "
      "antialias");
  add("Pad", importPad, 13,
      "constant pads and axes; constant, reflect, edge and wrap modes "
      "(reflect periodic for pads wider than the dimension)");
  add("Gather", importAxisGather<GatherOp>);
  add("GatherElements", importAxisGather<GatherElementsOp>);
  add("GatherND", importGatherND);
  add("NonZero", importNonZero, 13,
      "the ops that read its result run in a later stage of the run, planned "
      "once its count is known (on CUDA: read back, so no CUDA graph); the "
      "result takes rank x numel x 8 bytes while its stage runs; sizes the "
      "file declares for what the count decides are not taken");
  add("ScatterElements", importScatter<ScatterElementsOp>, 13,
      "reduction none/add/mul/max/min, applied in index order");
  add("ScatterND", importScatter<ScatterNdOp>, 13,
      "reduction none/add/mul/max/min, applied in index order");
  add("Tile", importTile);
  add("OneHot", importOneHot, 11, "constant depth");
  add("Unsqueeze", importUnsqueeze, 13, "constant axes");
  add("Squeeze", importSqueeze, 13, "constant axes");
  add("Expand", importExpand);
  add("Flatten", importFlatten);
  add("Shape", importShape);
  add("ConstantOfShape", importConstantOfShape, 9);
  add("Constant", importConstant, 13, "no string or sparse values");
  add("Range", importRange, 11);
  add("Trilu", importTrilu, 14, "constant k");
}

} // namespace kestrel::onnx_frontend
