//===- ModelEmitter.cpp - A kestrel module as a model's C++ source --------===//

#include "codegen/host/ModelEmitter.h"
#include "codegen/host/EmitUtils.h"
#include "codegen/host/Weights.h"

#include "dialects/kestrel/IR/KestrelOps.h"
#include "runtime/include/kestrel/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <map>
#include <set>

using namespace mlir;

namespace kestrel::codegen {

TargetBackend::~TargetBackend() = default;

namespace {

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

/// One stage's code as it is, several each under `if (stage == k)`.
static std::string stagedCode(ArrayRef<std::string> stages) {
  if (stages.size() == 1)
    return stages.front();
  std::string code;
  for (auto [k, body] : llvm::enumerate(stages))
    code += llvm::formatv("  if (stage == {0}) {{\n{1}  }\n", k, body).str();
  return code;
}

class ModelEmitter {
public:
  ModelEmitter(func::FuncOp func, TargetBackend &backend, TargetBackend &host,
               const ModelEmitOptions &options, const BufferPlan &plan,
               llvm::raw_ostream &os)
      : func(func), backend(backend), host(host), options(options), plan(plan),
        state(plan), os(os) {}

  LogicalResult emit(ModelEmitResult &result);

private:
  int64_t id(Value v) const { return plan.id(v); }
  std::string ref(Value v) const { return state.ref(v); }
  RankedTensorType typeOf(Value v) const {
    return cast<RankedTensorType>(v.getType());
  }
  std::string declared(Value v) const {
    return "Shape" + dimsList(typeOf(v).getShape());
  }
  bool isStaticShape(Value v) const { return typeOf(v).hasStaticShape(); }
  std::string array(ArrayRef<int64_t> values) { return state.array(values); }
  std::string describe(Operation *op) const { return state.describe(op); }

  LogicalResult emitTables(ModelEmitResult &result);
  /// The shape code of `op`; `checked` says whether it checks anything at
  /// run time (its OP_TRYs name the op).
  LogicalResult emitShapes(Operation *op, std::string &code, bool &checked);
  /// The kernel call of `op` into `code`, on the host (in inferShapes) or
  /// where `execute` runs.
  LogicalResult emitKernel(Operation *op, bool onHost, std::string &code);
  /// The #kestrel.impl of `op`, checked against the registry of `target`;
  /// errors on the op when it is missing or not a candidate of it.
  FailureOr<ImplAttr> checkedImpl(Operation *op, KernelTarget target) const;

