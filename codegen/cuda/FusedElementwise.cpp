//===- FusedElementwise.cpp - CUDA kernels from fused_elementwise ---------===//

#include "codegen/cuda/FusedElementwise.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SHA256.h"

#include <cmath>

using namespace mlir;

namespace kestrel::codegen::cuda {

namespace {

/// The C++ type a body scalar is computed in (f16/bf16 math runs in f32).
FailureOr<StringRef> computeType(Type t) {
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

/// The C++ type a tensor element is stored in on the device.
FailureOr<StringRef> storageType(Type t) {
  if (t.isF32())
    return StringRef("float");
  if (t.isBF16())
    return StringRef("bf16");
  if (t.isF16())
    return StringRef("f16");
  if (isa<Float8E4M3FNType>(t))
    return StringRef("f8e4m3");
  if (t.isInteger(64))
    return StringRef("int64_t");
  if (t.isInteger(32))
    return StringRef("int32_t");
  if (t.isInteger(1))
    return StringRef("uint8_t");
  return failure();
}

std::string floatLiteral(double value) {
  if (std::isnan(value))
    return "__int_as_float(0x7fc00000)";
  if (std::isinf(value))
    return value > 0 ? "__int_as_float(0x7f800000)"
                     : "__int_as_float(0xff800000)";
  std::string s = llvm::formatv("{0}", llvm::format("%.9g", value)).str();
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s + "f";
}

/// Rounds a float through a narrower float type (arith.truncf semantics).
std::string roundTo(Type t, const std::string &x) {
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
  explicit BodyWriter(llvm::raw_ostream &os) : os(os) {}

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
    FailureOr<StringRef> type = computeType(op->getResult(0).getType());
    if (failed(type))
      return op->emitOpError("has a result type the CUDA generator does not "
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
    return define(op, fn.str() + "(" + args + ")");
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
            return define(op, floatLiteral(f.getValueAsDouble()));
          if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
            if (i.getType().isInteger(1))
              return define(op, i.getValue().isZero() ? "false" : "true");
            int64_t v = i.getValue().getSExtValue();
            return define(op, v == INT64_MIN ? std::string("INT64_MIN")
                                             : std::to_string(v) + "LL");
          }
          return op->emitOpError("has a constant the CUDA generator does "
                                 "not handle");
        })
        .Case<AddFOp, AddIOp>([&](Operation *op) { return binary(op, "+"); })
        .Case<SubFOp, SubIOp>([&](Operation *op) { return binary(op, "-"); })
        .Case<MulFOp, MulIOp>([&](Operation *op) { return binary(op, "*"); })
        .Case<DivFOp>([&](Operation *op) { return binary(op, "/"); })
        .Case<DivSIOp, RemSIOp>([&](Operation *op) -> LogicalResult {
          // The kernel library's integer rules: x / 0 raises the device
          // error (and gives 0), MIN / -1 wraps to MIN, x % -1 is 0.
          FailureOr<StringRef> t = computeType(op->getResult(0).getType());
          if (failed(t) || *t == "bool")
            return op->emitOpError("has an unsupported integer type");
          std::string a = operand(op, 0), b = operand(op, 1);
          std::string u = "static_cast<std::make_unsigned_t<" + t->str() + ">>";
          std::string byMinusOne = isa<DivSIOp>(op)
                                       ? "static_cast<" + t->str() + ">(" + u +
                                             "(0) - " + u + "(" + a + "))"
                                       : t->str() + "(0)";
          return define(op, "(" + b +
                                " == 0 ? (raiseError(errorFlag, "
                                "DeviceError::DivisionByZero), " +
                                t->str() + "(0)) : " + b + " == -1 ? " +
                                byMinusOne + " : " + a +
                                (isa<DivSIOp>(op) ? " / " : " % ") + b + ")");
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
          std::string fn = isa<MaximumFOp>(op) ? "fmaxf" : "fminf";
          return define(op, "((" + a + " != " + a + " || " + b + " != " + b +
                                ") ? " + a + " + " + b + " : " + fn + "(" + a +
                                ", " + b + "))");
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
            return op->emitOpError("has a predicate the CUDA generator does "
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
            return op->emitOpError("has a predicate the CUDA generator does "
                                   "not handle");
          if (p >= 6) // unsigned comparisons
            return define(op, "(static_cast<uint64_t>(" + operand(op, 0) +
                                  ") " + syms[p] + " static_cast<uint64_t>(" +
                                  operand(op, 1) + "))");
          return binary(op, syms[p]);
        })
        .Case([&](SelectOp s) {
          return define(op, "(" + operand(op, 0) + " ? " + operand(op, 1) +
                                " : " + operand(op, 2) + ")");
        })
        .Case<ExtFOp>([&](Operation *op) { return define(op, operand(op, 0)); })
        .Case([&](TruncFOp t) {
          return define(op, roundTo(t.getType(), operand(op, 0)));
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
          FailureOr<StringRef> t = computeType(op->getResult(0).getType());
          if (failed(t))
            return op->emitOpError("has an unsupported result type");
          if (op->getOperand(0).getType().isInteger(1))
            return define(op, "(" + operand(op, 0) + " ? " + t->str() +
                                  "(-1) : " + t->str() + "(0))");
          return define(op, "static_cast<" + t->str() + ">(" + operand(op, 0) +
                                ")");
        })
        .Case<TruncIOp>([&](Operation *op) -> LogicalResult {
          FailureOr<StringRef> t = computeType(op->getResult(0).getType());
          if (failed(t))
            return op->emitOpError("has an unsupported result type");
          // To i1: the low bit.
          if (op->getResult(0).getType().isInteger(1))
            return define(op, "((" + operand(op, 0) + " & 1) != 0)");
          return define(op, "static_cast<" + t->str() + ">(" + operand(op, 0) +
                                ")");
        })
        .Case<FPToSIOp>([&](Operation *op) -> LogicalResult {
          FailureOr<StringRef> t = computeType(op->getResult(0).getType());
          if (failed(t))
            return op->emitOpError("has an unsupported result type");
          return define(op, "static_cast<" + t->str() + ">(" + operand(op, 0) +
                                ")");
        })
        .Case<ExtUIOp>([&](Operation *op) -> LogicalResult {
          FailureOr<StringRef> t = computeType(op->getResult(0).getType());
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
        .Case<math::RsqrtOp>([&](Operation *op) { return call(op, "rsqrtf"); })
        .Case<math::SinOp>([&](Operation *op) { return call(op, "sinf"); })
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
          return op->emitOpError("has a body op the CUDA code generator does "
                                 "not handle: '")
                 << op->getName() << "'";
        });
  }

