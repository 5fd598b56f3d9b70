//===- KernelCall.cpp - One op's call into a kernel library ---------------===//

#include "codegen/host/KernelCall.h"
#include "codegen/host/EmitUtils.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace kestrel::codegen {

/// The kernel libraries' ScatterReduction enumerator of a reduction name.
static StringRef scatterReduction(StringRef name) {
  return llvm::StringSwitch<StringRef>(name)
      .Case("add", "Add")
      .Case("mul", "Mul")
      .Case("max", "Max")
      .Case("min", "Min")
      .Default("None");
}

std::string EmitState::ref(Value v) const {
  return llvm::formatv("v[{0}]", id(v));
}

int64_t EmitState::packedWeight(ArrayRef<std::string> names, bool transposed,
                                bool glu, Type dtype) {
  for (const std::string &name : names)
    ++packedUses[name];
  for (auto [i, p] : llvm::enumerate(packedWeights))
    if (ArrayRef<std::string>(p.names) == names && p.transposed == transposed &&
        p.glu == glu && p.dtype == dtype)
      return int64_t(i);
  packedWeights.push_back({names.vec(), transposed, glu, dtype});
  return int64_t(packedWeights.size()) - 1;
}

std::string EmitState::array(ArrayRef<int64_t> values) {
  std::string name = llvm::formatv("a{0}", arrays.size());
  arrays.push_back(
      llvm::formatv("const int64_t {0}[] = {1};", name,
                    values.empty() ? std::string("{0}") : i64List(values))
          .str());
  return name;
}

std::string EmitState::floatArray(ArrayRef<float> values) {
  std::string name = llvm::formatv("a{0}", arrays.size());
  std::string list;
  for (auto [i, v] : llvm::enumerate(values))
    list += (i ? ", " : "") + floatLiteral(v);
  arrays.push_back(llvm::formatv("const float {0}[] = {{{1}};", name,
                                 values.empty() ? std::string("0.0f") : list)
                       .str());
  return name;
}

std::string EmitState::describe(Operation *op) const {
  std::string s;
  llvm::raw_string_ostream ss(s);
  if (op->getNumResults())
    ss << "%" << id(op->getResult(0)) << " = ";
  ss << op->getName().getStringRef();
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    ss << " (node '" << name.getName().getValue() << "')";
  return cString(s);
}

KernelCall::KernelCall(EmitState &state, Operation *op, std::string &code,
                       bool onDevice, StringRef ns)
    : emitState(state), operation(op), out(code), device(onDevice),
      ns(ns.str()), what(state.describe(op)) {}

std::string KernelCall::hostRef(Value v) {
  if (device)
    emitState.hostReads.insert(emitState.id(v));
  return llvm::formatv("{0}[{1}]", device ? "h" : "v", emitState.id(v));
}

LogicalResult KernelCall::call(StringRef expr) {
  out << "  if (!" << expr << ") return x.opFailed(" << what << ");\n";
  return success();
}

LogicalResult KernelCall::callWithTensorArrays(ValueRange inputs,
                                               ValueRange outputs,
                                               StringRef expr) {
  out << "  { const Tensor in[] = {";
  for (auto [i, v] : llvm::enumerate(inputs))
    out << (i ? ", " : "") << ref(v);
  out << "};\n    Tensor out[] = {";
  for (auto [i, v] : llvm::enumerate(outputs))
    out << (i ? ", " : "") << ref(v);
  out << "};\n  ";
  LogicalResult emitted = call(expr);
  out << "  }\n";
  return emitted;
}

LogicalResult KernelCall::unary(StringRef kind) {
  return call(llvm::formatv("unary(c, UnaryOp::{0}, {1}, {2})", kind,
                            ref(operation->getOperand(0)),
                            ref(operation->getResult(0)))
                  .str());
}

LogicalResult KernelCall::binary(StringRef kind) {
  return call(llvm::formatv("binary(c, BinaryOp::{0}, {1}, {2}, {3})", kind,
                            ref(operation->getOperand(0)),
                            ref(operation->getOperand(1)),
                            ref(operation->getResult(0)))
                  .str());
}

