//===- KernelSelection.cpp - Kernel candidates ranked by predicted latency ===//

#include "passes/KernelSelection.h"

#include "dialects/kestrel/IR/KestrelOps.h"
#include "passes/BufferPlan.h"
#include "passes/StorageTypes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <limits>

using namespace mlir;
namespace kp = kestrel::predictor;

namespace kestrel {

llvm::Expected<SelectionOptions>
makeSelectionOptions(StringRef target, StringRef device, StringRef calibration,
                     ArrayRef<int64_t> dynamicDims, int threads,
                     StringRef force) {
  auto error = [](const Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   message.str());
  };
  SelectionOptions options;
  std::optional<KernelTarget> kernelTarget = parseKernelTarget(target);
  if (!kernelTarget)
    return error("unknown target '" + target + "' (expected cpu or cuda)");
  options.target = *kernelTarget;
  // The host CPU as detected, without timing its memory (a compile must not
  // depend on how busy the machine is): kestrel-calibrate measures it.
  kp::HostDetectOptions nominal;
  nominal.bandwidthArrayBytes = 0;
  options.host = kp::detectHostProfile(nominal);
  if (!calibration.empty()) {
    llvm::Expected<kp::Calibration> cal = kp::loadCalibration(calibration);
    if (!cal)
      return error("--calibration: " + llvm::toString(cal.takeError()));
    if (cal->profile)
      options.host = *cal->profile;
    options.calibration = std::move(*cal);
  }
  StringRef deviceName =
      !device.empty()
          ? device
          : (options.target == KernelTarget::Cuda ? "h100-sxm" : "host");
  if (deviceName == "host") {
    options.device = options.host;
  } else {
    llvm::Expected<kp::DeviceProfile> profile =
        kp::loadDeviceProfile(deviceName);
    if (!profile)
      return error("--device: " + llvm::toString(profile.takeError()));
    options.device = std::move(*profile);
  }
  bool wantCuda = options.target == KernelTarget::Cuda;
  if ((options.device.kind == kp::DeviceKind::Cuda) != wantCuda)
    return error("--device: " + options.device.name + " is a " +
                 (wantCuda ? "CPU" : "CUDA") + " profile, the target is " +
                 target);
  if (options.target == KernelTarget::Cpu)
    options.host = options.device;
  if (!dynamicDims.empty())
    options.dynamicDims.assign(dynamicDims.begin(), dynamicDims.end());
  for (int64_t v : options.dynamicDims)
    if (v < 1)
      return error("dynamic-dims: " + Twine(v) + " is not a dim size (>= 1)");
  if (threads < 0)
    return error("threads: " + Twine(threads) + " is negative");
  options.threads = threads;
  options.force = force.str();
  return options;
}

