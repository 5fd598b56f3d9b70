//===- CpuEmitter.cpp - kestrel dialect to C++ for the CPU runtime --------===//

#include "codegen/cpu/CpuEmitter.h"
#include "codegen/cpu/FusedElementwise.h"
#include "codegen/cuda/FusedElementwise.h"

#include "dialects/kestrel/IR/KestrelOps.h"
#include "passes/KernelRegistry.h"
#include "passes/StorageTypes.h"
#include "runtime/WeightsConvert.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

using namespace mlir;

namespace kestrel::codegen {

namespace {

/// The kernel library's DType enumerator for an element type.
FailureOr<StringRef> dtypeOf(Type type) {
  if (type.isF32())
    return StringRef("DType::F32");
  if (type.isF16())
    return StringRef("DType::F16");
  if (type.isBF16())
    return StringRef("DType::BF16");
  if (isa<Float8E4M3FNType>(type))
    return StringRef("DType::F8E4M3FN");
  if (type.isInteger(64))
    return StringRef("DType::I64");
  if (type.isInteger(32))
    return StringRef("DType::I32");
  if (type.isInteger(1))
    return StringRef("DType::I1");
  return failure();
}

std::string cString(StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char octal[5];
      std::snprintf(octal, sizeof(octal), "\\%03o", static_cast<unsigned>(c));
      out += octal;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

/// "{1, -1, 64}" with -1 for dynamic dims.
std::string dimsList(ArrayRef<int64_t> dims) {
  std::string s = "{";
  for (auto [i, d] : llvm::enumerate(dims))
    s += (i ? ", " : "") +
         std::to_string(ShapedType::isDynamic(d) ? int64_t(-1) : d);
  return s + "}";
}

std::string i64List(ArrayRef<int64_t> values) {
  std::string s = "{";
  for (auto [i, d] : llvm::enumerate(values)) {
    s += i ? ", " : "";
    // INT64_MIN has no literal of its own.
    s += d == INT64_MIN ? "INT64_MIN" : std::to_string(d) + "LL";
  }
  return s + "}";
}

/// A C++ float literal that reads back as exactly `value`.
std::string floatLiteral(float value) {
  if (std::isnan(value))
    return "__builtin_nanf(\"\")";
  if (std::isinf(value))
    return value > 0 ? "__builtin_inff()" : "-__builtin_inff()";
  std::string s = llvm::formatv("{0}", llvm::format("%.9g", value)).str();
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s + "f";
}

class Emitter {
public:
  Emitter(func::FuncOp func, const CpuEmitOptions &options, BufferPlan &plan,
          llvm::raw_ostream &os)
      : func(func), options(options), plan(plan), os(os) {}

  /// Cuda: the device element type of every value.
  std::vector<Type> devTypes;
  bool cuda() const { return options.target == EmitTarget::Cuda; }
  /// The host tensor of a value (in the CUDA `execute`, v holds the device
  /// tensors and h the host ones).
  std::string hostRef(Value v) {
    bool device = cuda() && !emittingHost;
    if (device)
      hostReads.insert(id(v));
    return llvm::formatv("{0}[{1}]", device ? "h" : "v", id(v));
  }
  /// The #kestrel.impl of `op`, checked against the registry of the
  /// target it runs on (CPU kernels on the host); errors on the op when it
  /// is missing or not a candidate of that target.
  FailureOr<ImplAttr> checkedImpl(Operation *op) const {
    auto impl = op->getAttrOfType<ImplAttr>(ImplAttr::kName);
    if (!impl)
      return op->emitOpError("has no #kestrel.impl (run "
                             "kestrel-select-kernels before codegen)");
    KernelTarget target =
        cuda() && !emittingHost ? KernelTarget::Cuda : KernelTarget::Cpu;
    const KernelCandidate *candidate =
        KernelRegistry::get(target).lookup(impl.getCandidate().getValue());
    std::string error;
    if (!candidate ||
        !llvm::is_contained(candidate->ops, op->getName().getStringRef()))
      return op->emitOpError("#kestrel.impl names ")
             << impl.getCandidate() << ", not a " << kernelTargetName(target)
             << " kernel for this op";
    if (!KernelRegistry::isValidConfig(*candidate, impl.getConfig(), error))
      return op->emitOpError("#kestrel.impl: ") << error;
    return impl;
  }
  /// For a matmul or fused_matmul on the CUDA device, the GemmChoice its
  /// #kestrel.impl names, as the emitted expression; the tensor-core
  /// instantiation it calls is recorded in `gemms`.
  std::string gemmChoice(Operation *op, ImplAttr impl) {
    StringRef name = impl.getCandidate().getValue();
    StringRef kind = llvm::StringSwitch<StringRef>(name)
                         .Case("cuda.gemm.mma", "MmaSync")
                         .Case("cuda.gemm.cublaslt", "CublasLt")
                         .Case("cuda.gemm.gemv", "Gemv")
                         .Default("Simt");
    std::string kernel = "nullptr";
    if (name == "cuda.gemm.mma") {
      GemmInstance g;
      g.tileM = impl.getInt("tile_m");
      g.tileN = impl.getInt("tile_n");
      g.tileK = impl.getInt("tile_k");
      g.warpsM = impl.getInt("warps_m");
      g.warpsN = impl.getInt("warps_n");
      g.f16 = devTypes[id(op->getResult(0))].isF16();
      g.transA = op->getAttrOfType<BoolAttr>("transpose_a").getValue();
      g.transB = op->getAttrOfType<BoolAttr>("transpose_b").getValue();
      g.function = llvm::formatv("kestrel_gemm_{0}x{1}x{2}_{3}x{4}_{5}_{6}{7}",
                                 g.tileM, g.tileN, g.tileK, g.warpsM, g.warpsN,
                                 g.f16 ? "f16" : "bf16", g.transA ? "t" : "n",
                                 g.transB ? "t" : "n")
                       .str();
      gemms.insert(g);
      kernel = "kestrel::cuda::instances::" + g.function;
    }
    return llvm::formatv("kestrel::cuda::GemmChoice{{kestrel::cuda::GemmImpl::"
                         "{0}, {1}, {2}}",
                         kind, kernel, impl.getInt("gemv_max_m", 0))
        .str();
  }
  /// Values `execute` reads on the host (see kestrel_model_def::hostReads).
  std::set<int64_t> hostReads;
  /// Set while emitting an op that runs on the host (in inferShapes).
  bool emittingHost = false;

  LogicalResult emit(CpuEmitResult &result);

private:
  int64_t id(Value v) const { return plan.id(v); }
  std::string ref(Value v) const { return llvm::formatv("v[{0}]", id(v)); }
  RankedTensorType typeOf(Value v) const {
    return cast<RankedTensorType>(v.getType());
  }
  std::string declared(Value v) const {
    return "Shape" + dimsList(typeOf(v).getShape());
  }
  bool isStaticShape(Value v) const { return typeOf(v).hasStaticShape(); }
  /// A static i64 array for attribute values; returns its name.
  std::string array(ArrayRef<int64_t> values) {
    std::string name = llvm::formatv("a{0}", arrays.size());
    arrays.push_back(
        llvm::formatv("const int64_t {0}[] = {1};", name,
                      values.empty() ? std::string("{0}") : i64List(values))
            .str());
    return name;
  }
  std::string describe(Operation *op) const;

  LogicalResult emitTables(CpuEmitResult &result);
  /// The shape code of `op`; `checked` says whether it checks anything at
  /// run time (its OP_TRYs name the op).
  LogicalResult emitShapes(Operation *op, std::string &code, bool &checked);
  LogicalResult emitKernel(Operation *op, std::string &code);

  func::FuncOp func;
  const CpuEmitOptions &options;
  BufferPlan &plan;
  llvm::raw_ostream &os;
  std::vector<std::string> arrays;

public:
  std::set<GemmInstance> gemms;
  std::map<std::string, std::string> fused; ///< launcher name -> source
  /// CPU: block functions of fused_elementwise bodies, name -> definition.
  std::map<std::string, std::string> cpuBlocks;
};

std::string Emitter::describe(Operation *op) const {
  std::string s;
  llvm::raw_string_ostream ss(s);
  if (op->getNumResults())
    ss << "%" << id(op->getResult(0)) << " = ";
  ss << op->getName().getStringRef();
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    ss << " (node '" << name.getName().getValue() << "')";
  return cString(s);
}

LogicalResult Emitter::emitShapes(Operation *op, std::string &code,
                                  bool &checked) {
  llvm::raw_string_ostream cs(code);
  // A reshape whose result is static but whose input is not still checks
  // the element count at run time (an alias has no kernel to do it).
  bool allStatic = llvm::all_of(op->getResults(),
                                [&](Value r) { return isStaticShape(r); }) &&
                   !(isa<ReshapeOp>(op) && !isStaticShape(op->getOperand(0)));
  checked = !allStatic;
  if (allStatic) {
    for (Value r : op->getResults())
      cs << "  " << ref(r) << ".shape = " << declared(r) << ";\n";
    return success();
  }
  auto set = [&](Value r, StringRef shapeExpr) {
    cs << "  OP_TRY(x.setShape(" << id(r) << ", " << shapeExpr << ", "
       << declared(r) << "));\n";
  };
  auto same = [&](Value from) {
    set(op->getResult(0), ref(from) + ".shape");
    return success();
  };
  auto viaShape = [&](StringRef call) {
    cs << "  { Shape s; OP_TRY(" << call << "); ";
    cs << "OP_TRY(x.setShape(" << id(op->getResult(0)) << ", s, "
       << declared(op->getResult(0)) << ")); }\n";
    return success();
  };
  auto sh = [&](Value v) { return ref(v) + ".shape"; };

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<NegOp, AbsOp, ReluOp, SqrtOp, RsqrtOp, ReciprocalOp, ExpOp, LogOp,
            ErfOp, TanhOp, SinOp, CosOp, SigmoidOp, SiluOp, GeluOp, NotOp,
            CastOp, SoftmaxOp, LogSoftmaxOp, RmsNormOp, LayerNormOp, RopeOp>(
          [&](Operation *op) { return same(op->getOperand(0)); })
      .Case<AddRmsNormOp, AddLayerNormOp>([&](Operation *op) {
        for (Value r : op->getResults())
          set(r, ref(op->getOperand(0)) + ".shape");
        return success();
      })
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, EqualOp,
            NotEqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, AndOp,
            OrOp, XorOp>([&](Operation *op) {
        return viaShape(llvm::formatv("broadcastShape(c, {0}, {1}, s)",
                                      sh(op->getOperand(0)),
                                      sh(op->getOperand(1)))
                            .str());
      })
      .Case([&](WhereOp w) {
        cs << "  { Shape t, s; OP_TRY(broadcastShape(c, "
           << sh(w.getCondition()) << ", " << sh(w.getTrueValue())
           << ", t)); OP_TRY(broadcastShape(c, t, " << sh(w.getFalseValue())
           << ", s)); OP_TRY(x.setShape(" << id(w.getResult()) << ", s, "
           << declared(w.getResult()) << ")); }\n";
        return success();
      })
      .Case<MatmulOp, FusedMatmulOp>([&](Operation *op) {
        bool ta = op->getAttrOfType<BoolAttr>("transpose_a").getValue();
        bool tb = op->getAttrOfType<BoolAttr>("transpose_b").getValue();
        return viaShape(llvm::formatv("matmulShape(c, {0}, {1}, {2}, {3}, s)",
                                      sh(op->getOperand(0)),
                                      sh(op->getOperand(1)), ta, tb)
                            .str());
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp>(
          [&](Operation *op) {
            auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
            bool keep = op->getAttrOfType<BoolAttr>("keepdims")
                            ? op->getAttrOfType<BoolAttr>("keepdims").getValue()
                            : true;
            std::string a = array(axes.asArrayRef());
            return viaShape(
                llvm::formatv("reduceShape(c, {0}, {1}, {2}, {3}, s)",
                              sh(op->getOperand(0)), a, axes.size(), keep)
                    .str());
          })
      .Case([&](ReshapeOp r) {
        std::string shapeArg =
            r.getShape() ? "&" + ref(r.getShape()) : std::string("nullptr");
        return viaShape(llvm::formatv("reshapeShape(c, {0}, {1}, {2}, {3}, s)",
                                      sh(r.getInput()), shapeArg,
                                      r.getAllowZero(), declared(r.getResult()))
                            .str());
      })
      .Case([&](ExpandOp e) {
        std::string shapeArg =
            e.getShape() ? "&" + ref(e.getShape()) : std::string("nullptr");
        return viaShape(llvm::formatv("expandShape(c, {0}, {1}, {2}, s)",
                                      sh(e.getInput()), shapeArg,
                                      declared(e.getResult()))
                            .str());
      })
      .Case([&](TransposeOp t) {
        std::string p = array(t.getPermutation());
        return viaShape(
            llvm::formatv("transposeShape(c, {0}, {1}, s)", sh(t.getInput()), p)
                .str());
      })
      .Case([&](ConcatOp cat) {
        cs << "  { const Tensor in[] = {";
        for (auto [i, v] : llvm::enumerate(cat.getInputs()))
          cs << (i ? ", " : "") << ref(v);
        cs << "}; Shape s; OP_TRY(concatShape(c, in, " << cat.getInputs().size()
           << ", " << cat.getAxis() << ", s)); OP_TRY(x.setShape("
           << id(cat.getResult()) << ", s, " << declared(cat.getResult())
           << ")); }\n";
        return success();
      })
      .Case([&](SplitOp split) {
        std::string sizes = array(split.getSizes());
        int64_t n = split.getNumResults();
        cs << "  { Shape s[" << n << "]; OP_TRY(splitShapes(c, "
           << sh(split.getInput()) << ", " << split.getAxis() << ", " << sizes
           << ", " << n << ", s));";
        for (auto [i, r] : llvm::enumerate(split.getResults()))
          cs << " OP_TRY(x.setShape(" << id(r) << ", s[" << i << "], "
             << declared(r) << "));";
        cs << " }\n";
        return success();
      })
      .Case([&](SliceOp s) {
        std::string a = array(s.getStarts()), b = array(s.getEnds()),
                    st = array(s.getSteps());
        return viaShape(llvm::formatv("sliceShape(c, {0}, {1}, {2}, {3}, s)",
                                      sh(s.getInput()), a, b, st)
                            .str());
      })
      .Case([&](DynamicSliceOp s) {
        int64_t rank = typeOf(s.getInput()).getRank();
        cs << "  OP_TRY(x.checkLength(" << id(s.getStarts()) << ", " << rank
           << ", \"dynamic_slice starts\"));\n";
        cs << "  OP_TRY(x.checkLength(" << id(s.getEnds()) << ", " << rank
           << ", \"dynamic_slice ends\"));\n";
        cs << "  OP_TRY(x.checkLength(" << id(s.getSteps()) << ", " << rank
           << ", \"dynamic_slice steps\"));\n";
        return viaShape(
            llvm::formatv("sliceShape(c, {0}, {1}.as<int64_t>(), "
                          "{2}.as<int64_t>(), {3}.as<int64_t>(), s)",
                          sh(s.getInput()), ref(s.getStarts()),
                          ref(s.getEnds()), ref(s.getSteps()))
                .str());
      })
      .Case([&](GatherOp g) {
        return viaShape(llvm::formatv("gatherShape(c, {0}, {1}, {2}, s)",
                                      sh(g.getInput()), sh(g.getIndices()),
                                      g.getAxis())
                            .str());
      })
      .Case([&](GatherElementsOp g) { return same(g.getIndices()); })
      .Case([&](GatherNdOp g) {
        return viaShape(llvm::formatv("gatherNdShape(c, {0}, {1}, {2}, s)",
                                      sh(g.getInput()), sh(g.getIndices()),
                                      g.getBatchDims())
                            .str());
      })
      .Case([&](RangeOp r) {
        return viaShape(llvm::formatv("rangeShape(c, {0}, {1}, {2}, s)",
                                      ref(r.getStart()), ref(r.getLimit()),
                                      ref(r.getDelta()))
                            .str());
      })
      .Case([&](TopKOp t) {
        cs << "  { Shape s; OP_TRY(topKShape(c, " << sh(t.getInput()) << ", "
           << t.getK() << ", " << t.getAxis() << ", s)); OP_TRY(x.setShape("
           << id(t.getValues()) << ", s, " << declared(t.getValues())
           << ")); OP_TRY(x.setShape(" << id(t.getIndices()) << ", s, "
           << declared(t.getIndices()) << ")); }\n";
        return success();
      })
      .Case([&](FusedElementwiseOp f) {
        cs << "  { Shape s = " << sh(f.getInputs()[0]) << ";";
        for (Value in : f.getInputs().drop_front())
          cs << " OP_TRY(broadcastShape(c, s, " << sh(in) << ", s));";
        for (Value r : f.getResults())
          cs << " OP_TRY(x.setShape(" << id(r) << ", s, " << declared(r)
             << "));";
        cs << " }\n";
        return success();
      })
      .Case([&](AttentionOp a) {
        cs << "  { const Shape &q = " << sh(a.getQuery())
           << ", &vv = " << sh(a.getValue())
           << "; if (q.rank != 4 || vv.rank != 4) return x.opFailed(op, "
           << "\"query and value must be 4-D\");"
           << " OP_TRY(x.setShape(" << id(a.getResult())
           << ", Shape{q[0], q[1], q[2], vv[3]}, " << declared(a.getResult())
           << ")); }\n";
        return success();
      })
      .Default([&](Operation *op) {
        return op->emitOpError("has dynamic result shapes the CPU backend "
                               "cannot compute");
      });
}

LogicalResult Emitter::emitKernel(Operation *op, std::string &code) {
  llvm::raw_string_ostream cs(code);
  std::string what = describe(op);
  auto call = [&](StringRef expr) {
    cs << "  if (!" << expr << ") return x.opFailed(" << what << ");\n";
    return success();
  };
  auto unary = [&](StringRef kind) {
    return call(llvm::formatv("unary(c, UnaryOp::{0}, {1}, {2})", kind,
                              ref(op->getOperand(0)), ref(op->getResult(0)))
                    .str());
  };
  auto binary = [&](StringRef kind) {
    return call(llvm::formatv("binary(c, BinaryOp::{0}, {1}, {2}, {3})", kind,
                              ref(op->getOperand(0)), ref(op->getOperand(1)),
                              ref(op->getResult(0)))
                    .str());
  };
  auto reduce = [&](StringRef kind) {
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
    auto keepAttr = op->getAttrOfType<BoolAttr>("keepdims");
    bool keep = keepAttr ? keepAttr.getValue() : true;
    std::string a = array(axes.asArrayRef());
    return call(
        llvm::formatv("reduce(c, ReduceOp::{0}, {1}, {2}, {3}, {4}, {5})", kind,
                      ref(op->getOperand(0)), a, axes.size(), keep,
                      ref(op->getResult(0)))
            .str());
  };

  // The kernel comes from the op's #kestrel.impl (a reshape that aliases
  // its operand has none: it runs nothing).
  ImplAttr impl;
  if (!(isa<ReshapeOp>(op) &&
        plan.of(op->getResult(0)).storage == ValueStorage::Alias)) {
    FailureOr<ImplAttr> checked = checkedImpl(op);
    if (failed(checked))
      return failure();
    impl = *checked;
  }

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](NegOp) { return unary("Neg"); })
      .Case([&](AbsOp) { return unary("Abs"); })
      .Case([&](ReluOp) { return unary("Relu"); })
      .Case([&](SqrtOp) { return unary("Sqrt"); })
      .Case([&](RsqrtOp) { return unary("Rsqrt"); })
      .Case([&](ReciprocalOp) { return unary("Reciprocal"); })
      .Case([&](ExpOp) { return unary("Exp"); })
      .Case([&](LogOp) { return unary("Log"); })
      .Case([&](ErfOp) { return unary("Erf"); })
      .Case([&](TanhOp) { return unary("Tanh"); })
      .Case([&](SinOp) { return unary("Sin"); })
      .Case([&](CosOp) { return unary("Cos"); })
      .Case([&](SigmoidOp) { return unary("Sigmoid"); })
      .Case([&](SiluOp) { return unary("Silu"); })
      .Case([&](NotOp) { return unary("Not"); })
      .Case([&](GeluOp g) {
        return unary(g.getApproximate() ? "GeluTanh" : "Gelu");
      })
      .Case([&](AddOp) { return binary("Add"); })
      .Case([&](SubOp) { return binary("Sub"); })
      .Case([&](MulOp) { return binary("Mul"); })
      .Case([&](DivOp) { return binary("Div"); })
      .Case([&](PowOp) { return binary("Pow"); })
      .Case([&](MaxOp) { return binary("Max"); })
      .Case([&](MinOp) { return binary("Min"); })
      .Case([&](EqualOp) { return binary("Equal"); })
      .Case([&](NotEqualOp) { return binary("NotEqual"); })
      .Case([&](LessOp) { return binary("Less"); })
      .Case([&](LessEqualOp) { return binary("LessEqual"); })
      .Case([&](GreaterOp) { return binary("Greater"); })
      .Case([&](GreaterEqualOp) { return binary("GreaterEqual"); })
      .Case([&](AndOp) { return binary("And"); })
      .Case([&](OrOp) { return binary("Or"); })
      .Case([&](XorOp) { return binary("Xor"); })
      .Case([&](WhereOp w) {
        return call(llvm::formatv("where(c, {0}, {1}, {2}, {3})",
                                  ref(w.getCondition()), ref(w.getTrueValue()),
                                  ref(w.getFalseValue()), ref(w.getResult()))
                        .str());
      })
      .Case([&](CastOp cast) {
        return call(llvm::formatv("cast(c, {0}, {1})", ref(cast.getInput()),
                                  ref(cast.getResult()))
                        .str());
      })
      .Case([&](MatmulOp m) {
        std::string extra;
        if (cuda() && !emittingHost)
          extra = ", nullptr, " + gemmChoice(m, impl);
        return call(llvm::formatv("matmul(c, {0}, {1}, {2}, {3}, {4}{5})",
                                  ref(m.getLhs()), ref(m.getRhs()),
                                  m.getTransposeA(), m.getTransposeB(),
                                  ref(m.getResult()), extra)
                        .str());
      })
      .Case([&](FusedMatmulOp m) {
        StringRef act = llvm::StringSwitch<StringRef>(m.getActivation())
                            .Case("relu", "Relu")
                            .Case("gelu", "Gelu")
                            .Case("gelu_tanh", "GeluTanh")
                            .Case("silu", "Silu")
                            .Default("None");
        // Both kernel namespaces are in scope in CUDA models: qualify.
        StringRef ns =
            cuda() && !emittingHost ? "kestrel::cuda::" : "kestrel::cpu::";
        cs << "  { " << ns << "GemmEpilogue e; e.alpha = "
           << floatLiteral(m.getAlpha().convertToFloat())
           << "; e.activation = " << ns << "Activation::" << act << ";";
        if (m.getBias())
          cs << " e.bias = &" << ref(m.getBias()) << ";";
        if (m.getResidual())
          cs << " e.residual = &" << ref(m.getResidual()) << ";";
        cs << "\n  ";
        std::string extra = cuda() && !emittingHost ? ", " + gemmChoice(m, impl)
                                                    : std::string();
        LogicalResult emitted = call(
            llvm::formatv("matmul(c, {0}, {1}, {2}, {3}, {4}, &e{5})",
                          ref(m.getLhs()), ref(m.getRhs()), m.getTransposeA(),
                          m.getTransposeB(), ref(m.getResult()), extra)
                .str());
        cs << "  }\n";
        return emitted;
      })
      .Case([&](SoftmaxOp s) {
        return call(llvm::formatv("softmax(c, {0}, {1}, false, {2})",
                                  ref(s.getInput()), s.getAxis(),
                                  ref(s.getResult()))
                        .str());
      })
      .Case([&](LogSoftmaxOp s) {
        return call(llvm::formatv("softmax(c, {0}, {1}, true, {2})",
                                  ref(s.getInput()), s.getAxis(),
                                  ref(s.getResult()))
                        .str());
      })
      .Case([&](ReduceSumOp) { return reduce("Sum"); })
      .Case([&](ReduceMeanOp) { return reduce("Mean"); })
      .Case([&](ReduceMaxOp) { return reduce("Max"); })
      .Case([&](ReduceMinOp) { return reduce("Min"); })
      .Case([&](ReshapeOp r) {
        // Aliases share their operand's data; a reshape that is not an alias
        // (an output or a host value) copies.
        if (plan.of(r.getResult()).storage == ValueStorage::Alias)
          return success();
        return call(llvm::formatv("copy(c, {0}, {1})", ref(r.getInput()),
                                  ref(r.getResult()))
                        .str());
      })
      .Case([&](ExpandOp e) {
        return call(llvm::formatv("expand(c, {0}, {1})", ref(e.getInput()),
                                  ref(e.getResult()))
                        .str());
      })
      .Case([&](TransposeOp t) {
        std::string p = array(t.getPermutation());
        return call(llvm::formatv("transpose(c, {0}, {1}, {2})",
                                  ref(t.getInput()), p, ref(t.getResult()))
                        .str());
      })
      .Case([&](ConcatOp cat) {
        cs << "  { const Tensor in[] = {";
        for (auto [i, v] : llvm::enumerate(cat.getInputs()))
          cs << (i ? ", " : "") << ref(v);
        cs << "};\n  ";
        LogicalResult emitted =
            call(llvm::formatv("concat(c, in, {0}, {1}, {2})",
                               cat.getInputs().size(), cat.getAxis(),
                               ref(cat.getResult()))
                     .str());
        cs << "  }\n";
        return emitted;
      })
      .Case([&](SplitOp split) {
        cs << "  { Tensor out[] = {";
        for (auto [i, r] : llvm::enumerate(split.getResults()))
          cs << (i ? ", " : "") << ref(r);
        cs << "};\n  ";
        (void)call(llvm::formatv("split(c, {0}, {1}, out, {2})",
                                 ref(split.getInput()), split.getAxis(),
                                 split.getNumResults())
                       .str());
        cs << "  }\n";
        return success();
      })
      .Case([&](SliceOp s) {
        std::string a = array(s.getStarts()), b = array(s.getEnds()),
                    st = array(s.getSteps());
        return call(llvm::formatv("slice(c, {0}, {1}, {2}, {3}, {4})",
                                  ref(s.getInput()), a, b, st,
                                  ref(s.getResult()))
                        .str());
      })
      .Case([&](DynamicSliceOp s) {
        return call(
            llvm::formatv("slice(c, {0}, {1}.as<int64_t>(), {2}.as<int64_t>(), "
                          "{3}.as<int64_t>(), {4})",
                          ref(s.getInput()), hostRef(s.getStarts()),
                          hostRef(s.getEnds()), hostRef(s.getSteps()),
                          ref(s.getResult()))
                .str());
      })
      .Case([&](GatherOp g) {
        return call(llvm::formatv("gather(c, {0}, {1}, {2}, {3})",
                                  ref(g.getInput()), ref(g.getIndices()),
                                  g.getAxis(), ref(g.getResult()))
                        .str());
      })
      .Case([&](GatherElementsOp g) {
        return call(llvm::formatv("gatherElements(c, {0}, {1}, {2}, {3})",
                                  ref(g.getInput()), ref(g.getIndices()),
                                  g.getAxis(), ref(g.getResult()))
                        .str());
      })
      .Case([&](GatherNdOp g) {
        return call(llvm::formatv("gatherNd(c, {0}, {1}, {2}, {3})",
                                  ref(g.getInput()), ref(g.getIndices()),
                                  g.getBatchDims(), ref(g.getResult()))
                        .str());
      })
      .Case([&](ShapeOfOp s) {
        return call(llvm::formatv("shapeOf(c, {0}.shape, {1})",
                                  ref(s.getInput()), ref(s.getResult()))
                        .str());
      })
      .Case([&](RangeOp r) {
        return call(llvm::formatv("range(c, {0}, {1}, {2}, {3})",
                                  hostRef(r.getStart()), hostRef(r.getLimit()),
                                  hostRef(r.getDelta()), ref(r.getResult()))
                        .str());
      })
      .Case([&](TopKOp t) {
        return call(llvm::formatv("topK(c, {0}, {1}, {2}, {3}, {4}, {5})",
                                  ref(t.getInput()), t.getK(), t.getAxis(),
                                  t.getLargest(), ref(t.getValues()),
                                  ref(t.getIndices()))
                        .str());
      })
      .Case([&](RmsNormOp n) {
        return call(llvm::formatv("rmsNorm(c, {0}, {1}, {2}, {3}, {4})",
                                  ref(n.getInput()), ref(n.getWeight()),
                                  n.getAxis(),
                                  floatLiteral(n.getEpsilon().convertToFloat()),
                                  ref(n.getResult()))
                        .str());
      })
      .Case([&](LayerNormOp n) {
        std::string bias =
            n.getBias() ? "&" + ref(n.getBias()) : std::string("nullptr");
        return call(llvm::formatv("layerNorm(c, {0}, {1}, {2}, {3}, {4}, {5})",
                                  ref(n.getInput()), ref(n.getScale()), bias,
                                  n.getAxis(),
                                  floatLiteral(n.getEpsilon().convertToFloat()),
                                  ref(n.getResult()))
                        .str());
      })
      .Case([&](AddRmsNormOp n) {
        return call(
            llvm::formatv("addRmsNorm(c, {0}, {1}, {2}, {3}, {4}, {5}, {6})",
                          ref(n.getInput()), ref(n.getResidual()),
                          ref(n.getWeight()), n.getAxis(),
                          floatLiteral(n.getEpsilon().convertToFloat()),
                          ref(n.getSum()), ref(n.getResult()))
                .str());
      })
      .Case([&](AddLayerNormOp n) {
        std::string bias =
            n.getBias() ? "&" + ref(n.getBias()) : std::string("nullptr");
        return call(
            llvm::formatv(
                "addLayerNorm(c, {0}, {1}, {2}, {3}, {4}, {5}, {6}, {7})",
                ref(n.getInput()), ref(n.getResidual()), ref(n.getScale()),
                bias, n.getAxis(),
                floatLiteral(n.getEpsilon().convertToFloat()), ref(n.getSum()),
                ref(n.getResult()))
                .str());
      })
      .Case([&](RopeOp r) {
        int64_t rotary = r.getRotaryDim() ? int64_t(*r.getRotaryDim()) : 0;
        return call(llvm::formatv("rope(c, {0}, {1}, {2}, {3}, {4}, {5})",
                                  ref(r.getInput()), ref(r.getCos()),
                                  ref(r.getSin()), r.getInterleaved(), rotary,
                                  ref(r.getResult()))
                        .str());
      })
      .Case([&](AttentionOp a) {
        std::string mask =
            a.getMask() ? "&" + ref(a.getMask()) : std::string("nullptr");
        float scale = a.getScale() ? a.getScale()->convertToFloat() : 0.0f;
        return call(
            llvm::formatv("attention(c, {0}, {1}, {2}, {3}, {4}, {5}, {6}, "
                          "{7}, {8})",
                          ref(a.getQuery()), ref(a.getKey()), ref(a.getValue()),
                          mask, floatLiteral(scale), a.getCausal(),
                          a.getNumHeads().value_or(0),
                          a.getNumKvHeads().value_or(0), ref(a.getResult()))
                .str());
      })
      .Case([&](FusedElementwiseOp f) -> LogicalResult {
        // The operands as arrays, then the call: the CPU driver with a
        // generated block function, or a generated CUDA launcher.
        auto callWithArrays = [&](const std::string &expr) {
          cs << "  { const Tensor in[] = {";
          for (auto [i, v] : llvm::enumerate(f.getInputs()))
            cs << (i ? ", " : "") << ref(v);
          cs << "};\n    Tensor out[] = {";
          for (auto [i, v] : llvm::enumerate(f.getResults()))
            cs << (i ? ", " : "") << ref(v);
          cs << "};\n  ";
          LogicalResult emitted = call(expr);
          cs << "  }\n";
          return emitted;
        };
        if (!cuda() || emittingHost) {
          FailureOr<codegen::cpu::FusedBlock> block =
              codegen::cpu::generateFusedBlock(op);
          if (failed(block))
            return failure();
          cpuBlocks.try_emplace(block->function, block->source);
          return callWithArrays(
              llvm::formatv("fusedElementwise(c, \"fused_elementwise\", in, "
                            "{0}, out, {1}, {2})",
                            f.getInputs().size(), f.getNumResults(),
                            block->function)
                  .str());
        }
        SmallVector<Type> ins, outs;
        for (Value v : f.getInputs())
          ins.push_back(devTypes[id(v)]);
        for (Value v : f.getResults())
          outs.push_back(devTypes[id(v)]);
        FailureOr<cuda::FusedKernel> kernel =
            cuda::generateFusedKernel(op, ins, outs);
        if (failed(kernel))
          return failure();
        fused.try_emplace(kernel->function, kernel->source);
        return callWithArrays("kestrel::cuda::instances::" + kernel->function +
                              "(c, in, out)");
      })
      .Default([&](Operation *op) {
        return op->emitOpError("is not supported by the ")
               << (cuda() ? "CUDA" : "CPU") << " backend yet";
      });
}

/// Emits a constant's data table; returns the C++ array name.
std::string emitConstantData(llvm::raw_ostream &os, int64_t index,
                             DenseElementsAttr attr) {
  unsigned width = attr.getElementType().isInteger(1)
                       ? 1
                       : attr.getElementType().getIntOrFloatBitWidth() / 8;
  std::vector<uint8_t> bytes;
  if (attr.getNumElements() == 0) {
    bytes.assign(width, 0); // never read; keeps the table non-empty
  } else if (attr.isSplat()) {
    if (attr.getElementType().isInteger(1)) {
      bytes.push_back(attr.getSplatValue<bool>() ? 1 : 0);
    } else {
      ArrayRef<char> raw = attr.getRawData();
      bytes.assign(raw.begin(), raw.begin() + width);
    }
  } else {
    bytes = denseBytes(attr);
  }
  std::string name = llvm::formatv("c{0}", index);
  StringRef word = width == 8   ? "uint64_t"
                   : width == 4 ? "uint32_t"
                   : width == 2 ? "uint16_t"
                                : "uint8_t";
  os << "alignas(64) const " << word << " " << name << "[] = {";
  size_t n = bytes.size() / width;
  for (size_t i = 0; i < n; ++i) {
    uint64_t w = 0;
    std::memcpy(&w, bytes.data() + i * width, width);
    os << (i % 8 ? " " : "\n    ") << llvm::format_hex(w, 2 + 2 * width)
       << (width == 8 ? "ULL" : "u") << ",";
  }
  os << "\n};\n";
  return name;
}

LogicalResult Emitter::emit(CpuEmitResult &result) {
  Block &body = func.getBody().front();

  // Kernel code first: it decides the attribute arrays.
  std::string shapes, kernels;
  for (Operation &op : body.without_terminator()) {
    if (isa<ConstantOp, WeightOp>(op))
      continue;
    bool host = llvm::any_of(op.getResults(), [&](Value r) {
      return plan.of(r).storage == ValueStorage::Host;
    });
    std::string shapeCode;
    bool checked = false;
    if (failed(emitShapes(&op, shapeCode, checked)))
      return failure();
    // Shape failures name the op too.
    if (checked) {
      shapeCode = "  {\n  const char *op = " + describe(&op) + ";\n" +
                  shapeCode + "  }\n";
    } else {
      shapeCode =
          "  // " + op.getName().getStringRef().str() + "\n" + shapeCode;
    }
    shapes += shapeCode;
    std::string &target = host ? shapes : kernels;
    if (host)
      for (Value r : op.getResults())
        target += llvm::formatv("  TRY(x.allocHost({0}));\n", id(r)).str();
    emittingHost = host;
    if (failed(emitKernel(&op, target)))
      return failure();
    emittingHost = false;
    ++result.numKernelCalls;
  }

  const char *cpuLevelName = runtime::cpuLevelName(options.cpuLevel);
  os << "// Generated by kestrelc";
  if (!options.source.empty())
    os << " from " << options.source;
  os << ". Do not edit.\n//\n// Model '" << options.name
     << "': " << plan.values.size() << " values, " << result.numKernelCalls
     << " kernel calls; arena "
     << (plan.isStatic ? std::to_string(plan.arenaBytes) +
                             " bytes planned at compile time"
                       : std::string("planned at run time (symbolic dims)"))
     << ".\n// Built for the x86-64 level " << cpuLevelName
     << " (kestrelc --cpu): compile it with -march=" << cpuLevelName
     << " and link\n// the kernels built for it; the runtime refuses it on a "
        "CPU without that level.\n\n"
     << (cuda() ? "#include \"kernels/cuda/Kernels.h\"\n"
                  "#include \"runtime/cuda/CudaBackend.h\"\n"
                : "")
     << (cpuBlocks.empty() ? "" : "#include \"kernels/cpu/VectorMath.h\"\n")
     << "#include \"runtime/ModelDef.h\"\n\n"
     << "#include <cstdint>\n"
     << (cpuBlocks.empty() ? "" : "#include <limits>\n") << "\n";
  if (!gemms.empty() || !fused.empty()) {
    // Defined in the model's kernel sources (kernels/*.cu): GEMMs one per
    // tile configuration, generated kernels one per fused_elementwise body;
    // shared (and cached) across models.
    os << "namespace kestrel::cuda::instances {\n";
    for (const GemmInstance &g : gemms)
      os << "bool " << g.function << "(Context &, const GemmArgs &);\n";
    for (const auto &[function, source] : fused)
      os << "bool " << function
         << "(Context &, const Tensor *inputs, Tensor *outputs);\n";
    os << "} // namespace kestrel::cuda::instances\n\n";
  }
  os << "// A named namespace (not an anonymous one) so that several emitted\n"
     << "// models can share one translation unit.\n"
     << "namespace kestrel_model_" << options.name << " {\n\n"
     << "using namespace kestrel::cpu;\n"
     << (cuda() ? "using namespace kestrel::cuda;\n" : "")
     << "using namespace kestrel::runtime;\n\n"
     << "#ifndef KESTREL_EMITTED_MACROS\n"
     << "#define KESTREL_EMITTED_MACROS\n"
     << "#define TRY(expr)                                                    "
        "  \\\n"
     << "  do {                                                             "
        "  \\\n"
     << "    if (!(expr))                                                   "
        "  \\\n"
     << "      return false;                                                "
        "  \\\n"
     << "  } while (0)\n"
     << "#define OP_TRY(expr)                                                 "
        "  \\\n"
     << "  do {                                                             "
        "  \\\n"
     << "    if (!(expr))                                                   "
        "  \\\n"
     << "      return x.opFailed(op);                                       "
        "  \\\n"
     << "  } while (0)\n"
     << "#endif\n\n";

  if (!cpuBlocks.empty()) {
    for (const auto &[function, source] : cpuBlocks)
      os << source << "\n";
  }
  if (failed(emitTables(result)))
    return failure();

  for (const std::string &a : arrays)
    os << a << "\n";
  os << "\nbool inferShapes(Exec &x) {\n"
     << "  kestrel::cpu::Context &c = x.ctx;\n"
     << "  std::vector<Tensor> &v = x.v;\n"
     << "  (void)c;\n  (void)v;\n"
     << shapes << "  return true;\n}\n\n";
  if (cuda())
    os << "// Launches every kernel on the session's stream over device\n"
       << "// tensors (v); h holds the host tensors of shape operands.\n"
       << "bool execute(Exec &x) {\n"
       << "  kestrel::cuda::Context &c = *x.cuda;\n"
       << "  std::vector<Tensor> &v = x.d;\n"
       << "  std::vector<Tensor> &h = x.v;\n"
       << "  (void)c;\n  (void)v;\n  (void)h;\n"
       << kernels << "  return true;\n}\n\n";
  else
    os << "bool execute(Exec &x) {\n"
       << "  kestrel::cpu::Context &c = x.ctx;\n"
       << "  std::vector<Tensor> &v = x.v;\n"
       << "  (void)c;\n  (void)v;\n"
       << kernels << "  return true;\n}\n\n";
  result.gemms.assign(gemms.begin(), gemms.end());
  result.fusedKernels.assign(fused.begin(), fused.end());

  os << "extern \"C\" KESTREL_API const kestrel_model_def *" << options.name
     << "_model(void) {\n"
     << "  static const kestrel_model_def def = {\n"
     << "      kModelAbiVersion,\n      KESTREL_RUNTIME_VERSION,\n      "
     << cString(options.name) << ",\n      "
     << llvm::format_hex(options.modelHash, 18) << "ULL,\n"
     << "      int32_t(sizeof(symbols) / sizeof(symbols[0])) - 1, symbols,\n"
     << "      " << func.getNumArguments() << ", inputs,\n"
     << "      " << func.getNumResults() << ", outputs,\n"
     << "      " << result.weights.size()
     << (result.weights.empty() ? ", nullptr,\n" : ", weights,\n")
     << "      int32_t(sizeof(constants) / sizeof(constants[0])) - 1, "
        "constants,\n"
     << "      " << plan.values.size() << ", values,\n"
     << "      " << (plan.isStatic ? "staticOffsets" : "nullptr") << ", "
     << (plan.isStatic ? plan.arenaBytes : 0) << ",\n"
     << "      inferShapes,\n      execute,\n"
     << (cuda() ? "      &kCudaBackend,\n      deviceDtypes,\n"
                : "      nullptr,\n      nullptr,\n")
     << "      " << hostReads.size() << ", "
     << (hostReads.empty() ? "nullptr" : "hostReads") << ",\n"
     << "      "
     << (cuda() ? cString(llvm::join(options.archs, ",")) : "nullptr") << ",\n"
     << "      " << static_cast<uint32_t>(options.cpuLevel) << ", // "
     << cpuLevelName << "\n"
     << "  };\n  return &def;\n}\n\n"
     << "} // namespace kestrel_model_" << options.name << "\n";
  return success();
}

LogicalResult Emitter::emitTables(CpuEmitResult &result) {
  Block &body = func.getBody().front();

  // Symbolic dims of the inputs (named ones shared, unnamed ones each their
  // own) with their ranges.
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> symbols;
  std::map<std::string, int> symbolIndex;
  std::string inputs;
  for (BlockArgument arg : body.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto type = typeOf(arg);
    auto nameAttr = func.getArgAttrOfType<StringAttr>(i, "kestrel.name");
    std::string name = nameAttr ? nameAttr.getValue().str()
                                : llvm::formatv("input{0}", i).str();
    auto dimNames = func.getArgAttrOfType<ArrayAttr>(i, "kestrel.dim_names");
    std::vector<int64_t> syms;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d)) {
        syms.push_back(-1);
        continue;
      }
      std::string dimName;
      if (dimNames && d < static_cast<int64_t>(dimNames.size()))
        if (auto s = dyn_cast<StringAttr>(dimNames[d]))
          dimName = s.getValue().str();
      if (dimName.empty())
        dimName = llvm::formatv("{0}[{1}]", name, d).str();
      auto [it, inserted] = symbolIndex.try_emplace(dimName, symbols.size());
      if (inserted) {
        std::pair<int64_t, int64_t> range{1, kDefaultDimMax};
        if (auto r = options.dimRanges.find(dimName);
            r != options.dimRanges.end())
          range = r->second;
        symbols.push_back({dimName, range});
      }
      syms.push_back(it->second);
    }
    os << "const int64_t in" << i
       << "_dims[] = " << (type.getRank() ? dimsList(type.getShape()) : "{0}")
       << ";\n";
    os << "const int32_t in" << i
       << "_symbols[] = " << (syms.empty() ? std::string("{0}") : i64List(syms))
       << ";\n";
    inputs += llvm::formatv("    {{{0}, {1}, {2}, in{3}_dims, in{3}_symbols, "
                            "{4}},\n",
                            cString(name), *dtypeOf(type.getElementType()),
                            type.getRank(), i, id(arg))
                  .str();
  }
  for (const auto &[name, range] : options.dimRanges)
    if (!symbolIndex.count(name))
      return func.emitError("--dim-range names '")
             << name << "', which is no symbolic dim of the model's inputs";
  os << "const DimSymbol symbols[] = {\n";
  for (const auto &[name, range] : symbols)
    os << "    {" << cString(name) << ", " << range.first << ", "
       << range.second << "},\n";
  os << "    {nullptr, 0, 0}};\n";
  os << "const IoDesc inputs[] = {\n"
     << inputs << "    {nullptr, DType::F32, 0, nullptr, nullptr, -1}};\n";