LogicalResult KernelCall::reduce(StringRef kind) {
  auto axes = operation->getAttrOfType<DenseI64ArrayAttr>("axes");
  auto keepAttr = operation->getAttrOfType<BoolAttr>("keepdims");
  bool keep = keepAttr ? keepAttr.getValue() : true;
  std::string a = emitState.array(axes.asArrayRef());
  return call(llvm::formatv("reduce(c, ReduceOp::{0}, {1}, {2}, {3}, {4}, {5})",
                            kind, ref(operation->getOperand(0)), a, axes.size(),
                            keep, ref(operation->getResult(0)))
                  .str());
}

/// The kernel libraries' Activation enumerator for an op's activation.
static StringRef activationName(StringRef activation) {
  return llvm::StringSwitch<StringRef>(activation)
      .Case("relu", "Relu")
      .Case("gelu", "Gelu")
      .Case("gelu_tanh", "GeluTanh")
      .Case("silu", "Silu")
      .Default("None");
}

LogicalResult KernelCall::multiMatmul(StringRef packed, StringRef choice) {
  auto m = cast<MultiMatmulOp>(operation);
  out << "  { " << ns << "::MultiEpilogue e; e.alpha = "
      << floatLiteral(m.getAlpha().convertToFloat())
      << "; e.activation = " << ns
      << "::Activation::" << activationName(m.getActivation())
      << "; e.glu = " << (m.getGlu() ? "true" : "false") << ";\n";
  if (!m.getBiases().empty()) {
    out << "    const Tensor *b[] = {";
    for (auto [i, b] : llvm::enumerate(m.getBiases()))
      out << (i ? ", " : "") << "&" << ref(b);
    out << "}; e.biases = b;\n";
  }
  out << "    Tensor out[] = {";
  for (auto [i, r] : llvm::enumerate(m.getResults()))
    out << (i ? ", " : "") << ref(r);
  out << "};\n";
  std::string expr;
  if (!packed.empty() && choice.empty()) {
    expr = llvm::formatv("multiMatmulPacked(c, {0}, {1}, e, out, {2})",
                         ref(m.getLhs()), packed, m.getNumResults())
               .str();
  } else if (!packed.empty()) {
    expr = llvm::formatv("multiMatmul(c, {0}, {1}, {2}, e, out, {3}, {4})",
                         ref(m.getLhs()), packed, m.getTransposeB(),
                         m.getNumResults(), choice)
               .str();
  } else {
    out << "    const Tensor w[] = {";
    for (auto [i, w] : llvm::enumerate(m.getWeights()))
      out << (i ? ", " : "") << ref(w);
    out << "};\n";
    expr = llvm::formatv("multiMatmul(c, {0}, w, {1}, {2}, e, out, {3}{4})",
                         ref(m.getLhs()), m.getWeights().size(),
                         m.getTransposeB(), m.getNumResults(),
                         choice.empty() ? "" : (", " + choice).str())
               .str();
  }
  out << "  ";
  LogicalResult emitted = call(expr);
  out << "  }\n";
  return emitted;
}

void KernelCall::openEpilogue(Operation *fusedMatmul) {
  auto m = cast<FusedMatmulOp>(fusedMatmul);
  StringRef act = activationName(m.getActivation());
  // A CUDA model has both kernel namespaces in scope: qualify.
  out << "  { " << ns << "::GemmEpilogue e; e.alpha = "
      << floatLiteral(m.getAlpha().convertToFloat())
      << "; e.activation = " << ns << "::Activation::" << act << ";";
  if (m.getBias())
    out << " e.bias = &" << ref(m.getBias()) << ";";
  if (m.getResidual())
    out << " e.residual = &" << ref(m.getResidual()) << ";";
  out << "\n  ";
}

LogicalResult KernelCall::packedMatmul(StringRef packed) {
  auto fused = dyn_cast<FusedMatmulOp>(operation);
  if (!fused)
    return call(llvm::formatv("matmulPacked(c, {0}, {1}, {2})",
                              ref(operation->getOperand(0)), packed,
                              ref(operation->getResult(0)))
                    .str());
  openEpilogue(fused);
  LogicalResult emitted =
      call(llvm::formatv("matmulPacked(c, {0}, {1}, {2}, &e)",
                         ref(fused.getLhs()), packed, ref(fused.getResult()))
               .str());
  out << "  }\n";
  return emitted;
}

