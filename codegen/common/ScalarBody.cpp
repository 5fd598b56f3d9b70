//===- ScalarBody.cpp - C++ statements from a fused_elementwise body ------===//

#include "codegen/common/ScalarBody.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;

namespace kestrel::codegen {

namespace {

/// The C++ type a body scalar is computed in (f16/bf16 math runs in f32).
FailureOr<StringRef> computeTypeOf(Type t) {
  if (isa<FloatType>(t))
    return StringRef("float");
  if (t.isInteger(64))
    return StringRef("int64_t");
  if (t.isInteger(32))
    return StringRef("int32_t");
  if (t.isInteger(1))
    return StringRef("bool");
  return failure();
}

std::string floatLiteral(ScalarTarget target, double value) {
  bool cuda = target == ScalarTarget::Cuda;
  if (std::isnan(value))
    return cuda ? "__int_as_float(0x7fc00000)"
                : "std::numeric_limits<float>::quiet_NaN()";
  if (std::isinf(value)) {
    if (cuda)
      return value > 0 ? "__int_as_float(0x7f800000)"
                       : "__int_as_float(0xff800000)";
    return value > 0 ? "std::numeric_limits<float>::infinity()"
                     : "-std::numeric_limits<float>::infinity()";
  }
  std::string s = llvm::formatv("{0}", llvm::format("%.9g", value)).str();
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s + "f";
}

/// Rounds a float through a narrower float type (arith.truncf semantics).
std::string roundTo(ScalarTarget target, Type t, const std::string &x) {
  if (target == ScalarTarget::Cpu) {
    if (t.isBF16())
      return "kestrel::cpu::bf16ToF32(kestrel::cpu::f32ToBf16(" + x + "))";
    if (t.isF16())
      return "kestrel::cpu::f16ToF32(kestrel::cpu::f32ToF16(" + x + "))";
    if (isa<Float8E4M3FNType>(t))
      return "kestrel::cpu::f8e4m3fnToF32(kestrel::cpu::f32ToF8e4m3fn(" + x +
             "))";
    return x;
  }
  if (t.isBF16())
    return "__bfloat162float(__float2bfloat16_rn(" + x + "))";
  if (t.isF16())
    return "__half2float(__float2half_rn(" + x + "))";
  if (isa<Float8E4M3FNType>(t))
    return "static_cast<float>(f8e4m3(" + x + "))";
  return x;
}

/// The unsigned C++ type of an integer's width (bool for i1).
std::string unsignedType(Type t) {
  return t.isInteger(1) ? "bool" : t.isInteger(32) ? "uint32_t" : "uint64_t";
}

class BodyWriter {
public:
  BodyWriter(ScalarTarget target, llvm::raw_ostream &os)
      : target(target), os(os) {}

  LogicalResult write(Block &body) {
    for (auto [i, arg] : llvm::enumerate(body.getArguments()))
      names[arg] = "x" + std::to_string(i);
    for (Operation &op : body) {
      if (auto yield = dyn_cast<YieldOp>(op)) {
        for (auto [i, v] : llvm::enumerate(yield.getValues()))
          os << "  r" << i << " = " << names[v] << ";\n";
        continue;
      }
      if (failed(writeOp(&op)))
        return failure();
    }
    return success();
  }

private:
  std::string operand(Operation *op, unsigned i) {
    return names[op->getOperand(i)];
  }

  LogicalResult define(Operation *op, const std::string &expr) {
    FailureOr<StringRef> type = computeTypeOf(op->getResult(0).getType());
    if (failed(type))
      return op->emitOpError(
                 "has a result type the fused-body generator does not "
                 "handle: ")
             << op->getResult(0).getType();
    std::string name = "t" + std::to_string(counter++);
    names[op->getResult(0)] = name;
    os << "  const " << *type << " " << name << " = " << expr << ";\n";
    return success();
  }

  LogicalResult binary(Operation *op, StringRef sym) {
    return define(op, "(" + operand(op, 0) + " " + sym.str() + " " +
                          operand(op, 1) + ")");
  }
  LogicalResult call(Operation *op, StringRef fn) {
    std::string args;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      args += (i ? ", " : "") + operand(op, i);
    return define(op, mathFunction(fn).str() + "(" + args + ")");
  }

