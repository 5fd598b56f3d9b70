//===- MathOps.cpp - Import ONNX elementwise math, logic and casts --------===//
//
// Unary and broadcasting binary elementwise ops, comparisons, logic, Where,
// Cast, Clip, Identity and the activations.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/NodeContext.h"

#include <cmath>

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

/// Mod: fmod = 0 is the floored remainder (the divisor's sign, floats
/// included, as numpy's), fmod = 1 C's truncated fmod.
LogicalResult importMod(NodeContext &ctx) {
  FailureOr<Value> a = ctx.requiredInput(0), b = ctx.requiredInput(1);
  FailureOr<int64_t> fmod = ctx.intAttr("fmod", 0);
  if (failed(a) || failed(b) || failed(fmod))
    return failure();
  if (*fmod != 0 && *fmod != 1)
    return ctx.error() << "fmod must be 0 or 1, got " << *fmod;
  FailureOr<Value> y =
      *fmod ? ctx.create<FModOp>({*a, *b}) : ctx.create<ModOp>({*a, *b});
  return failed(y) ? failure() : ctx.setOutput(0, *y);
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

/// Builds the activations ONNX defines as formulas from kestrel's
/// elementwise ops (kestrel-fuse-elementwise makes each one kernel), in x's
/// element type; `fail` turns into the node's failure.
class Activation {
public:
  explicit Activation(NodeContext &ctx) : ctx(ctx) {}

  /// Input 0, or failure.
  FailureOr<Value> x() { return ctx.requiredInput(0); }
  /// A float attribute with its default.
  FailureOr<float> attr(StringRef name, float dflt) {
    return ctx.floatAttr(name, dflt);
  }
  Value scalar(Value like, double v) {
    if (!like)
      return nullptr;
    Type element = cast<RankedTensorType>(like.getType()).getElementType();
    // An integer x (the ops that take one) needs the formula's constants
    // to be integers of its type: alpha = 0.2 on an int32, or 1 on a bool,
    // has no value there.
    if (auto integer = dyn_cast<IntegerType>(element)) {
      unsigned bits = integer.getWidth();
      bool fits = v == std::trunc(v) &&
                  (bits == 1 ? (v == 0 || v == 1)
                             : v >= -std::ldexp(1.0, int(bits) - 1) &&
                                   v < std::ldexp(1.0, int(bits) - 1));
      if (!fits) {
        ctx.error() << "the formula's constant " << v
                    << " is not a value of the input's element type "
                    << element;
        failedAny = true;
        return nullptr;
      }
      if (bits == 1)
        return ctx.constant(
            DenseElementsAttr::get(RankedTensorType::get({}, element), v != 0));
    }
    return ctx.scalar(element, v);
  }
  // After a failure (a null operand) nothing more is built.
  template <typename OpTy> Value op(Value a) {
    return a ? wrap(ctx.create<OpTy>(a)) : nullptr;
  }
  template <typename OpTy> Value op(Value a, Value b) {
    return a && b ? wrap(ctx.create<OpTy>({a, b})) : nullptr;
  }
  Value where(Value c, Value a, Value b) {
    return c && a && b ? wrap(ctx.create<WhereOp>({c, a, b})) : nullptr;
  }
  /// max(x, 0) + log(1 + exp(-|x|)): log(1 + exp(x)) without overflow.
  Value softplus(Value v) {
    Value e = op<ExpOp>(op<NegOp>(op<AbsOp>(v)));
    return op<AddOp>(op<MaxOp>(v, scalar(v, 0)),
                     op<LogOp>(op<AddOp>(e, scalar(v, 1))));
  }
  /// max(0, min(1, alpha * v + beta)).
  Value hardSigmoid(Value v, double alpha, double beta) {
    Value lin = op<AddOp>(op<MulOp>(v, scalar(v, alpha)), scalar(v, beta));
    return op<MaxOp>(op<MinOp>(lin, scalar(v, 1)), scalar(v, 0));
  }
  LogicalResult done(Value y) {
    return failedAny || !y ? failure() : ctx.setOutput(0, y);
  }

private:
  Value wrap(FailureOr<Value> v) {
    if (failed(v)) {
      failedAny = true;
      return nullptr;
    }
    return *v;
  }
  NodeContext &ctx;
  bool failedAny = false;
};

/// LeakyRelu, PRelu, Elu, Selu, Celu, ThresholdedRelu, HardSigmoid,
/// HardSwish, Softplus, Softsign, Mish, Shrink, Sign: formulas of ONNX's
/// definitions.
LogicalResult importLeakyRelu(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  FailureOr<float> alpha = a.attr("alpha", 0.01f);
  if (failed(x) || failed(alpha))
    return failure();
  Value neg = a.op<LessOp>(*x, a.scalar(*x, 0));
  return a.done(a.where(neg, a.op<MulOp>(*x, a.scalar(*x, *alpha)), *x));
}

LogicalResult importPRelu(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x(), slope = ctx.requiredInput(1);
  if (failed(x) || failed(slope))
    return failure();
  Value neg = a.op<LessOp>(*x, a.scalar(*x, 0));
  return a.done(a.where(neg, a.op<MulOp>(*x, *slope), *x));
}

/// alpha * (exp(x) - 1) below zero (Elu; Selu and Celu scale it).
Value expMinusOne(Activation &a, Value x, double alpha) {
  return a.op<MulOp>(a.op<SubOp>(a.op<ExpOp>(x), a.scalar(x, 1)),
                     a.scalar(x, alpha));
}

LogicalResult importElu(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  FailureOr<float> alpha = a.attr("alpha", 1.0f);
  if (failed(x) || failed(alpha))
    return failure();
  Value neg = a.op<LessOp>(*x, a.scalar(*x, 0));
  return a.done(a.where(neg, expMinusOne(a, *x, *alpha), *x));
}

LogicalResult importSelu(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  FailureOr<float> alpha = a.attr("alpha", 1.67326319217681884765625f);
  FailureOr<float> gamma = a.attr("gamma", 1.05070102214813232421875f);
  if (failed(x) || failed(alpha) || failed(gamma))
    return failure();
  Value nonPositive = a.op<LessEqualOp>(*x, a.scalar(*x, 0));
  Value y = a.where(nonPositive, expMinusOne(a, *x, *alpha), *x);
  return a.done(a.op<MulOp>(y, a.scalar(*x, *gamma)));
}

LogicalResult importCelu(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  FailureOr<float> alpha = a.attr("alpha", 1.0f);
  if (failed(x) || failed(alpha))
    return failure();
  if (*alpha == 0.0f)
    return ctx.error() << "alpha must not be 0";
  // max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
  Value scaled = a.op<DivOp>(*x, a.scalar(*x, *alpha));
  Value negative = a.op<MinOp>(expMinusOne(a, scaled, *alpha), a.scalar(*x, 0));
  return a.done(a.op<AddOp>(a.op<MaxOp>(*x, a.scalar(*x, 0)), negative));
}

LogicalResult importThresholdedRelu(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  FailureOr<float> alpha = a.attr("alpha", 1.0f);
  if (failed(x) || failed(alpha))
    return failure();
  Value above = a.op<GreaterOp>(*x, a.scalar(*x, *alpha));
  return a.done(a.where(above, *x, a.scalar(*x, 0)));
}

LogicalResult importHardSigmoid(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  FailureOr<float> alpha = a.attr("alpha", 0.2f), beta = a.attr("beta", 0.5f);
  if (failed(x) || failed(alpha) || failed(beta))
    return failure();
  return a.done(a.hardSigmoid(*x, *alpha, *beta));
}

LogicalResult importHardSwish(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  if (failed(x))
    return failure();
  return a.done(a.op<MulOp>(*x, a.hardSigmoid(*x, 1.0 / 6.0, 0.5)));
}

LogicalResult importSoftplus(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  if (failed(x))
    return failure();
  return a.done(a.softplus(*x));
}

LogicalResult importSoftsign(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  if (failed(x))
    return failure();
  Value den = a.op<AddOp>(a.op<AbsOp>(*x), a.scalar(*x, 1));
  return a.done(a.op<DivOp>(*x, den));
}

LogicalResult importMish(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  if (failed(x))
    return failure();
  return a.done(a.op<MulOp>(*x, a.op<TanhOp>(a.softplus(*x))));
}

LogicalResult importShrink(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  FailureOr<float> bias = a.attr("bias", 0.0f), lambd = a.attr("lambd", 0.5f);
  if (failed(x) || failed(bias) || failed(lambd))
    return failure();
  // x + bias below -lambd, x - bias above lambd, else 0.
  Value below = a.op<LessOp>(*x, a.scalar(*x, -*lambd));
  Value above = a.op<GreaterOp>(*x, a.scalar(*x, *lambd));
  Value inner =
      a.where(above, a.op<SubOp>(*x, a.scalar(*x, *bias)), a.scalar(*x, 0));
  return a.done(a.where(below, a.op<AddOp>(*x, a.scalar(*x, *bias)), inner));
}

LogicalResult importSign(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  if (failed(x))
    return failure();
  Value zero = a.scalar(*x, 0);
  Value negative = a.where(a.op<LessOp>(*x, zero), a.scalar(*x, -1), zero);
  return a.done(a.where(a.op<GreaterOp>(*x, zero), a.scalar(*x, 1), negative));
}

/// com.microsoft QuickGelu (CLIP's activation, from onnxruntime's
/// transformer optimizer): x * sigmoid(alpha * x).
LogicalResult importQuickGelu(NodeContext &ctx) {
  Activation a(ctx);
  FailureOr<Value> x = a.x();
  FailureOr<float> alpha = a.attr("alpha", 1.702f);
  if (failed(x) || failed(alpha))
    return failure();
  return a.done(
      a.op<MulOp>(*x, a.op<SigmoidOp>(a.op<MulOp>(*x, a.scalar(*x, *alpha)))));
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
  add("Floor", importUnary<FloorOp>);
  add("Ceil", importUnary<CeilOp>);
  add("Round", importUnary<RoundOp>, 11, "ties to even");
  add("Cos", importUnary<CosOp>);
  add("Sigmoid", importUnary<SigmoidOp>);
  add("Not", importUnary<NotOp>);
  add("Gelu", importGelu, 20);
  add("Add", importBinary<AddOp>);
  add("Sub", importBinary<SubOp>);
  add("Mul", importBinary<MulOp>);
  add("Div", importBinary<DivOp>, 13, "integer division truncates toward zero");
  add("Mod", importMod, 13,
      "fmod = 0: the divisor's sign (floats as numpy's mod), fmod = 1: the "
      "dividend's sign (C's fmod); an integer remainder by 0 is a run-time "
      "error");
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
  const char *formula = "as a formula of elementwise ops (one fused kernel)";
  add("LeakyRelu", importLeakyRelu, 13, formula);
  add("PRelu", importPRelu, 13, formula);
  add("Elu", importElu, 13, formula);
  add("Selu", importSelu, 13, formula);
  add("Celu", importCelu, 13, formula);
  add("ThresholdedRelu", importThresholdedRelu, 13, formula);
  add("HardSigmoid", importHardSigmoid, 13, formula);
  add("HardSwish", importHardSwish, 14, formula);
  add("Softplus", importSoftplus, 13,
      "as max(x, 0) + log(1 + exp(-|x|)), one fused kernel");
  add("Softsign", importSoftsign, 13, formula);
  add("Mish", importMish, 18, "as x * tanh(softplus(x)), one fused kernel");
  add("Shrink", importShrink, 13, formula);
  add("Sign", importSign, 13, formula);
  ops.push_back({"com.microsoft", "QuickGelu", 1, importQuickGelu,
                 "x * sigmoid(alpha * x), one fused kernel"});
}

} // namespace kestrel::onnx_frontend