  auto ret = cast<func::ReturnOp>(body.getTerminator());
  std::string outputs;
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto type = typeOf(v);
    auto nameAttr = func.getResultAttrOfType<StringAttr>(i, "kestrel.name");
    std::string name = nameAttr ? nameAttr.getValue().str()
                                : llvm::formatv("output{0}", i).str();
    os << "const int64_t out" << i
       << "_dims[] = " << (type.getRank() ? dimsList(type.getShape()) : "{0}")
       << ";\n";
    outputs +=
        llvm::formatv("    {{{0}, {1}, {2}, out{3}_dims, nullptr, {4}},\n",
                      cString(name), *dtypeOf(type.getElementType()),
                      type.getRank(), i, id(v))
            .str();
  }
  os << "const IoDesc outputs[] = {\n"
     << outputs << "    {nullptr, DType::F32, 0, nullptr, nullptr, -1}};\n";

  // Weights (by name, once each) and constants.
  std::map<std::string, int64_t> weightIndex;
  std::vector<int64_t> valueIndex(plan.values.size(), -1);
  std::string weightTable, constantTable;
  int64_t numConstants = 0;
  for (Operation &op : body) {
    if (auto w = dyn_cast<WeightOp>(op)) {
      auto [it, inserted] =
          weightIndex.try_emplace(w.getName().str(), result.weights.size());
      if (inserted) {
        auto type = typeOf(w.getResult());
        int64_t k = result.weights.size();
        Type stored =
            cuda() ? devTypes[id(w.getResult())] : type.getElementType();
        result.weights.push_back(w.getName().str());
        result.weightTypes.push_back(stored);
        os << "const int64_t w" << k << "_dims[] = "
           << (type.getRank() ? dimsList(type.getShape()) : "{0}") << ";\n";
        weightTable += llvm::formatv("    {{{0}, {1}, {2}, w{3}_dims},\n",
                                     cString(w.getName()), *dtypeOf(stored),
                                     type.getRank(), k)
                           .str();
      }
      valueIndex[id(w.getResult())] = it->second;
    } else if (auto c = dyn_cast<ConstantOp>(op)) {
      auto attr = dyn_cast<DenseElementsAttr>(c.getValue());
      if (!attr)
        return c.emitOpError("holds a non-dense literal the CPU backend "
                             "cannot emit");
      auto type = typeOf(c.getResult());
      int64_t k = numConstants++;
      std::string data = emitConstantData(os, k, attr);
      os << "const int64_t k" << k
         << "_dims[] = " << (type.getRank() ? dimsList(type.getShape()) : "{0}")
         << ";\n";
      constantTable +=
          llvm::formatv("    {{{0}, {1}, k{2}_dims, {3}, {4}},\n",
                        *dtypeOf(type.getElementType()), type.getRank(), k,
                        data, attr.isSplat() ? "true" : "false")
              .str();
      valueIndex[id(c.getResult())] = k;
    }
  }
  if (!result.weights.empty())
    os << "const WeightDesc weights[] = {\n" << weightTable << "};\n";
  os << "const ConstantDesc constants[] = {\n"
     << constantTable << "    {DType::F32, 0, nullptr, nullptr, false}};\n";

  // Values.
  os << "const ValueDesc values[] = {\n";
  for (auto [i, p] : llvm::enumerate(plan.values)) {
    FailureOr<StringRef> dtype = dtypeOf(typeOf(p.value).getElementType());
    if (failed(dtype))
      return emitError(p.value.getLoc())
             << "the CPU backend has no element type for " << p.value.getType();
    int64_t index = p.index;
    StringRef storage;
    switch (p.storage) {
    case ValueStorage::Input:
      storage = "Input";
      break;
    case ValueStorage::Weight:
      storage = "Weight";
      index = valueIndex[i];
      break;
    case ValueStorage::Constant:
      storage = "Constant";
      index = valueIndex[i];
      break;
    case ValueStorage::Host:
      storage = "Host";
      break;
    case ValueStorage::Arena:
      storage = "Arena";
      break;
    case ValueStorage::Output:
      storage = "Output";
      break;
    case ValueStorage::Alias:
      storage = "Alias";
      break;
    }
    os << "    {Storage::" << storage << ", " << *dtype << ", " << index << ", "
       << p.first << ", " << p.last << "},\n";
  }
  os << "};\n";
  if (!hostReads.empty()) {
    os << "const int32_t hostReads[] = {";
    for (auto [i, id] : llvm::enumerate(hostReads))
      os << (i ? ", " : "") << id;
    os << "};\n";
  }
  if (cuda()) {
    os << "const DType deviceDtypes[] = {";
    for (auto [i, t] : llvm::enumerate(devTypes))
      os << (i % 8 ? " " : "\n    ") << *dtypeOf(t) << ",";
    os << "\n};\n";
  }
  if (plan.isStatic) {
    os << "const int64_t staticOffsets[] = {";
    for (auto [i, p] : llvm::enumerate(plan.values))
      os << (i % 16 ? " " : "\n    ") << std::max<int64_t>(p.offset, 0) << ",";
    os << "\n};\n";
  }
  return success();
}

} // namespace

