//===- MathOps.cpp - Import ONNX elementwise math, logic and casts --------===//
//
// Unary and broadcasting binary elementwise ops, comparisons, logic, Where,
// Cast, Clip, Identity and the activations.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/NodeContext.h"

using namespace mlir;

namespace kestrel::onnx_frontend {
namespace {

template <typename OpTy> LogicalResult importUnary(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = ctx.create<OpTy>(*x);
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

template <typename OpTy> LogicalResult importBinary(NodeContext &ctx) {
  FailureOr<Value> a = ctx.requiredInput(0), b = ctx.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> y = ctx.create<OpTy>({*a, *b});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// Max, Min and Sum take one or more inputs.
template <typename OpTy> LogicalResult importVariadic(NodeContext &ctx) {
  FailureOr<Value> acc = ctx.requiredInput(0);
  if (failed(acc))
    return failure();
  for (unsigned i = 1; i < ctx.numInputs(); ++i) {
    FailureOr<Value> next = ctx.requiredInput(i);
    if (failed(next) || failed(acc = ctx.create<OpTy>({*acc, *next})))
      return failure();
  }
  return ctx.setOutput(0, *acc);
}

LogicalResult importPow(NodeContext &ctx) {
  FailureOr<Value> a = ctx.requiredInput(0), b = ctx.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  // ONNX lets the exponent have its own type; Kestrel computes in the base's.
  FailureOr<Value> e =
      ctx.castTo(*b, cast<RankedTensorType>(a->getType()).getElementType());
  if (failed(e))
    return failure();
  FailureOr<Value> y = ctx.create<PowOp>({*a, *e});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

/// IsNaN(x) is x != x.
LogicalResult importIsNaN(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = ctx.create<NotEqualOp>({*x, *x});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importIdentity(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  return failed(x) ? failure() : ctx.setOutput(0, *x);
}

LogicalResult importGelu(NodeContext &ctx) {
  FailureOr<std::string> approx = ctx.stringAttr("approximate", "none");
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(approx) || failed(x))
    return failure();
  if (*approx != "none" && *approx != "tanh")
    return ctx.error() << "attribute 'approximate' must be \"none\" or "
                          "\"tanh\", got \""
                       << *approx << "\"";
  FailureOr<Value> y =
      ctx.create<GeluOp>(*x, {ctx.namedBool("approximate", *approx == "tanh")});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importWhere(NodeContext &ctx) {
  FailureOr<Value> c = ctx.requiredInput(0), x = ctx.requiredInput(1),
                   y = ctx.requiredInput(2);
  if (failed(c) || failed(x) || failed(y))
    return failure();
  FailureOr<Value> r = ctx.create<WhereOp>({*c, *x, *y});
  return failed(r) ? failure() : ctx.setOutput(0, *r);
}

LogicalResult importCast(NodeContext &ctx) {
  FailureOr<int64_t> to = ctx.intAttr("to", std::nullopt);
  FailureOr<int64_t> saturate = ctx.intAttr("saturate", 1);
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(to) || failed(saturate) || failed(x))
    return failure();
  Type element = convertElementType(ctx.context(), *to);
  if (!element)
    return ctx.error() << "cast to " << onnxTypeName(*to)
                       << " is not supported by Kestrel";
  if (!*saturate && isa<Float8E4M3FNType>(element))
    return ctx.error() << "saturate = 0 (overflow to NaN) is not supported; "
                          "Kestrel's f8E4M3FN casts saturate";
  FailureOr<Value> y = ctx.castTo(*x, element);
  return failed(y) ? failure() : ctx.setOutput(0, *y);
}

LogicalResult importClip(NodeContext &ctx) {
  FailureOr<Value> x = ctx.requiredInput(0);
  if (failed(x))
    return failure();
  Value y = *x;
  if (Value lo = ctx.input(1)) {
    FailureOr<Value> r = ctx.create<MaxOp>({y, lo});
    if (failed(r))
      return failure();
    y = *r;
  }
  if (Value hi = ctx.input(2)) {
    FailureOr<Value> r = ctx.create<MinOp>({y, hi});
    if (failed(r))
      return failure();
    y = *r;
  }
  return ctx.setOutput(0, y);
}

} // namespace

void registerMathOps(std::vector<OpEntry> &ops) {
  auto add = [&](const char *op, ImportFn fn, int64_t since = 13,
                 const char *notes = "") {
    ops.push_back({"", op, since, fn, notes});
  };
  add("Abs", importUnary<AbsOp>);
  add("Neg", importUnary<NegOp>);
  add("Relu", importUnary<ReluOp>);
  add("Sqrt", importUnary<SqrtOp>);
  add("Reciprocal", importUnary<ReciprocalOp>);
  add("Exp", importUnary<ExpOp>);
  add("Log", importUnary<LogOp>);
  add("Erf", importUnary<ErfOp>);
  add("Tanh", importUnary<TanhOp>);
  add("Sin", importUnary<SinOp>);
  add("Cos", importUnary<CosOp>);
  add("Sigmoid", importUnary<SigmoidOp>);
  add("Not", importUnary<NotOp>);
  add("Gelu", importGelu, 20);
  add("Add", importBinary<AddOp>);
  add("Sub", importBinary<SubOp>);
  add("Mul", importBinary<MulOp>);
  add("Div", importBinary<DivOp>, 13, "integer division truncates toward zero");
  add("Pow", importPow, 13, "the exponent is cast to the base's type");
  add("Max", importVariadic<MaxOp>);
  add("Min", importVariadic<MinOp>);
  add("Sum", importVariadic<AddOp>);
  add("Equal", importBinary<EqualOp>);
  add("Less", importBinary<LessOp>);
  add("LessOrEqual", importBinary<LessEqualOp>);
  add("Greater", importBinary<GreaterOp>);
  add("GreaterOrEqual", importBinary<GreaterEqualOp>);
  add("And", importBinary<AndOp>);
  add("Or", importBinary<OrOp>);
  add("Xor", importBinary<XorOp>);
  add("Where", importWhere);
  add("Cast", importCast, 13,
      "to f32, f16, bf16, f8E4M3FN (saturating), "
      "i64, i32, bool");
  add("Clip", importClip);
  add("Identity", importIdentity, 13, "tensors only");
  add("IsNaN", importIsNaN, 13, "as x != x");
}

} // namespace kestrel::onnx_frontend