LogicalResult KernelCall::emitLibraryCall(StringRef choice,
                                          StringRef targetName) {
  Operation *op = operation;
  auto &cs = out;
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
      .Case([&](FloorOp) { return unary("Floor"); })
      .Case([&](CeilOp) { return unary("Ceil"); })
      .Case([&](RoundOp) { return unary("Round"); })
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
      .Case([&](ModOp) { return binary("Mod"); })
      .Case([&](FModOp) { return binary("FMod"); })
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
        if (!choice.empty())
          extra = (", nullptr, " + choice).str();
        return call(llvm::formatv("matmul(c, {0}, {1}, {2}, {3}, {4}{5})",
                                  ref(m.getLhs()), ref(m.getRhs()),
                                  m.getTransposeA(), m.getTransposeB(),
                                  ref(m.getResult()), extra)
                        .str());
      })
      .Case([&](GatherNBitsOp g) {
        std::string zeroPoints = g.getZeroPoints()
                                     ? "&" + ref(g.getZeroPoints())
                                     : std::string("nullptr");
        return call(llvm::formatv("gatherNBits(c, {0}, {1}, {2}, {3}, {4}, "
                                  "{5}, {6}, {7})",
                                  ref(g.getWeight()), ref(g.getScales()),
                                  zeroPoints, ref(g.getIndices()), g.getBits(),
                                  g.getBlockSize(), g.getK(),
                                  ref(g.getResult()))
                        .str());
      })
      .Case([&](MatmulNBitsOp m) {
        std::string zeroPoints = m.getZeroPoints()
                                     ? "&" + ref(m.getZeroPoints())
                                     : std::string("nullptr");
        return call(llvm::formatv("matmulNBits(c, {0}, {1}, {2}, {3}, {4}, "
                                  "{5}, {6}, {7}, {8})",
                                  ref(m.getLhs()), ref(m.getWeight()),
                                  ref(m.getScales()), zeroPoints, m.getBits(),
                                  m.getBlockSize(), m.getK(),
                                  m.getAccuracyLevel() == 4 ? "true" : "false",
                                  ref(m.getResult()))
                        .str());
      })
      .Case([&](FusedMatmulOp m) {
        std::string extra;
        if (!choice.empty())
          extra = (", " + choice).str();
        openEpilogue(m);
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
      .Case([&](ScatterElementsOp s) {
        return call(llvm::formatv("scatterElements(c, {0}, {1}, {2}, {3}, "
                                  "ScatterReduction::{4}, {5})",
                                  ref(s.getInput()), ref(s.getIndices()),
                                  ref(s.getUpdates()), s.getAxis(),
                                  scatterReduction(s.getReduction()),
                                  ref(s.getResult()))
                        .str());
      })
      .Case([&](ScatterNdOp s) {
        return call(llvm::formatv("scatterNd(c, {0}, {1}, {2}, "
                                  "ScatterReduction::{3}, {4})",
                                  ref(s.getInput()), ref(s.getIndices()),
                                  ref(s.getUpdates()),
                                  scatterReduction(s.getReduction()),
                                  ref(s.getResult()))
                        .str());
      })
      .Case([&](CumSumOp s) {
        return call(llvm::formatv("cumsum(c, {0}, {1}, {2}, {3}, {4})",
                                  ref(s.getInput()), s.getAxis(),
                                  s.getExclusive(), s.getReverse(),
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
        if (emitState.plan.of(r.getResult()).storage == ValueStorage::Alias)
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
        std::string p = emitState.array(t.getPermutation());
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
        std::string a = emitState.array(s.getStarts()),
                    b = emitState.array(s.getEnds()),
                    st = emitState.array(s.getSteps());
        return call(llvm::formatv("slice(c, {0}, {1}, {2}, {3}, {4})",
                                  ref(s.getInput()), a, b, st,
                                  ref(s.getResult()))
                        .str());
      })
      .Case([&](PadOp p) {
        StringRef mode = llvm::StringSwitch<StringRef>(p.getMode())
                             .Case("reflect", "Reflect")
                             .Case("edge", "Edge")
                             .Case("wrap", "Wrap")
                             .Default("Constant");
        return call(llvm::formatv("pad(c, {0}, {1}, PadMode::{2}, {3}, {4})",
                                  ref(p.getInput()),
                                  emitState.array(p.getPads()), mode,
                                  ref(p.getValue()), ref(p.getResult()))
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
      .Case([&](NonZeroOp n) {
        if (failed(call(llvm::formatv("nonZero(c, {0}, {1})", ref(n.getInput()),
                                      ref(n.getResult()))
                            .str())))
          return failure();
        // The next stage's shapes start from the count it read back.
        if (device)
          out << "  h[" << emitState.id(n.getResult())
              << "].shape = " << ref(n.getResult()) << ".shape;\n";
        return success();
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
      .Case([&](ConvOp cv) {
        std::string strides = emitState.array(cv.getStrides()),
                    pads = emitState.array(cv.getPads()),
                    dilations = emitState.array(cv.getDilations());
        std::string bias =
            cv.getBias() ? "&" + ref(cv.getBias()) : std::string("nullptr");
        return call(llvm::formatv("conv(c, {0}, {1}, {2}, {3}, {4}, {5}, {6}, "
                                  "{7})",
                                  ref(cv.getInput()), ref(cv.getWeight()), bias,
                                  strides, pads, dilations, cv.getGroup(),
                                  ref(cv.getResult()))
                        .str());
      })
      .Case([&](ConvTransposeOp cv) {
        std::string bias =
            cv.getBias() ? "&" + ref(cv.getBias()) : std::string("nullptr");
        return call(
            llvm::formatv("convTranspose(c, {0}, {1}, {2}, {3}, {4}, {5}, {6}, "
                          "{7}, {8})",
                          ref(cv.getInput()), ref(cv.getWeight()), bias,
                          emitState.array(cv.getStrides()),
                          emitState.array(cv.getPads()),
                          emitState.array(cv.getDilations()),
                          emitState.array(cv.getOutputPadding()), cv.getGroup(),
                          ref(cv.getResult()))
                .str());
      })
      .Case([&](PoolOp pl) {
        return call(
            llvm::formatv(
                "pool(c, {0}, PoolKind::{1}, {2}, {3}, {4}, {5}, {6}, {7}, "
                "{8})",
                ref(pl.getInput()), pl.getKind() == "max" ? "Max" : "Average",
                emitState.array(pl.getKernelShape()),
                emitState.array(pl.getStrides()), emitState.array(pl.getPads()),
                emitState.array(pl.getDilations()), pl.getCeilMode(),
                pl.getCountIncludePad(), ref(pl.getResult()))
                .str());
      })
      .Case([&](ResizeOp r) {
        std::string mode = llvm::StringSwitch<std::string>(r.getMode())
                               .Case("linear", "Linear")
                               .Case("cubic", "Cubic")
                               .Default("Nearest");
        std::string coordinates =
            llvm::StringSwitch<std::string>(r.getCoordinateMode())
                .Case("half_pixel_symmetric", "HalfPixelSymmetric")
                .Case("pytorch_half_pixel", "PytorchHalfPixel")
                .Case("align_corners", "AlignCorners")
                .Case("asymmetric", "Asymmetric")
                .Case("tf_crop_and_resize", "TfCropAndResize")
                .Default("HalfPixel");
        std::string nearest =
            llvm::StringSwitch<std::string>(r.getNearestMode())
                .Case("round_prefer_ceil", "RoundPreferCeil")
                .Case("floor", "Floor")
                .Case("ceil", "Ceil")
                .Default("RoundPreferFloor");
        std::string roi = r.getRoi() ? emitState.floatArray(*r.getRoi())
                                     : std::string("nullptr");
        return call(
            llvm::formatv(
                "resize(c, {0}, ResizeParams{{ResizeMode::{1}, "
                "ResizeCoordinates::{2}, NearestMode::{3}, {4}, {5}, {6}}, "
                "{7}, {8}, {9})",
                ref(r.getInput()), mode, coordinates, nearest,
                floatLiteral(r.getCubicCoeffA().convertToFloat()),
                r.getExcludeOutside(),
                floatLiteral(r.getExtrapolationValue().convertToFloat()),
                emitState.floatArray(r.getScales()), roi, ref(r.getResult()))
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
        std::string extra =
            choice.empty() ? std::string() : (", " + choice).str();
        if (a.getLayout() == "bshd")
          extra += ", kestrel::AttentionLayout::Bshd";
        return call(
            llvm::formatv(
                "attention(c, {0}, {1}, {2}, {3}, {4}, {5}, {6}, "
                "{7}, {8}{9})",
                ref(a.getQuery()), ref(a.getKey()), ref(a.getValue()), mask,
                floatLiteral(scale), a.getCausal(), a.getNumHeads().value_or(0),
                a.getNumKvHeads().value_or(0), ref(a.getResult()), extra)
                .str());
      })
      .Default([&](Operation *op) {
        return op->emitOpError("is not supported by the ")
               << targetName << " backend yet";
      });
}

} // namespace kestrel::codegen