namespace {

/// Bytes per element of `t` (i1 one byte).
int64_t elementBytes(Type t) {
  if (!t || !t.isIntOrFloat())
    return 4;
  return std::max<int64_t>(1, t.getIntOrFloatBitWidth() / 8);
}

/// `type`'s dims with each dynamic one taken as `dynamic`.
SmallVector<int64_t> dims(Type type, int64_t dynamic) {
  SmallVector<int64_t> out;
  if (auto ranked = dyn_cast<RankedTensorType>(type))
    for (int64_t d : ranked.getShape())
      out.push_back(ShapedType::isDynamic(d) ? dynamic : d);
  return out;
}

/// The product of `values`, saturating at INT64_MAX (a shape the verifier
/// accepts can still overflow: this is a cost, not an allocation).
int64_t product(ArrayRef<int64_t> values) {
  if (llvm::is_contained(values, 0))
    return 0;
  int64_t p = 1;
  for (int64_t v : values)
    if (__builtin_mul_overflow(p, v, &p))
      return std::numeric_limits<int64_t>::max();
  return p;
}

/// FLOPs per element of the element-wise ops (transcendentals cost a
/// polynomial; the predictor's element-wise family is calibrated with exp
/// at 12).
double flopsPerElement(Operation *op) {
  if (auto fused = dyn_cast<FusedElementwiseOp>(op)) {
    double flops = 0;
    fused.getBody().walk([&](Operation *inner) {
      if (inner->hasTrait<mlir::OpTrait::IsTerminator>())
        return;
      StringRef name = inner->getName().getStringRef();
      bool expensive = name.contains("exp") || name.contains("erf") ||
                       name.contains("tanh") || name.contains("log") ||
                       name.contains("pow") || name.contains("sin") ||
                       name.contains("cos");
      flops += expensive ? 12 : 1;
    });
    return std::max(flops, 1.0);
  }
  return llvm::StringSwitch<double>(op->getName().getStringRef())
      .Cases({"kestrel.exp", "kestrel.log", "kestrel.erf", "kestrel.tanh",
              "kestrel.sin", "kestrel.cos", "kestrel.sigmoid", "kestrel.silu",
              "kestrel.gelu", "kestrel.pow"},
             12)
      .Cases({"kestrel.sqrt", "kestrel.rsqrt", "kestrel.div",
              "kestrel.reciprocal"},
             4)
      .Default(1);
}

/// The predictor's view of `op` run by `candidate` with `config`, every
/// dynamic dim taken as `dynamic` (describe() clamps what it returns).
kp::KernelWork describeUnclamped(Operation *op, const KernelSite &site,
                                 const KernelCandidate &candidate,
                                 const KernelConfig &config, int64_t dynamic) {
  kp::KernelWork w;
  w.candidate = candidate.name.str();
  for (const auto &[key, value] : config)
    w.config[key.str()] = value;
  Type stored =
      site.resultTypes.empty() ? Type() : Type(site.resultTypes.front());
  w.elementBytes = elementBytes(stored);
  auto bytesOf = [&](Value v, Type storedType) {
    return double(product(dims(v.getType(), dynamic))) *
           double(elementBytes(storedType));
  };
  double read = 0, written = 0;
  for (auto [v, t] : llvm::zip(op->getOperands(), site.operandTypes))
    read += bytesOf(v, t);
  for (auto [v, t] : llvm::zip(op->getResults(), site.resultTypes))
    written += bytesOf(v, t);
  w.bytesRead = read;
  w.bytesWritten = written;
  SmallVector<int64_t> out = dims(op->getResult(0).getType(), dynamic);

  if (isa<MatmulOp, FusedMatmulOp>(op)) {
    SmallVector<int64_t> lhs = dims(op->getOperand(0).getType(), dynamic);
    SmallVector<int64_t> rhs = dims(op->getOperand(1).getType(), dynamic);
    auto transposeA = op->getAttrOfType<BoolAttr>("transpose_a");
    int64_t rank = int64_t(out.size());
    int64_t m = rank >= 2 ? out[rank - 2] : 1, n = out.empty() ? 1 : out.back();
    int64_t k = lhs.empty() ? 1
                : (transposeA && transposeA.getValue() && lhs.size() >= 2)
                    ? lhs[lhs.size() - 2]
                    : lhs.back();
    int64_t batch = rank > 2 ? product(ArrayRef<int64_t>(out).drop_back(2)) : 1;
    // A weight of rank 2 shares one B: the rows of every batch entry are
    // one GEMM (as the libraries run it).
    if (rhs.size() <= 2) {
      m = product({m, batch});
      batch = 1;
    }
    w.batch = batch, w.m = m, w.n = n, w.k = k;
    w.family = kp::Family::Gemm;
    w.family = kp::effectiveFamily(w);
    return w;
  }
  if (auto nbits = dyn_cast<MatmulNBitsOp>(op)) {
    // Every row of lhs against the packed [K, N] weights (read at their
    // packed size: bytesRead counts the operands as stored).
    SmallVector<int64_t> lhs = dims(nbits.getLhs().getType(), dynamic);
    w.m = product(ArrayRef<int64_t>(lhs).drop_back());
    w.k = nbits.getK();
    w.n = out.empty() ? 1 : out.back();
    w.batch = 1;
    w.family = kp::Family::Gemm;
    w.family = kp::effectiveFamily(w);
    return w;
  }
  if (auto multi = dyn_cast<MultiMatmulOp>(op)) {
    // One GEMM over the weights side by side: N is their total width.
    SmallVector<int64_t> lhs = dims(multi.getLhs().getType(), dynamic);
    w.m = product(ArrayRef<int64_t>(lhs).drop_back());
    w.k = lhs.empty() ? 1 : lhs.back();
    w.n = 0;
    for (Value weight : multi.getWeights()) {
      SmallVector<int64_t> rhs = dims(weight.getType(), dynamic);
      w.n += multi.getTransposeB() ? rhs.front() : rhs.back();
    }
    w.batch = 1;
    // Over kestrel.weight operands the CUDA backend packs the weights and
    // splits one product; constants run a GEMM each.
    w.splitOutput = llvm::all_of(multi.getWeights(), [](Value weight) {
      return isa_and_present<WeightOp>(weight.getDefiningOp());
    });
    w.family = kp::Family::Gemm;
    w.family = kp::effectiveFamily(w);
    return w;
  }
  if (auto conv = dyn_cast<ConvOp>(op)) {
    // As the CPU runs it: per image and group, [M / group, C / group *
    // taps] weights times the [C / group * taps, positions] patches.
    SmallVector<int64_t> weight = dims(conv.getWeight().getType(), dynamic);
    int64_t group = std::max<int64_t>(conv.getGroup(), 1);
    w.batch = product({out[0], group});
    w.m = std::max<int64_t>(weight[0] / group, 1);
    w.n = product(ArrayRef<int64_t>(out).drop_front(2));
    w.k = product(ArrayRef<int64_t>(weight).drop_front(1));
    w.family = kp::Family::Gemm;
    w.family = kp::effectiveFamily(w);
    return w;
  }
  if (auto conv = dyn_cast<ConvTransposeOp>(op)) {
    // As the CPU runs it: per image and group, [M / group * taps, C /
    // group] (transposed weights) times the [C / group, input positions]
    // planes.
    SmallVector<int64_t> weight = dims(conv.getWeight().getType(), dynamic);
    SmallVector<int64_t> in = dims(conv.getInput().getType(), dynamic);
    int64_t group = std::max<int64_t>(conv.getGroup(), 1);
    w.batch = product({in[0], group});
    w.m =
        std::max<int64_t>(product(ArrayRef<int64_t>(weight).drop_front(1)), 1);
    w.n = product(ArrayRef<int64_t>(in).drop_front(2));
    w.k = std::max<int64_t>(weight[0] / group, 1);
    w.family = kp::Family::Gemm;
    w.family = kp::effectiveFamily(w);
    return w;
  }
  if (isa<AttentionOp>(op)) {
    SmallVector<int64_t> q = dims(op->getOperand(0).getType(), dynamic);
    SmallVector<int64_t> key = dims(op->getOperand(1).getType(), dynamic);
    if (q.size() == 4 && key.size() == 4) {
      // [B, H, S, D], or [B, S, H, D] in the bshd layout.
      auto layout = op->getAttrOfType<StringAttr>("layout");
      int h = layout && layout.getValue() == "bshd" ? 2 : 1, s = 3 - h;
      w.batch = product({q[0], q[h]});
      w.m = q[s];
      w.n = key[s];
      w.k = q[3];
    }
    auto causal = op->getAttrOfType<BoolAttr>("causal");
    w.causal = causal && causal.getValue();
    w.family = w.m < 16 ? kp::Family::AttentionDecode : kp::Family::Attention;
    return w;
  }
  // Row-wise families: rows x the last dims.
  int64_t rowLength = out.empty() ? 1 : out.back();
  if (auto axis = op->getAttrOfType<IntegerAttr>("axis")) {
    int64_t a = axis.getInt();
    SmallVector<int64_t> in = dims(op->getOperand(0).getType(), dynamic);
    if (a < 0)
      a += int64_t(in.size());
    if (a >= 0 && a < int64_t(in.size()))
      rowLength = product(ArrayRef<int64_t>(in).drop_front(a));
  }
  int64_t elements = product(out);
  StringRef name = op->getName().getStringRef();
  if (name.starts_with("kestrel.reduce_")) {
    int64_t inElements = product(dims(op->getOperand(0).getType(), dynamic));
    w.family = kp::Family::Reduce;
    w.m = std::max<int64_t>(elements, 1);
    w.n = std::max<int64_t>(inElements / w.m, 1);
    return w;
  }
  w.n = std::max<int64_t>(rowLength, 1);
  w.m = std::max<int64_t>(elements / w.n, 1);
  if (isa<RmsNormOp, LayerNormOp, AddRmsNormOp, AddLayerNormOp>(op)) {
    w.family = kp::Family::Norm;
    w.flopsPerElement = 4;
  } else if (isa<SoftmaxOp, LogSoftmaxOp>(op)) {
    w.family = kp::Family::Softmax;
    w.flopsPerElement = 6;
  } else if (isa<RopeOp>(op)) {
    w.family = kp::Family::Rope;
    w.flopsPerElement = 3;
  } else if (isa<CumSumOp>(op)) {
    w.family = kp::Family::Reduce;
    w.flopsPerElement = 1;
  } else if (auto pool = dyn_cast<PoolOp>(op)) {
    // A window per output element.
    w.family = kp::Family::Reduce;
    w.flopsPerElement = product(pool.getKernelShape());
  } else if (StringRef(candidate.name).contains("data_movement")) {
    w.family = kp::Family::DataMovement;
    w.flopsPerElement = 0;
    // What a copy reads is what it writes (a gather reads its rows, a
    // slice its window), plus small index operands.
    w.bytesRead = std::min(w.bytesRead, 2 * w.bytesWritten);
  } else {
    w.family = kp::Family::Elementwise;
    w.flopsPerElement = flopsPerElement(op);
  }
  return w;
}

/// describeUnclamped with every extent in [1, 2^24]: a shape the verifier
/// accepts may hold dims whose products overflow the model's integer
/// arithmetic; no real op comes near the bound.
kp::KernelWork describe(Operation *op, const KernelSite &site,
                        const KernelCandidate &candidate,
                        const KernelConfig &config, int64_t dynamic) {
  kp::KernelWork w = describeUnclamped(op, site, candidate, config, dynamic);
  constexpr int64_t kMaxExtent = int64_t(1) << 24;
  for (int64_t *extent : {&w.batch, &w.m, &w.n, &w.k})
    *extent = std::clamp<int64_t>(*extent, 1, kMaxExtent);
  return w;
}

/// The configurations to rank of `candidate` at `site`: each point of its
/// space, and with a dynamic row count each again with every guard value.
SmallVector<KernelConfig> configurations(const KernelCandidate &candidate,
                                         Operation *op) {
  SmallVector<KernelConfig> configs(candidate.space.begin(),
                                    candidate.space.end());
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  bool dynamicRows =
      type && type.getRank() >= 2 && type.isDynamicDim(type.getRank() - 2);
  if (!dynamicRows || !isa<FloatType>(type.getElementType()))
    return configs;
  for (const auto &[key, values] : candidate.guards)
    for (int64_t value : values)
      for (const KernelConfig &base : candidate.space) {
        KernelConfig guarded = base;
        guarded.push_back({key, value});
        llvm::sort(guarded, [](const auto &a, const auto &b) {
          return a.first < b.first;
        });
        configs.push_back(guarded);
      }
  return configs;
}

} // namespace