  func::FuncOp func;
  TargetBackend &backend, &host;
  const ModelEmitOptions &options;
  const BufferPlan &plan;
  EmitState state;
  llvm::raw_ostream &os;
};

FailureOr<ImplAttr> ModelEmitter::checkedImpl(Operation *op,
                                              KernelTarget target) const {
  auto impl = op->getAttrOfType<ImplAttr>(ImplAttr::kName);
  if (!impl)
    return op->emitOpError("has no #kestrel.impl (run "
                           "kestrel-select-kernels before codegen)");
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

LogicalResult ModelEmitter::emitKernel(Operation *op, bool onHost,
                                       std::string &code) {
  // A reshape that aliases its operand runs nothing (and has no
  // #kestrel.impl).
  if (isa<ReshapeOp>(op) &&
      plan.of(op->getResult(0)).storage == ValueStorage::Alias)
    return success();
  TargetBackend &target = onHost ? host : backend;
  FailureOr<ImplAttr> impl = checkedImpl(op, target.kernelTarget());
  if (failed(impl))
    return failure();
  KernelCall call(state, op, code, !onHost && backend.onDevice(),
                  target.kernelTarget() == KernelTarget::Cuda ? "kestrel::cuda"
                                                              : "kestrel::cpu");
  return target.emitKernel(call, *impl);
}

LogicalResult ModelEmitter::emitShapes(Operation *op, std::string &code,
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
            ErfOp, TanhOp, SinOp, CosOp, FloorOp, CeilOp, RoundOp, SigmoidOp,
            SiluOp, GeluOp, NotOp, CastOp, SoftmaxOp, LogSoftmaxOp, CumSumOp,
            ScatterElementsOp, ScatterNdOp, RmsNormOp, LayerNormOp, RopeOp>(
          [&](Operation *op) { return same(op->getOperand(0)); })
      .Case<AddRmsNormOp, AddLayerNormOp>([&](Operation *op) {
        for (Value r : op->getResults())
          set(r, ref(op->getOperand(0)) + ".shape");
        return success();
      })
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp, FModOp,
            EqualOp, NotEqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp,
            AndOp, OrOp, XorOp>([&](Operation *op) {
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
      .Case([&](GatherNBitsOp g) {
        return viaShape(
            llvm::formatv("gatherNBitsShape(c, {0}, {1}, {2}, {3}, {4}, s)",
                          sh(g.getWeight()), sh(g.getIndices()), g.getBits(),
                          g.getBlockSize(), g.getK())
                .str());
      })
      .Case([&](MatmulNBitsOp m) {
        return viaShape(
            llvm::formatv("matmulNBitsShape(c, {0}, {1}, {2}, {3}, {4}, s)",
                          sh(m.getLhs()), sh(m.getWeight()), m.getBits(),
                          m.getBlockSize(), m.getK())
                .str());
      })
      .Case([&](MultiMatmulOp m) {
        // Each result: the lhs's rows times its weight's (or, with glu,
        // the gate's) columns.
        bool tb = m.getTransposeB();
        for (auto [i, r] : llvm::enumerate(m.getResults()))
          cs << "  { Shape s; OP_TRY(matmulShape(c, " << sh(m.getLhs()) << ", "
             << sh(m.getWeights()[i]) << ", false, " << tb
             << ", s)); OP_TRY(x.setShape(" << id(r) << ", s, " << declared(r)
             << ")); }\n";
        return success();
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
      .Case([&](PadOp p) {
        return viaShape(llvm::formatv("padShape(c, {0}, {1}, s)",
                                      sh(p.getInput()), array(p.getPads()))
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
      .Case([&](NonZeroOp n) {
        // The most indices there can be: the kernel sets the count.
        return viaShape(
            llvm::formatv("nonZeroShape(c, {0}, s)", sh(n.getInput())).str());
      })
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
      .Case([&](ConvOp cv) {
        std::string strides = array(cv.getStrides()),
                    pads = array(cv.getPads()),
                    dilations = array(cv.getDilations());
        return viaShape(
            llvm::formatv("convShape(c, {0}, {1}, {2}, {3}, {4}, {5}, s)",
                          sh(cv.getInput()), sh(cv.getWeight()), strides, pads,
                          dilations, cv.getGroup())
                .str());
      })
      .Case([&](ConvTransposeOp cv) {
        return viaShape(
            llvm::formatv(
                "convTransposeShape(c, {0}, {1}, {2}, {3}, {4}, {5}, {6}, s)",
                sh(cv.getInput()), sh(cv.getWeight()), array(cv.getStrides()),
                array(cv.getPads()), array(cv.getDilations()),
                array(cv.getOutputPadding()), cv.getGroup())
                .str());
      })
      .Case([&](PoolOp pl) {
        return viaShape(
            llvm::formatv("poolShape(c, {0}, {1}, {2}, {3}, {4}, {5}, s)",
                          sh(pl.getInput()), array(pl.getKernelShape()),
                          array(pl.getStrides()), array(pl.getPads()),
                          array(pl.getDilations()), pl.getCeilMode())
                .str());
      })
      .Case([&](ResizeOp r) {
        return viaShape(llvm::formatv("resizeShape(c, {0}, {1}, {2}, s)",
                                      sh(r.getInput()), array(r.getSizes()),
                                      state.floatArray(r.getScales()))
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

LogicalResult ModelEmitter::emit(ModelEmitResult &result) {
  Block &body = func.getBody().front();

  // Kernel code first: it decides the attribute arrays. Each stage's shape
  // code and kernel calls apart.
  std::vector<std::string> stageShapes(plan.numStages),
      stageKernels(plan.numStages);
  bool seenAttention = false;
  int64_t sinceAttention = 0;
  for (Operation &op : body.without_terminator()) {
    if (isa<ConstantOp, WeightOp>(op))
      continue;
    int64_t stage = plan.stages.lookup(&op);
    std::string &shapes = stageShapes[stage], &kernels = stageKernels[stage];
    bool onHost = llvm::any_of(op.getResults(), [&](Value r) {
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
    std::string &code = onHost ? shapes : kernels;
    if (onHost)
      for (Value r : op.getResults())
        code += llvm::formatv("  TRY(x.allocHost({0}));\n", id(r)).str();
    if (failed(emitKernel(&op, onHost, code)))
      return failure();
    if (onHost) {
      ++result.numHostCalls;
    } else if (!(isa<ReshapeOp>(op) &&
                 plan.of(op.getResult(0)).storage == ValueStorage::Alias)) {
      ++result.numKernelCalls;
      ++sinceAttention;
      if (isa<AttentionOp>(op)) {
        if (seenAttention)
          result.kernelCallsPerLayer.push_back(sinceAttention);
        seenAttention = true;
        sinceAttention = 0;
      }
    }
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
         : plan.numStages > 1
             ? llvm::formatv("planned at run time, per stage ({0} stages: "
                             "data-dependent shapes)",
                             plan.numStages)
                   .str()
             : std::string("planned at run time (symbolic dims)"))
     << ".\n// Built for the x86-64 level " << cpuLevelName
     << " (kestrelc --cpu): compile it with -march=" << cpuLevelName
     << " and link\n// the kernels built for it; the runtime refuses it on a "
        "CPU without that level.\n\n";
  // The backends' pieces: the device's first, then the host's.
  bool twoBackends = &host != &backend;
  backend.emitIncludes(os);
  if (twoBackends)
    host.emitIncludes(os);
  os << "#include \"runtime/ModelDef.h\"\n\n"
     << "#include <cstdint>\n";
  backend.emitSystemIncludes(os);
  if (twoBackends)
    host.emitSystemIncludes(os);
  os << "\n";
  backend.emitDeclarations(os);
  if (twoBackends)
    host.emitDeclarations(os);
  os << "// A named namespace (not an anonymous one) so that several emitted\n"
     << "// models can share one translation unit.\n"
     << "namespace kestrel_model_" << options.name << " {\n\n";
  if (twoBackends)
    host.emitUsings(os);
  backend.emitUsings(os);
  os << "using namespace kestrel::runtime;\n\n"
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

  if (twoBackends)
    host.emitDefinitions(os);
  backend.emitDefinitions(os);
  if (failed(emitTables(result)))
    return failure();

  for (const std::string &a : state.arrays)
    os << a << "\n";
  os << "\nbool inferShapes(Exec &x, int32_t stage) {\n"
     << "  kestrel::cpu::Context &c = x.ctx;\n"
     << "  std::vector<Tensor> &v = x.v;\n"
     << "  (void)c;\n  (void)v;\n  (void)stage;\n"
     << stagedCode(stageShapes) << "  return true;\n}\n\n";
  backend.emitExecute(os, stagedCode(stageKernels));

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
     << "      " << plan.numStages << ", inferShapes,\n      execute,\n";
  backend.emitModelDefBackend(os);
  os << "      " << state.hostReads.size() << ", "
     << (state.hostReads.empty() ? "nullptr" : "hostReads") << ",\n"
     << "      " << backend.archsField() << ",\n"
     << "      " << static_cast<uint32_t>(options.cpuLevel) << ", // "
     << cpuLevelName << "\n";
  if (state.packedWeights.empty())
    os << "      0, nullptr, nullptr, nullptr,\n";
  else if (backend.onDevice()) // the device backend packs
    os << "      " << state.packedWeights.size()
       << ", packedWeights, nullptr, nullptr,\n";
  else
    os << "      " << state.packedWeights.size() << ", packedWeights,\n"
       << "      kestrel::cpu::packedMatmulPartsFloats, "
          "kestrel::cpu::packMatmulParts,\n";
  os << "  };\n  return &def;\n}\n\n"
     << "} // namespace kestrel_model_" << options.name << "\n";
  return success();
}

LogicalResult ModelEmitter::emitTables(ModelEmitResult &result) {
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
    result.inputSymbols.push_back(syms);
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
  for (const auto &[name, range] : symbols) {
    os << "    {" << cString(name) << ", " << range.first << ", "
       << range.second << "},\n";
    result.symbols.push_back({name, range.first, range.second});
  }
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
        Type stored = backend.storageType(w.getResult());
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
  if (!state.packedWeights.empty()) {
    // A weight read only packed, in one packing: its stored pages can go.
    auto onlyUse = [&](const std::string &name) {
      int64_t uses = 0, packings = 0;
      for (Operation &op : body)
        if (auto w = dyn_cast<WeightOp>(op); w && w.getName() == name)
          uses += std::distance(w->use_begin(), w->use_end());
      for (const auto &other : state.packedWeights)
        packings += llvm::count(other.names, name);
      return packings == 1 && uses == state.packedUses[name];
    };
    std::string partArrays, table;
    for (auto [i, p] : llvm::enumerate(state.packedWeights)) {
      SmallVector<int64_t> indices;
      bool only = true;
      for (const std::string &name : p.names) {
        auto it = weightIndex.find(name);
        if (it == weightIndex.end())
          return func.emitError() << "packs weight '" << name
                                  << "', which the function does not define";
        indices.push_back(it->second);
        only &= onlyUse(name);
      }
      std::string parts = "nullptr";
      if (indices.size() > 1) {
        parts = llvm::formatv("packedParts{0}", i).str();
        partArrays += "const int32_t " + parts + "[] = {";
        for (auto [k, index] : llvm::enumerate(indices))
          partArrays += (k ? ", " : "") + std::to_string(index);
        partArrays += "};\n";
      }
      // The CPU packs f32; a device backend the dtype its op reads.
      FailureOr<StringRef> dtype =
          dtypeOf(p.dtype ? p.dtype : Float32Type::get(func.getContext()));
      if (failed(dtype))
        return func.emitError()
               << "packs weight '" << p.names.front() << "' as " << p.dtype
               << ", which has no runtime dtype";
      table += llvm::formatv("    {{{0}, {1}, {2}, {3}, {4}, {5}, {6}},\n",
                             indices[0], p.transposed ? "true" : "false",
                             only ? "true" : "false", indices.size(), parts,
                             p.glu ? "true" : "false", *dtype)
                   .str();
    }
    os << partArrays << "const PackedWeightDesc packedWeights[] = {\n"
       << table << "};\n";
  }
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
       << p.first << ", " << p.last << ", " << p.stage << "},\n";
  }
  os << "};\n";
  if (!state.hostReads.empty()) {
    os << "const int32_t hostReads[] = {";
    for (auto [i, id] : llvm::enumerate(state.hostReads))
      os << (i ? ", " : "") << id;
    os << "};\n";
  }
  backend.emitTables(os);
  if (plan.isStatic) {
    os << "const int64_t staticOffsets[] = {";
    for (auto [i, p] : llvm::enumerate(plan.values))
      os << (i % 16 ? " " : "\n    ") << std::max<int64_t>(p.offset, 0) << ",";
    os << "\n};\n";
  }
  return success();
}

/// `text` safe inside a C block comment.
std::string commentSafe(StringRef text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '*' && i + 1 < text.size() && text[i + 1] == '/')
      out += ' ';
  }
  return out;
}

/// An upper-case C identifier from a tensor or dim name ("past.0/key" ->
/// "PAST_0_KEY").
std::string macroPart(StringRef name) {
  std::string out;
  for (char c : name)
    out += llvm::isAlnum(c) ? llvm::toUpper(c) : '_';
  if (out.empty() || llvm::isDigit(out[0]))
    out = "_" + out;
  return out;
}

/// The public header NAME.h: the entry point, and what an application needs
/// to bind the inputs and read the outputs without opening the model first:
/// every input and output with its element type and dims (symbolic ones by
/// name, with the range the library accepts), and macros for the names,
/// element types, ranks and ranges.
void emitHeader(func::FuncOp func, const ModelEmitOptions &options,
                const ModelEmitResult &result, llvm::raw_ostream &header) {
  std::string upper = macroPart(options.name);
  std::string guard = "KESTREL_MODEL_" + upper + "_H";
  Block &body = func.getBody().front();
  auto apiDtype = [](Type type) {
    return (*dtypeOf(type)).drop_front(strlen("DType::")).str();
  };
  auto apiDtypeName = [&](Type type) {
    std::string name = StringRef(apiDtype(type)).lower();
    return name == "i1" ? std::string("bool") : name;
  };
  auto apiDtypeEnum = [&](Type type) {
    std::string name = apiDtype(type);
    return "KESTREL_" + (name == "I1" ? std::string("BOOL") : name);
  };
  auto symbolRange = [](const ModelEmitResult::Symbol &s) {
    return s.max == kDefaultDimMax
               ? llvm::formatv("{0}..{1} (the default; kestrelc --dim-range)",
                               s.min, s.max)
                     .str()
               : llvm::formatv("{0}..{1}", s.min, s.max).str();
  };

  header << "/* Generated by kestrelc";
  if (!options.source.empty())
    header << " from " << commentSafe(options.source);
  header << ". Do not edit. */\n"
         << "#ifndef " << guard << "\n#define " << guard << "\n\n"
         << "#include \"kestrel/runtime.h\"\n\n"
         << "/* Model '" << options.name << "'.\n *\n * Inputs:\n";
  for (BlockArgument arg : body.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto type = cast<RankedTensorType>(arg.getType());
    auto name = func.getArgAttrOfType<StringAttr>(i, "kestrel.name");
    header << " *   " << commentSafe(name ? name.getValue() : "?") << ": "
           << apiDtypeName(type.getElementType()) << " [";
    for (int64_t d = 0; d < type.getRank(); ++d) {
      header << (d ? ", " : "");
      int64_t sym =
          i < result.inputSymbols.size() &&
                  d < static_cast<int64_t>(result.inputSymbols[i].size())
              ? result.inputSymbols[i][d]
              : -1;
      if (!type.isDynamicDim(d))
        header << type.getDimSize(d);
      else if (sym >= 0 &&
               result.symbols[sym].name !=
                   llvm::formatv("{0}[{1}]", name ? name.getValue() : "", d)
                       .str())
        header << commentSafe(result.symbols[sym].name);
      else
        header << "?";
    }
    header << "]\n";
  }
  header << " * Outputs (dims computed from the inputs are '?'; "
            "kestrel_session_get_output\n * returns the actual shape):\n";
  for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
    auto t = cast<RankedTensorType>(type);
    auto name = func.getResultAttrOfType<StringAttr>(i, "kestrel.name");
    header << " *   " << commentSafe(name ? name.getValue() : "?") << ": "
           << apiDtypeName(t.getElementType()) << " [";
    for (int64_t d = 0; d < t.getRank(); ++d)
      header << (d ? ", " : "")
             << (t.isDynamicDim(d) ? std::string("?")
                                   : std::to_string(t.getDimSize(d)));
    header << "]\n";
  }
  if (!result.symbols.empty()) {
    header << " *\n * Symbolic dims and the values the library accepts "
              "(others fail with\n * KESTREL_ERROR_SHAPE; dims of one name "
              "must agree across inputs):\n";
    for (const ModelEmitResult::Symbol &s : result.symbols)
      header << " *   " << commentSafe(s.name) << ": " << symbolRange(s)
             << "\n";
  }
  header << " *\n * Its CPU code is built for "
         << runtime::cpuLevelName(options.cpuLevel)
         << " (kestrelc --cpu): opening it on a CPU without\n * that level "
            "fails with KESTREL_ERROR_UNSUPPORTED_CPU.\n"
         << " *\n * Open it with kestrel_model_open(" << options.name
         << "_model(), NULL, &options, &model):\n * a NULL weights path "
            "opens "
         << options.name << ".kweights beside lib" << options.name
         << ".so. */\n\n";

  // The runtime API this header and its library were built for.
  header << "#define " << upper << "_RUNTIME_VERSION "
         << KESTREL_RUNTIME_VERSION
         << "\n#if KESTREL_RUNTIME_VERSION != " << upper
         << "_RUNTIME_VERSION\n#error \"" << options.name
         << ".h was generated for Kestrel runtime API version "
         << KESTREL_RUNTIME_VERSION
         << "; the kestrel/runtime.h included is another version (use the "
            "one beside "
         << options.name << ".h)\"\n#endif\n\n";
  header << "#define " << upper << "_WEIGHTS_FILE \"" << options.name
         << ".kweights\"\n"
         << "#define " << upper << "_NUM_INPUTS " << func.getNumArguments()
         << "\n#define " << upper << "_NUM_OUTPUTS " << func.getNumResults()
         << "\n\n";
  // Name, dtype and rank macros per input and output, and range macros per
  // symbolic dim. Distinct names can map to one macro ("a.b" and "a_b", or
  // "x_rank" and x's _RANK): a base whose macros would collide with any
  // defined before gets a numeric suffix until none does.
  std::set<std::string> defined = {
      upper + "_RUNTIME_VERSION", upper + "_WEIGHTS_FILE",
      upper + "_NUM_INPUTS", upper + "_NUM_OUTPUTS"};
  auto uniqueBase = [&](std::string base, ArrayRef<StringRef> suffixes) {
    auto isFree = [&](const std::string &candidate) {
      return llvm::none_of(suffixes, [&](StringRef suffix) {
        return defined.count(candidate + suffix.str());
      });
    };
    std::string candidate = base;
    for (int k = 2; !isFree(candidate); ++k)
      candidate = base + "_" + std::to_string(k);
    for (StringRef suffix : suffixes)
      defined.insert(candidate + suffix.str());
    return candidate;
  };
  auto tensorMacros = [&](StringRef kind, StringRef name,
                          RankedTensorType type) {
    std::string base =
        uniqueBase(upper + "_" + kind.str() + "_" + macroPart(name),
                   {"", "_DTYPE", "_RANK"});
    header << "#define " << base << " " << cString(name) << "\n"
           << "#define " << base << "_DTYPE "
           << apiDtypeEnum(type.getElementType()) << "\n"
           << "#define " << base << "_RANK " << type.getRank() << "\n";
  };
  for (BlockArgument arg : body.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto name = func.getArgAttrOfType<StringAttr>(i, "kestrel.name");
    tensorMacros("INPUT",
                 name ? name.getValue().str()
                      : llvm::formatv("input{0}", i).str(),
                 cast<RankedTensorType>(arg.getType()));
  }
  for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "kestrel.name");
    tensorMacros("OUTPUT",
                 name ? name.getValue().str()
                      : llvm::formatv("output{0}", i).str(),
                 cast<RankedTensorType>(type));
  }
  for (const ModelEmitResult::Symbol &s : result.symbols) {
    std::string base =
        uniqueBase(upper + "_DIM_" + macroPart(s.name), {"_MIN", "_MAX"});
    header << "#define " << base << "_MIN " << s.min << "\n"
           << "#define " << base << "_MAX " << s.max << "\n";
  }
  header << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
         << "/** The compiled model, for kestrel_model_open. */\n"
         << "KESTREL_API const kestrel_model_def *" << options.name
         << "_model(void);\n\n"
         << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n"
         << "#endif /* " << guard << " */\n";
}

} // namespace

FailureOr<ModelEmitResult> emitModel(ModuleOp module, TargetBackend &backend,
                                     TargetBackend &host,
                                     const ModelEmitOptions &options,
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
             << "the " << backend.displayName()
             << " backend has no element type for " << p.value.getType();
  ModelEmitResult result;
  result.plan = *plan;
  if (failed(backend.prepare(func, result.plan)) ||
      (&host != &backend && failed(host.prepare(func, result.plan))))
    return failure();
  ModelEmitter emitter(func, backend, host, options, result.plan, source);
  if (failed(emitter.emit(result)))
    return failure();

  emitHeader(func, options, result, header);
  return result;
}

} // namespace kestrel::codegen