std::vector<uint8_t> denseBytes(DenseElementsAttr attr) {
  Type element = attr.getElementType();
  int64_t n = attr.getNumElements();
  std::vector<uint8_t> out;
  if (element.isInteger(1)) {
    out.reserve(n);
    for (bool b : attr.getValues<bool>())
      out.push_back(b ? 1 : 0);
    return out;
  }
  size_t width = element.getIntOrFloatBitWidth() / 8;
  ArrayRef<char> raw = attr.getRawData();
  out.resize(n * width);
  if (attr.isSplat()) {
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(out.data() + i * width, raw.data(), width);
  } else {
    std::memcpy(out.data(), raw.data(), out.size());
  }
  return out;
}

uint64_t modelHash(StringRef irText, StringRef target) {
  return runtime::checksum64(irText.data(), irText.size()) *
             0x9E3779B97F4A7C15ull ^
         runtime::checksum64(target.data(), target.size());
}

uint64_t modelHash(ModuleOp module, StringRef target) {
  // A copy without the source path: the same model from another file (or
  // re-saved with its weights as external data) is the same architecture.
  OwningOpRef<ModuleOp> copy = module.clone();
  (*copy)->removeAttr("kestrel.source");
  std::string text;
  llvm::raw_string_ostream os(text);
  copy->print(os, OpPrintingFlags().elideLargeElementsAttrs(0));
  return modelHash(text, target);
}