FailureOr<std::vector<OpRanking>> rankKernels(func::FuncOp func,
                                              const SelectionOptions &options) {
  FailureOr<BufferPlan> plan = planBuffers(func);
  if (failed(plan))
    return failure();
  const KernelCandidate *forced = nullptr;
  if (!options.force.empty()) {
    forced = KernelRegistry::get(options.target).lookup(options.force);
    if (!forced) {
      func.emitError("kestrel-select-kernels: no kernel '")
          << options.force << "' on the " << kernelTargetName(options.target)
          << " target";
      return failure();
    }
  }
  const kp::Calibration *cal =
      options.calibration ? &*options.calibration : nullptr;

  std::vector<OpRanking> rankings;
  bool failedAny = false, forcedAny = false;
  for (Operation &op : func.getBody().front().without_terminator()) {
    if (isa<WeightOp, ConstantOp>(op) || op.getNumResults() == 0)
      continue;
    ValueStorage storageKind = plan->of(op.getResult(0)).storage;
    if (isa<ReshapeOp>(op) && storageKind == ValueStorage::Alias)
      continue; // shares its operand's data: no kernel
    // The CUDA target computes the values that decide shapes on the host.
    bool device = options.target == KernelTarget::Cuda &&
                  storageKind != ValueStorage::Host;
    const KernelRegistry &registry =
        KernelRegistry::get(device ? KernelTarget::Cuda : KernelTarget::Cpu);
    KernelSite site;
    site.op = &op;
    // The storage type on the device (#kestrel.storage); host kernels read
    // values in their element types.
    auto storedType = [&](Value v) {
      return device ? storageType(v)
                    : cast<RankedTensorType>(v.getType()).getElementType();
    };
    for (Value v : op.getOperands())
      site.operandTypes.push_back(storedType(v));
    for (Value v : op.getResults())
      site.resultTypes.push_back(storedType(v));

    OpRanking ranking;
    ranking.op = &op;
    ranking.onHost = options.target == KernelTarget::Cuda && !device;
    SmallVector<const KernelCandidate *> candidates =
        registry.candidatesFor(op.getName().getStringRef());
    if (candidates.empty()) {
      op.emitOpError("has no kernel on the ")
          << kernelTargetName(registry.candidates().front().target)
          << " target";
      failedAny = true;
      continue;
    }
    const kp::DeviceProfile &profile = device ? options.device : options.host;
    // The calibration describes the host CPU only.
    const kp::Calibration *calibration =
        profile.kind == kp::DeviceKind::Cpu ? cal : nullptr;
    // One scenario per dynamic-dim value where the op's shapes have a
    // dynamic dim, else one.
    auto isStatic = [](Type t) {
      auto ranked = dyn_cast<RankedTensorType>(t);
      return !ranked || ranked.hasStaticShape();
    };
    bool staticOp = llvm::all_of(op.getOperandTypes(), isStatic) &&
                    llvm::all_of(op.getResultTypes(), isStatic);
    SmallVector<int64_t> scenarios =
        staticOp ? SmallVector<int64_t>{1} : options.dynamicDims;
    std::vector<RankedCandidate> valid, rejected;
    for (const KernelCandidate *c : candidates) {
      std::string why = c->check ? c->check(site) : std::string();
      if (!why.empty()) {
        rejected.push_back({c, {}, {}, 0, why});
        continue;
      }
      for (const KernelConfig &config : configurations(*c, &op)) {
        RankedCandidate r{c, config, {}, 0, ""};
        for (int64_t value : scenarios) {
          kp::KernelWork work = describe(&op, site, *c, config, value);
          r.predictedUs.push_back(
              kp::estimate(profile, work, options.threads, calibration)
                  .totalUs);
        }
        valid.push_back(std::move(r));
      }
    }
    if (valid.empty()) {
      std::string reasons;
      for (const RankedCandidate &r : rejected)
        reasons += "; " + r.candidate->name.str() + " " + r.rejected;
      op.emitOpError("has no kernel that runs it") << reasons;
      failedAny = true;
      continue;
    }
    // Score: the sum over scenarios of time / the scenario's best time.
    for (size_t s = 0; s < scenarios.size(); ++s) {
      double best = std::numeric_limits<double>::infinity();
      for (const RankedCandidate &r : valid)
        best = std::min(best, r.predictedUs[s]);
      for (RankedCandidate &r : valid)
        r.score += best > 0 ? r.predictedUs[s] / best : 1.0;
    }
    // By score; equal scores keep registry order (an index sort: libstdc++'s
    // stable_sort uses the deprecated get_temporary_buffer).
    std::vector<size_t> order(valid.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (valid[a].score != valid[b].score)
        return valid[a].score < valid[b].score;
      return a < b;
    });
    std::vector<RankedCandidate> sorted;
    sorted.reserve(valid.size());
    for (size_t i : order)
      sorted.push_back(std::move(valid[i]));
    valid = std::move(sorted);
    ranking.chosen = 0;
    if (forced && llvm::is_contained(candidates, forced) &&
        valid.front().candidate != forced) {
      auto it = llvm::find_if(valid, [&](const RankedCandidate &r) {
        return r.candidate == forced;
      });
      if (it != valid.end()) {
        ranking.chosen = int(it - valid.begin());
        ranking.forced = true;
      } else {
        auto why = llvm::find_if(rejected, [&](const RankedCandidate &r) {
          return r.candidate == forced;
        });
        op.emitWarning("cannot run on the forced kernel ")
            << forced->name << ": it "
            << (why != rejected.end() ? why->rejected : "is not a candidate")
            << "; keeping " << valid.front().candidate->name;
      }
    }
    forcedAny |= forced && valid[size_t(ranking.chosen)].candidate == forced;
    ranking.candidates = std::move(valid);
    llvm::append_range(ranking.candidates, rejected);
    rankings.push_back(std::move(ranking));
  }
  if (forced && !forcedAny && !failedAny) {
    func.emitError("kestrel-select-kernels: the forced kernel ")
        << forced->name << " runs none of the function's ops";
    failedAny = true;
  }
  if (failedAny)
    return failure();
  return rankings;
}