  static StringRef cmpfOperator(arith::CmpFPredicate p, bool &unordered) {
    using P = arith::CmpFPredicate;
    unordered = false;
    switch (p) {
    case P::OEQ:
      return "==";
    case P::ONE:
      return "!=";
    case P::OLT:
      return "<";
    case P::OLE:
      return "<=";
    case P::OGT:
      return ">";
    case P::OGE:
      return ">=";
    case P::UEQ:
      unordered = true;
      return "==";
    case P::UNE:
      unordered = true;
      return "!=";
    case P::ULT:
      unordered = true;
      return "<";
    case P::ULE:
      unordered = true;
      return "<=";
    case P::UGT:
      unordered = true;
      return ">";
    case P::UGE:
      unordered = true;
      return ">=";
    default:
      return "";
    }
  }

  LogicalResult writeOp(Operation *op) {
    using namespace arith;
    return llvm::TypeSwitch<Operation *, LogicalResult>(op)
        .Case([&](arith::ConstantOp c) -> LogicalResult {
          if (auto f = dyn_cast<FloatAttr>(c.getValue()))
            return define(op, floatLiteral(target, f.getValueAsDouble()));
          if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
            if (i.getType().isInteger(1))
              return define(op, i.getValue().isZero() ? "false" : "true");
            int64_t v = i.getValue().getSExtValue();
            return define(op, v == INT64_MIN ? std::string("INT64_MIN")
                                             : std::to_string(v) + "LL");
          }
          return op->emitOpError("has a constant the fused-body generator does "
                                 "not handle");
        })
        .Case<AddFOp, AddIOp>([&](Operation *op) { return binary(op, "+"); })
        .Case<SubFOp, SubIOp>([&](Operation *op) { return binary(op, "-"); })
        .Case<MulFOp, MulIOp>([&](Operation *op) { return binary(op, "*"); })
        .Case<DivFOp>([&](Operation *op) { return binary(op, "/"); })
        .Case<DivSIOp, RemSIOp>([&](Operation *op) -> LogicalResult {
          // The kernel library's integer rules: x / 0 raises the device
          // error (and gives 0), MIN / -1 wraps to MIN, x % -1 is 0.
          FailureOr<StringRef> t = computeTypeOf(op->getResult(0).getType());
          if (failed(t) || *t == "bool")
            return op->emitOpError("has an unsupported integer type");
          std::string a = operand(op, 0), b = operand(op, 1);
          std::string u = "static_cast<std::make_unsigned_t<" + t->str() + ">>";
          std::string byMinusOne = isa<DivSIOp>(op)
                                       ? "static_cast<" + t->str() + ">(" + u +
                                             "(0) - " + u + "(" + a + "))"
                                       : t->str() + "(0)";
          std::string raise = target == ScalarTarget::Cuda
                                  ? "raiseError(errorFlag, "
                                    "DeviceError::DivisionByZero)"
                                  : "*errorFlag = 1";
          return define(op, "(" + b + " == 0 ? (" + raise + ", " + t->str() +
                                "(0)) : " + b + " == -1 ? " + byMinusOne +
                                " : " + a + (isa<DivSIOp>(op) ? " / " : " % ") +
                                b + ")");
        })
        .Case<AndIOp>([&](Operation *op) { return binary(op, "&"); })
        .Case<OrIOp>([&](Operation *op) { return binary(op, "|"); })
        .Case<XOrIOp>([&](Operation *op) { return binary(op, "^"); })
        .Case<RemFOp>([&](Operation *op) { return call(op, "fmodf"); })
        .Case<NegFOp>([&](Operation *op) {
          return define(op, "(-" + operand(op, 0) + ")");
        })
        .Case<MaxNumFOp>([&](Operation *op) { return call(op, "fmaxf"); })
        .Case<MinNumFOp>([&](Operation *op) { return call(op, "fminf"); })
        .Case<MaximumFOp, MinimumFOp>([&](Operation *op) {
          // NaN-propagating, like kestrel.max/min.
          std::string a = operand(op, 0), b = operand(op, 1);
          std::string pick =
              (isa<MaximumFOp>(op) ? "fmaxf(" : "fminf(") + a + ", " + b + ")";
          // On the CPU a select vectorizes where fmaxf is a call.
          if (target == ScalarTarget::Cpu)
            pick = "(" + a + (isa<MaximumFOp>(op) ? " > " : " < ") + b + " ? " +
                   a + " : " + b + ")";
          return define(op, "((" + a + " != " + a + " || " + b + " != " + b +
                                ") ? " + a + " + " + b + " : " + pick + ")");
        })
        .Case<MaxSIOp, MinSIOp>([&](Operation *op) {
          std::string a = operand(op, 0), b = operand(op, 1);
          return define(op, "(" + a + (isa<MaxSIOp>(op) ? " > " : " < ") + b +
                                " ? " + a + " : " + b + ")");
        })
        .Case([&](CmpFOp c) -> LogicalResult {
          bool unordered;
          StringRef sym = cmpfOperator(c.getPredicate(), unordered);
          std::string a = operand(op, 0), b = operand(op, 1);
          if (c.getPredicate() == CmpFPredicate::ONE)
            return define(op, "(" + a + " == " + a + " && " + b + " == " + b +
                                  " && " + a + " != " + b + ")");
          if (c.getPredicate() == CmpFPredicate::UNO)
            return define(op,
                          "(" + a + " != " + a + " || " + b + " != " + b + ")");
          if (c.getPredicate() == CmpFPredicate::ORD)
            return define(op,
                          "(" + a + " == " + a + " && " + b + " == " + b + ")");
          if (sym.empty())
            return op->emitOpError(
                "has a predicate the fused-body generator does "
                "not handle");
          std::string cmp = "(" + a + " " + sym.str() + " " + b + ")";
          if (unordered && sym != "!=")
            cmp = "(" + cmp + " || " + a + " != " + a + " || " + b +
                  " != " + b + ")";
          return define(op, cmp);
        })
        .Case([&](CmpIOp c) -> LogicalResult {
          static const char *syms[] = {"==", "!=", "<",  "<=", ">",
                                       ">=", "<",  "<=", ">",  ">="};
          auto p = static_cast<unsigned>(c.getPredicate());
          if (p >= 10)
            return op->emitOpError(
                "has a predicate the fused-body generator does "
                "not handle");
          if (p >= 6) // unsigned comparisons
            return define(op, "(static_cast<uint64_t>(" + operand(op, 0) +
                                  ") " + syms[p] + " static_cast<uint64_t>(" +
                                  operand(op, 1) + "))");
          return binary(op, syms[p]);
        })
        .Case([&](SelectOp) {
          return define(op, "(" + operand(op, 0) + " ? " + operand(op, 1) +
                                " : " + operand(op, 2) + ")");
        })
        .Case<ExtFOp>([&](Operation *op) { return define(op, operand(op, 0)); })
        .Case([&](TruncFOp t) {
          return define(op, roundTo(target, t.getType(), operand(op, 0)));
        })
        .Case<SIToFPOp>([&](Operation *op) {
          // An i1 is signed: true is -1.
          if (op->getOperand(0).getType().isInteger(1))
            return define(op, "(" + operand(op, 0) + " ? -1.0f : 0.0f)");
          return define(op, "static_cast<float>(" + operand(op, 0) + ")");
        })
        .Case<UIToFPOp>([&](Operation *op) {
          return define(op, "static_cast<float>(static_cast<" +
                                unsignedType(op->getOperand(0).getType()) +
                                ">(" + operand(op, 0) + "))");
        })
        .Case<ExtSIOp>([&](Operation *op) -> LogicalResult {
          FailureOr<StringRef> t = computeTypeOf(op->getResult(0).getType());
          if (failed(t))
            return op->emitOpError("has an unsupported result type");
          if (op->getOperand(0).getType().isInteger(1))
            return define(op, "(" + operand(op, 0) + " ? " + t->str() +
                                  "(-1) : " + t->str() + "(0))");
          return define(op, "static_cast<" + t->str() + ">(" + operand(op, 0) +
                                ")");
        })
        .Case<TruncIOp>([&](Operation *op) -> LogicalResult {
          FailureOr<StringRef> t = computeTypeOf(op->getResult(0).getType());
          if (failed(t))
            return op->emitOpError("has an unsupported result type");
          // To i1: the low bit.
          if (op->getResult(0).getType().isInteger(1))
            return define(op, "((" + operand(op, 0) + " & 1) != 0)");
          return define(op, "static_cast<" + t->str() + ">(" + operand(op, 0) +
                                ")");
        })
        .Case<FPToSIOp>([&](Operation *op) -> LogicalResult {
          FailureOr<StringRef> t = computeTypeOf(op->getResult(0).getType());
          if (failed(t))
            return op->emitOpError("has an unsupported result type");
          return define(op, "static_cast<" + t->str() + ">(" + operand(op, 0) +
                                ")");
        })
        .Case<ExtUIOp>([&](Operation *op) -> LogicalResult {
          FailureOr<StringRef> t = computeTypeOf(op->getResult(0).getType());
          if (failed(t))
            return op->emitOpError("has an unsupported result type");
          return define(op, "static_cast<" + t->str() + ">(static_cast<" +
                                unsignedType(op->getOperand(0).getType()) +
                                ">(" + operand(op, 0) + "))");
        })
        .Case<math::ExpOp>([&](Operation *op) { return call(op, "expf"); })
        .Case<math::Exp2Op>([&](Operation *op) { return call(op, "exp2f"); })
        .Case<math::LogOp>([&](Operation *op) { return call(op, "logf"); })
        .Case<math::Log2Op>([&](Operation *op) { return call(op, "log2f"); })
        .Case<math::TanhOp>([&](Operation *op) { return call(op, "tanhf"); })
        .Case<math::ErfOp>([&](Operation *op) { return call(op, "erff"); })
        .Case<math::SqrtOp>([&](Operation *op) { return call(op, "sqrtf"); })
        .Case<math::RsqrtOp>([&](Operation *op) {
          if (target == ScalarTarget::Cpu)
            return define(op, "(1.0f / sqrtf(" + operand(op, 0) + "))");
          return call(op, "rsqrtf");
        })
        .Case<math::SinOp>([&](Operation *op) { return call(op, "sinf"); })
        .Case<math::FloorOp>([&](Operation *op) { return call(op, "floorf"); })
        .Case<math::CeilOp>([&](Operation *op) { return call(op, "ceilf"); })
        // rintf rounds in the default mode: to nearest, ties to even.
        .Case<math::RoundEvenOp>(
            [&](Operation *op) { return call(op, "rintf"); })
        .Case<math::CosOp>([&](Operation *op) { return call(op, "cosf"); })
        .Case<math::PowFOp>([&](Operation *op) { return call(op, "powf"); })
        .Case<math::AbsFOp>([&](Operation *op) { return call(op, "fabsf"); })
        .Case<math::FmaOp>([&](Operation *op) { return call(op, "fmaf"); })
        .Case<math::FloorOp>([&](Operation *op) { return call(op, "floorf"); })
        .Case<math::CeilOp>([&](Operation *op) { return call(op, "ceilf"); })
        .Case<math::RoundEvenOp>(
            [&](Operation *op) { return call(op, "rintf"); })
        .Case<math::AbsIOp>([&](Operation *op) {
          std::string a = operand(op, 0);
          return define(op, "(" + a + " < 0 ? -" + a + " : " + a + ")");
        })
        .Default([&](Operation *op) {
          return op->emitOpError("has a body op the fused-body generator does "
                                 "not handle: '")
                 << op->getName() << "'";
        });
  }

  /// The float function `name` (a CUDA/libm name) on the target: the CPU
  /// takes the kernel library's vectorizable polynomials for exp, tanh and
  /// erf.
  StringRef mathFunction(StringRef name) const {
    if (target == ScalarTarget::Cuda)
      return name;
    return llvm::StringSwitch<StringRef>(name)
        .Case("expf", "kestrel::cpu::expApprox")
        .Case("tanhf", "kestrel::cpu::tanhApprox")
        .Case("erff", "kestrel::cpu::erfApprox")
        .Default(name);
  }

  ScalarTarget target;
  llvm::raw_ostream &os;
  llvm::DenseMap<Value, std::string> names;
  int counter = 0;
};

} // namespace

FailureOr<StringRef> scalarComputeType(Type t) { return computeTypeOf(t); }

LogicalResult writeScalarBody(Block &body, ScalarTarget target,
                              llvm::raw_ostream &os) {
  return BodyWriter(target, os).write(body);
}

} // namespace kestrel::codegen