  llvm::raw_ostream &os;
  llvm::DenseMap<Value, std::string> names;
  int counter = 0;
};

} // namespace

FailureOr<FusedKernel> generateFusedKernel(Operation *op,
                                           ArrayRef<Type> inputTypes,
                                           ArrayRef<Type> resultTypes) {
  auto fused = cast<FusedElementwiseOp>(op);
  Block &body = fused.getBody().front();
  size_t numIn = inputTypes.size(), numOut = resultTypes.size();

  std::string bodyCode;
  llvm::raw_string_ostream bs(bodyCode);
  BodyWriter writer(bs);
  if (failed(writer.write(body)))
    return failure();

  // The scalar function: inputs by value, results by reference, and the
  // run's error flag (integer division by zero).
  std::string params = "int *errorFlag";
  for (auto [i, arg] : llvm::enumerate(body.getArguments()))
    params +=
        ", " + computeType(arg.getType())->str() + " x" + std::to_string(i);
  for (auto [i, t] : llvm::enumerate(fused.getResultTypes()))
    params += ", " +
              computeType(cast<RankedTensorType>(t).getElementType())->str() +
              " &r" + std::to_string(i);

  // Widest element: the vector path moves 16 bytes of it per access.
  size_t widest = 1;
  auto width = [](Type t) -> size_t {
    return t.isInteger(1) ? 1 : t.getIntOrFloatBitWidth() / 8;
  };
  for (Type t : inputTypes)
    widest = std::max(widest, width(t));
  for (Type t : resultTypes)
    widest = std::max(widest, width(t));
  size_t vec = 16 / widest;

  std::string loads, loadsVec, stores, storesVec, call;
  for (size_t i = 0; i < numIn; ++i) {
    FailureOr<StringRef> st = storageType(inputTypes[i]);
    FailureOr<StringRef> ct = computeType(body.getArgument(i).getType());
    if (failed(st) || failed(ct))
      return op->emitOpError("has an input type the CUDA generator does not "
                             "handle");
    std::string conv =
        *ct == "float" ? "toF32" : "static_cast<" + ct->str() + ">";
    loads += llvm::formatv(
                 "    const {0} x{1} = {2}(static_cast<const {3} *>(a.in[{1}])"
                 "[broadcastOffset(a.strides[{1}], i)]);\n",
                 *ct, i, conv, *st)
                 .str();
    loadsVec += llvm::formatv("    const Vec<{0}, {1}> in{2} = "
                              "*reinterpret_cast<const Vec<{0}, {1}> *>("
                              "static_cast<const {0} *>(a.in[{2}]) + i);\n",
                              *st, vec, i)
                    .str();
  }
  for (size_t i = 0; i < numOut; ++i) {
    FailureOr<StringRef> st = storageType(resultTypes[i]);
    if (failed(st))
      return op->emitOpError("has a result type the CUDA generator does not "
                             "handle");
    Type ct =
        cast<RankedTensorType>(fused.getResult(i).getType()).getElementType();
    std::string conv = isa<FloatType>(ct) ? "fromF32<" + st->str() + ">"
                                          : "static_cast<" + st->str() + ">";
    stores +=
        llvm::formatv("    static_cast<{0} *>(a.out[{1}])[i] = {2}(r{1});\n",
                      *st, i, conv)
            .str();
    storesVec +=
        llvm::formatv("      out{0}.v[k] = {1}(r{0});\n", i, conv).str();
  }
  std::string declResults, declResultsVec, vecDecl, vecStore;
  for (size_t i = 0; i < numOut; ++i) {
    Type ct =
        cast<RankedTensorType>(fused.getResult(i).getType()).getElementType();
    declResults +=
        "    " + computeType(ct)->str() + " r" + std::to_string(i) + ";\n";
    declResultsVec +=
        "      " + computeType(ct)->str() + " r" + std::to_string(i) + ";\n";
    vecDecl += llvm::formatv("    Vec<{0}, {1}> out{2};\n",
                             *storageType(resultTypes[i]), vec, i)
                   .str();
    vecStore += llvm::formatv("    *reinterpret_cast<Vec<{0}, {1}> *>("
                              "static_cast<{0} *>(a.out[{2}]) + i) = out{2};\n",
                              *storageType(resultTypes[i]), vec, i)
                    .str();
  }
  std::string callArgs = "a.errorFlag", callArgsVec = "a.errorFlag";
  for (size_t i = 0; i < numIn; ++i) {
    callArgs += ", x" + std::to_string(i);
    Type ct = body.getArgument(i).getType();
    std::string conv = isa<FloatType>(ct)
                           ? "toF32"
                           : "static_cast<" + computeType(ct)->str() + ">";
    callArgsVec += ", " + conv + "(in" + std::to_string(i) + ".v[k])";
  }
  for (size_t i = 0; i < numOut; ++i) {
    callArgs += ", r" + std::to_string(i);
    callArgsVec += ", r" + std::to_string(i);
  }

  // The launcher's name is a hash of everything else in the file.
  std::string kernels = llvm::formatv(
      R"(namespace {{

constexpr int kInputs = {0}, kOutputs = {1}, kVec = {2};

template <typename T, int N> struct alignas(sizeof(T) * N) Vec {{
  T v[N];
};

struct Args {{
  const void *in[kInputs];
  void *out[kOutputs];
  Strides strides[kInputs];
  int64_t n;
  int *errorFlag;
};

__device__ __forceinline__ void body({3}) {{
{4}}

// One element per iteration of a grid-stride loop; inputs broadcast.
__global__ void __launch_bounds__(256) fusedScalar(Args a) {{
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < a.n;
       i += int64_t(gridDim.x) * blockDim.x) {{
{5}{6}    body({7});
{8}  }
}

// kVec elements per iteration with one 16-byte access for the widest
// type: no input broadcasts, every pointer is 16-byte aligned and n is a
// multiple of kVec.
__global__ void __launch_bounds__(256) fusedVector(Args a) {{
  for (int64_t i = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) * kVec;
       i < a.n; i += int64_t(gridDim.x) * blockDim.x * kVec) {{
{9}{10}#pragma unroll
    for (int k = 0; k < kVec; ++k) {{
{14}      body({11});
{12}    }
{13}  }
}

} // namespace
)",
      numIn, numOut, vec, params, bodyCode, loads, declResults, callArgs,
      stores, loadsVec, vecDecl, callArgsVec, storesVec, vecStore,
      declResultsVec);

  std::string launcher =
      R"(bool FUNCTION(Context &ctx, const Tensor *inputs, Tensor *outputs) {
  Args a;
  a.n = outputs[0].numel();
  a.errorFlag = ctx.errorFlag;
  bool vector = a.n % kVec == 0;
  for (int i = 0; i < kInputs; ++i) {
    a.in[i] = inputs[i].data;
    a.strides[i] = broadcastStrides(inputs[i].shape, outputs[0].shape);
    vector = vector && inputs[i].shape == outputs[0].shape &&
             reinterpret_cast<uintptr_t>(inputs[i].data) % 16 == 0;
  }
  for (int i = 0; i < kOutputs; ++i) {
    a.out[i] = outputs[i].data;
    vector = vector && reinterpret_cast<uintptr_t>(outputs[i].data) % 16 == 0;
  }
  if (a.n == 0)
    return true;
  if (vector)
    KESTREL_LAUNCH(gridFor(a.n / kVec, 256), 256, 0, streamOf(ctx), fusedVector)(a);
  else
    KESTREL_LAUNCH(gridFor(a.n, 256), 256, 0, streamOf(ctx), fusedScalar)(a);
  return checkLaunch(ctx, "fused_elementwise");
}
)";
  llvm::SHA256 sha;
  sha.update(kernels);
  sha.update(launcher);
  std::string hash = llvm::toHex(sha.final(), /*LowerCase=*/true).substr(0, 16);
  FusedKernel kernel;
  kernel.function = "kestrel_fused_" + hash;
  size_t pos = launcher.find("FUNCTION");
  launcher.replace(pos, 8, kernel.function);
  kernel.source = "// Generated by kestrelc from a kestrel.fused_elementwise. "
                  "Do not edit.\n\n"
                  "#include \"codegen/cuda/kernels/Common.cuh\"\n\n"
                  "#include <type_traits>\n\n"
                  "namespace kestrel::cuda::instances {\n\n" +
                  kernels + "\n" + launcher +
                  "\n} // namespace kestrel::cuda::instances\n";
  return kernel;
}

} // namespace kestrel::codegen::cuda