namespace {

/// "name {k = v, ...}".
std::string configText(const RankedCandidate &r) {
  std::string text = r.candidate->name.str();
  if (!r.config.empty()) {
    text += " {";
    for (auto [i, entry] : llvm::enumerate(r.config))
      text += (i ? ", " : "") + entry.first.str() + "=" +
              std::to_string(entry.second);
    text += "}";
  }
  return text;
}

/// The ONNX node an op came from ("name" of its NameLoc), else "".
std::string nodeName(Operation *op) {
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(inner))
        return name.getName().str();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  return "";
}

std::string typeText(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      op->getOperandTypes(), os, [&](Type t) { os << t; }, ", ");
  os << " -> ";
  llvm::interleave(
      op->getResultTypes(), os, [&](Type t) { os << t; }, ", ");
  return text;
}

std::string timesText(ArrayRef<double> us) {
  std::string text;
  for (auto [i, t] : llvm::enumerate(us))
    text += (i ? " | " : "") + llvm::formatv("{0:f2} us", t).str();
  return text;
}

} // namespace

void printExplanation(llvm::raw_ostream &os, func::FuncOp func,
                      ArrayRef<OpRanking> rankings,
                      const SelectionOptions &options, bool json) {
  const kp::DeviceProfile &device = options.device;
  bool calibrated = options.calibration.has_value();
  // The totals: per scenario, each op's chosen time (a static op's one
  // time in every scenario).
  SmallVector<double> total(options.dynamicDims.size(), 0.0);
  for (const OpRanking &r : rankings) {
    const RankedCandidate &c = r.candidates[size_t(r.chosen)];
    for (size_t s = 0; s < total.size(); ++s)
      total[s] +=
          c.predictedUs.size() == 1 ? c.predictedUs[0] : c.predictedUs[s];
  }
  if (json) {
    llvm::json::Array ops;
    for (const OpRanking &r : rankings) {
      llvm::json::Array candidates;
      for (auto [i, c] : llvm::enumerate(r.candidates)) {
        llvm::json::Object config;
        for (const auto &[key, value] : c.config)
          config[key] = value;
        llvm::json::Object entry{{"kernel", c.candidate->name},
                                 {"config", std::move(config)},
                                 {"chosen", int(i) == r.chosen}};
        if (c.rejected.empty())
          entry["predicted_us"] = llvm::json::Array(c.predictedUs);
        else
          entry["rejected"] = c.rejected;
        candidates.push_back(std::move(entry));
      }
      ops.push_back(llvm::json::Object{{"op", r.op->getName().getStringRef()},
                                       {"node", nodeName(r.op)},
                                       {"types", typeText(r.op)},
                                       {"on_host", r.onHost},
                                       {"forced", r.forced},
                                       {"candidates", std::move(candidates)}});
    }
    llvm::json::Object root{
        {"function", func.getSymName()},
        {"target", kernelTargetName(options.target)},
        {"device", device.name},
        {"device_description", device.description},
        {"calibrated", calibrated},
        {"dynamic_dims", llvm::json::Array(options.dynamicDims)},
        {"threads",
         options.threads ? options.threads : int(options.host.computeUnits)},
        {"ops", std::move(ops)},
        {"predicted_total_us", llvm::json::Array(total)}};
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
    return;
  }
  os << "kernel selection for @" << func.getSymName() << " on "
     << kernelTargetName(options.target) << ": " << device.name << " ("
     << device.description << ")"
     << (calibrated ? ", calibrated" : ", profile only (no --calibration)")
     << "\n";
  os << "dynamic dims taken as ";
  llvm::interleaveComma(options.dynamicDims, os);
  os << " (one predicted time each; static ops have one)\n";
  for (const OpRanking &r : rankings) {
    os << "\n" << r.op->getName();
    std::string node = nodeName(r.op);
    if (!node.empty())
      os << " '" << node << "'";
    os << (r.onHost ? " (host)" : "") << ": " << typeText(r.op) << "\n";
    for (auto [i, c] : llvm::enumerate(r.candidates)) {
      bool chosen = int(i) == r.chosen;
      os << (chosen ? "  * " : "    ")
         << llvm::formatv("{0,-56} ", configText(c));
      if (c.rejected.empty())
        os << timesText(c.predictedUs);
      else
        os << "cannot run it: " << c.rejected;
      if (chosen && r.forced)
        os << "  (forced by --kernel)";
      os << "\n";
    }
  }
  os << "\npredicted total (" << rankings.size()
     << " kernel calls): " << timesText(total) << "\n";
}

} // namespace kestrel