/// The weights file's element type for an IR element type.
static FailureOr<DType> storedElementType(Type e) {
  if (e.isF32())
    return DType::F32;
  if (e.isF16())
    return DType::F16;
  if (e.isBF16())
    return DType::BF16;
  if (isa<Float8E4M3FNType>(e))
    return DType::F8E4M3FN;
  if (e.isInteger(64))
    return DType::I64;
  if (e.isInteger(32))
    return DType::I32;
  if (e.isInteger(1))
    return DType::I1;
  return failure();
}

/// The stored type of weight `i`: storedTypes[i], else `declared`.
static Type storedTypeOf(ArrayRef<Type> storedTypes, size_t i, Type declared) {
  return i < storedTypes.size() && storedTypes[i] ? storedTypes[i] : declared;
}

bool addWeights(ArrayRef<std::string> names, ArrayRef<Type> storedTypes,
                const std::map<std::string, DenseElementsAttr> &weights,
                runtime::WeightsWriter &writer, uint64_t &bytes,
                std::string &error) {
  for (auto [i, name] : llvm::enumerate(names)) {
    auto it = weights.find(name);
    if (it == weights.end()) {
      error = "no data for weight '" + name + "'";
      return false;
    }
    auto type = cast<RankedTensorType>(it->second.getType());
    FailureOr<DType> from = storedElementType(type.getElementType());
    FailureOr<DType> to =
        storedElementType(storedTypeOf(storedTypes, i, type.getElementType()));
    if (failed(from) || failed(to)) {
      error = "weight '" + name +
              "' has an element type the weights file "
              "cannot store";
      return false;
    }
    std::vector<uint8_t> data = denseBytes(it->second);
    if (*to != *from) {
      std::vector<uint8_t> converted(type.getNumElements() *
                                     kestrel::dtypeSize(*to));
      if (!runtime::convertElements(*from, data.data(), *to, converted.data(),
                                    type.getNumElements(), error)) {
        error = "weight '" + name + "': " + error;
        return false;
      }
      data = std::move(converted);
    }
    if (!writer.add(name, *to, type.getShape().vec(), data.data(), data.size(),
                    error))
      return false;
    bytes += data.size();
  }
  return true;
}

