//===- TensorOps.cpp - Import ONNX shape and data movement ops ------------===//
//
// Reshape, Transpose, Concat, Split, Slice, Gather, (Un)Squeeze, Expand,
// Flatten, Shape, ConstantOfShape, Constant, Range, Trilu.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/NodeContext.h"

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
      known = e == kDyn || known == kDyn ? kDyn : known * e;
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
  if (*allowzero)
    return ctx.error() << "allowzero = 1 with a shape computed at run time "
                          "is not supported";
  SmallVector<int64_t> dims(shapeType.getDimSize(0), kDyn);
  if (DenseElementsAttr c = ctx.constantInput(1))
    for (auto [i, v] : llvm::enumerate(c.getValues<APInt>())) {
      int64_t e = v.getSExtValue();
      dims[i] = e > 0 ? e : (e == 0 ? in.getDimSize(i) : kDyn);
    }
  FailureOr<Value> y =
      ctx.createWithType<ReshapeOp>(in.clone(dims), {*x, *shape});
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

LogicalResult importSlice(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = ctx.inputType(0).getRank();
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

LogicalResult importGather(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0), idx = ctx.requiredInput(1);
  FailureOr<int64_t> axis = ctx.intAttr("axis", 0);
  if (failed(x) || failed(idx) || failed(axis) ||
      failed(axis = ctx.normalizeAxis(*axis, ctx.inputType(0).getRank())))
    return failure();
  FailureOr<Value> y =
      ctx.create<GatherOp>({*x, *idx}, {ctx.namedI64("axis", *axis)});
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
  if (llvm::count(shape, kDyn) > 1)
    return ctx.error() << "flattening " << formatShape(in.getShape())
                       << " at axis " << a
                       << " needs both sizes at run time, which is not "
                          "supported";
  FailureOr<Value> y = ctx.reshapeTo(*x, shape);
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
  if (DenseElementsAttr c = ctx.constantInput(0)) {
    SmallVector<int64_t> dims;
    for (const APInt &v : c.getValues<APInt>())
      dims.push_back(v.getSExtValue());
    auto type = RankedTensorType::get(dims, element);
    return ctx.setOutput(0, ctx.constant(DenseElementsAttr::get(
                                type, fill.getValues<Attribute>()[0])));
  }
  RankedTensorType shapeType = ctx.inputType(0);
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return ctx.error() << "shape must be a 1-D tensor of static length";
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
  if (s && l && d) {
    // Length known at import: give the result a static type so it folds.
    double sv, lv, dv;
    if (isa<FloatType>(element)) {
      sv = s.getSplatValue<APFloat>().convertToDouble();
      lv = l.getSplatValue<APFloat>().convertToDouble();
      dv = d.getSplatValue<APFloat>().convertToDouble();
    } else {
      sv = s.getSplatValue<APInt>().getSExtValue();
      lv = l.getSplatValue<APInt>().getSExtValue();
      dv = d.getSplatValue<APInt>().getSExtValue();
    }
    if (dv == 0)
      return ctx.error() << "delta is zero";
    int64_t n =
        std::max<int64_t>(0, static_cast<int64_t>(std::ceil((lv - sv) / dv)));
    FailureOr<Value> y = ctx.createWithType<RangeOp>(
        RankedTensorType::get({n}, element), {*start, *limit, *delta});
    return failed(y) ? failure() : ctx.setOutput(0, *y);
  }
  FailureOr<Value> y = ctx.create<RangeOp>({*start, *limit, *delta});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// A scalar i64 tensor holding dimension `dim` of `value`.
FailureOr<Value> dimScalar(NodeContext &ctx, Value value, int64_t dim) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.isDynamicDim(dim))
    return ctx.constant(DenseElementsAttr::get(
        RankedTensorType::get({}, ctx.builder().getI64Type()),
        type.getDimSize(dim)));
  FailureOr<Value> shape = ctx.create<ShapeOfOp>(value);
  if (failed(shape))
    return failure();
  Value index = ctx.constant(DenseElementsAttr::get(
      RankedTensorType::get({}, ctx.builder().getI64Type()), dim));
  return ctx.create<GatherOp>({*shape, index}, {ctx.namedI64("axis", 0)});
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
    FailureOr<Value> n = dimScalar(ctx, *x, dim);
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
  add("Reshape", importReshape, 13, "allowzero = 1 needs a constant shape");
  add("Transpose", importTranspose);
  add("Concat", importConcat);
  add("Split", importSplit, 13, "constant split sizes");
  add("Slice", importSlice, 13, "constant starts, ends, axes and steps");
  add("Gather", importGather);
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