bool addWeights(ArrayRef<std::string> names,
                const std::map<std::string, DenseElementsAttr> &weights,
                runtime::WeightsWriter &writer, uint64_t &bytes,
                std::string &error) {
  return addWeights(names, {}, weights, writer, bytes, error);
}

FailureOr<runtime::WeightsManifest>
weightsManifest(ModuleOp module, const CpuEmitResult &emitted, StringRef name,
                uint64_t modelHash, StringRef source) {
  std::map<std::string, WeightOp> ops;
  module.walk([&](WeightOp w) { ops.try_emplace(w.getName().str(), w); });
  runtime::WeightsManifest manifest;
  manifest.model = name.str();
  manifest.modelHash = modelHash;
  manifest.source = source.str();
  for (auto [i, weight] : llvm::enumerate(emitted.weights)) {
    auto it = ops.find(weight);
    if (it == ops.end())
      return module.emitError() << "weight '" << weight
                                << "' of the weight table has no "
                                   "kestrel.weight op";
    auto type = cast<RankedTensorType>(it->second.getResult().getType());
    Type stored = storedTypeOf(emitted.weightTypes, i, type.getElementType());
    FailureOr<DType> from = storedElementType(type.getElementType());
    FailureOr<DType> to = storedElementType(stored);
    if (failed(from) || failed(to) || !runtime::canStoreAs(*from, *to))
      return it->second.emitOpError()
             << "cannot be stored as " << stored << " in the weights file";
    manifest.tensors.push_back({weight, *to, *from, type.getShape().vec()});
  }
  return manifest;
}

FailureOr<CpuEmitResult> emitCpuModel(ModuleOp module,
                                      const CpuEmitOptions &options,
                                      llvm::raw_ostream &source,
                                      llvm::raw_ostream &header) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func)
    return module.emitError("the module has no func.func @main to compile");
  // The memory plan kestrel-plan-memory recorded in the IR.
  FailureOr<BufferPlan> plan = readBufferPlan(func);
  if (failed(plan))
    return failure();
  for (const ValuePlan &p : plan->values)
    if (failed(dtypeOf(
            cast<RankedTensorType>(p.value.getType()).getElementType())))
      return emitError(p.value.getLoc())
             << "the CPU backend has no element type for " << p.value.getType();
  CpuEmitResult result;
  result.plan = *plan;
  Emitter emitter(func, options, result.plan, source);
  if (options.target == EmitTarget::Cuda) {
    FailureOr<Type> storage =
        storagePrecisionType(module.getContext(), options.precision);
    if (failed(storage))
      return module.emitError("unknown storage precision '")
             << options.precision << "' (expected f32, bf16 or f16)";
    emitter.devTypes = storageElementTypes(func, result.plan, *storage);
  }
  if (failed(emitter.emit(result)))
    return failure();

  // The public header.
  std::string guard =
      "KESTREL_MODEL_" + llvm::StringRef(options.name).upper() + "_H";
  header << "/* Generated by kestrelc";
  if (!options.source.empty())
    header << " from " << options.source;
  header << ". Do not edit. */\n"
         << "#ifndef " << guard << "\n#define " << guard << "\n\n"
         << "#include \"kestrel/runtime.h\"\n\n"
         << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
         << "/* Model '" << options.name << "'.\n *\n * Inputs:\n";
  Block &body = func.getBody().front();
  auto describeType = [](RankedTensorType type) {
    std::string s;
    llvm::raw_string_ostream ss(s);
    ss << type.getElementType() << " [";
    for (int64_t d = 0; d < type.getRank(); ++d)
      ss << (d ? ", " : "")
         << (type.isDynamicDim(d) ? std::string("?")
                                  : std::to_string(type.getDimSize(d)));
    ss << "]";
    return s;
  };
  for (BlockArgument arg : body.getArguments()) {
    auto name =
        func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "kestrel.name");
    header << " *   " << (name ? name.getValue() : "?") << ": "
           << describeType(cast<RankedTensorType>(arg.getType())) << "\n";
  }
  header << " * Outputs:\n";
  for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "kestrel.name");
    header << " *   " << (name ? name.getValue() : "?") << ": "
           << describeType(cast<RankedTensorType>(type)) << "\n";
  }
  header << " *\n * Its CPU code is built for "
         << runtime::cpuLevelName(options.cpuLevel)
         << " (kestrelc --cpu): opening it on a CPU without\n * that level "
            "fails with KESTREL_ERROR_UNSUPPORTED_CPU.\n"
         << " *\n * Open it with kestrel_model_open(" << options.name
         << "_model(), \"" << options.name
         << ".kweights\", &options, &model). */\n"
         << "KESTREL_API const kestrel_model_def *" << options.name
         << "_model(void);\n\n"
         << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n"
         << "#endif /* " << guard << " */\n";
  return result;
}

} // namespace kestrel::codegen
