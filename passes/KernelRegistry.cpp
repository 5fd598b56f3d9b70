//===- KernelRegistry.cpp - The kernels each target can run ---------------===//

#include "passes/KernelRegistry.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace kestrel {

StringRef kernelTargetName(KernelTarget target) {
  return target == KernelTarget::Cpu ? "cpu" : "cuda";
}

std::optional<KernelTarget> parseKernelTarget(StringRef name) {
  if (name == "cpu")
    return KernelTarget::Cpu;
  if (name == "cuda")
    return KernelTarget::Cuda;
  return std::nullopt;
}

namespace {

// Op families, by operation name.
const SmallVector<StringRef> kElementwise = {
    "kestrel.neg",       "kestrel.abs",           "kestrel.relu",
    "kestrel.sqrt",      "kestrel.rsqrt",         "kestrel.reciprocal",
    "kestrel.exp",       "kestrel.log",           "kestrel.erf",
    "kestrel.tanh",      "kestrel.sin",           "kestrel.cos",
    "kestrel.sigmoid",   "kestrel.silu",          "kestrel.gelu",
    "kestrel.not",       "kestrel.add",           "kestrel.sub",
    "kestrel.mul",       "kestrel.div",           "kestrel.pow",
    "kestrel.max",       "kestrel.min",           "kestrel.equal",
    "kestrel.not_equal", "kestrel.less",          "kestrel.less_equal",
    "kestrel.greater",   "kestrel.greater_equal", "kestrel.and",
    "kestrel.or",        "kestrel.xor",           "kestrel.where",
    "kestrel.cast",      "kestrel.floor",         "kestrel.ceil",
    "kestrel.round",     "kestrel.mod",           "kestrel.fmod"};
const SmallVector<StringRef> kReduce = {
    "kestrel.reduce_sum", "kestrel.reduce_mean", "kestrel.reduce_max",
    "kestrel.reduce_min", "kestrel.cumsum",      "kestrel.pool"};
const SmallVector<StringRef> kSoftmax = {"kestrel.softmax",
                                         "kestrel.log_softmax"};
const SmallVector<StringRef> kDataMovement = {
    "kestrel.reshape",    "kestrel.transpose",
    "kestrel.concat",     "kestrel.split",
    "kestrel.slice",      "kestrel.dynamic_slice",
    "kestrel.gather",     "kestrel.gather_elements",
    "kestrel.gather_nd",  "kestrel.expand",
    "kestrel.shape_of",   "kestrel.range",
    "kestrel.top_k",      "kestrel.scatter_elements",
    "kestrel.scatter_nd", "kestrel.pad",
    "kestrel.resize",     "kestrel.gather_nbits",
    "kestrel.nonzero"};
const SmallVector<StringRef> kNorm = {"kestrel.rms_norm", "kestrel.layer_norm",
                                      "kestrel.add_rms_norm",
                                      "kestrel.add_layer_norm"};
const SmallVector<StringRef> kGemm = {"kestrel.matmul", "kestrel.fused_matmul"};
/// The GEMMs and kestrel.multi_matmul (one GEMM against weights side by
/// side), for the kernels that run both.
const SmallVector<StringRef> kGemmMulti = {
    "kestrel.matmul", "kestrel.fused_matmul", "kestrel.multi_matmul"};

bool isHalf(Type t) { return t && (t.isBF16() || t.isF16()); }

/// The matmul's storage type when lhs, rhs and result share it, else null.
Type sharedGemmType(const KernelSite &site) {
  Type t = site.resultTypes.empty() ? Type() : site.resultTypes[0];
  if (site.operandTypes.size() < 2 || site.operandTypes[0] != t ||
      site.operandTypes[1] != t)
    return Type();
  return t;
}

/// Static rows of the matmul's result (dim -2), or nullopt when dynamic.
std::optional<int64_t> staticRows(const KernelSite &site) {
  auto type = cast<RankedTensorType>(site.op->getResult(0).getType());
  int64_t rank = type.getRank();
  if (rank < 2 || type.isDynamicDim(rank - 2))
    return std::nullopt;
  // Against a shared (rank <= 2) rhs, the libraries run the rows of every
  // batch entry as one GEMM: all of the result's leading dims are rows.
  auto rhs = dyn_cast<RankedTensorType>(site.op->getOperand(1).getType());
  auto transposeA = site.op->getAttrOfType<BoolAttr>("transpose_a");
  if (rank > 2 && rhs && rhs.getRank() <= 2 &&
      !(transposeA && transposeA.getValue())) {
    int64_t rows = 1;
    for (int64_t d = 0; d < rank - 1; ++d) {
      if (type.isDynamicDim(d))
        return std::nullopt;
      rows *= type.getDimSize(d);
    }
    return rows;
  }
  return type.getDimSize(rank - 2);
}

KernelCandidate candidate(StringRef name, KernelTarget target,
                          StringRef summary, ArrayRef<StringRef> ops) {
  KernelCandidate c;
  c.name = name;
  c.target = target;
  c.summary = summary;
  c.ops.assign(ops.begin(), ops.end());
  return c;
}

std::vector<KernelCandidate> cpuCandidates() {
  constexpr KernelTarget cpu = KernelTarget::Cpu;
  std::vector<KernelCandidate> all;
  all.push_back(
      candidate("cpu.elementwise", cpu,
                "strided unary, binary (broadcasting), where and cast loops",
                kElementwise));
  // GEMMs: the library's f32 kernels (f16/bf16 operands widened). First
  // (so that it wins ties, where the model sees both stream B at full
  // rate): against a weight, the weight packed at load, which streams
  // contiguously where the dot path reads B's rows at a stride (measured
  // faster or equal at 36-38 of the 40 few-row sites of docs/predictor.md).
  KernelCandidate packed = candidate(
      "cpu.gemm.packed", cpu,
      "f32 GEMM against a weight packed once when the model opens (the "
      "blocked kernel's 32-column panels): the blocked kernel without "
      "packing B, and for up to 16 rows every row against each panel as it "
      "streams",
      kGemmMulti);
  packed.check = [](const KernelSite &site) -> std::string {
    Operation *op = site.op;
    Value rhs = op->getNumOperands() > 1 ? op->getOperand(1) : Value();
    Operation *def = rhs ? rhs.getDefiningOp() : nullptr;
    auto type = rhs ? dyn_cast<RankedTensorType>(rhs.getType()) : nullptr;
    if (!def || def->getName().getStringRef() != "kestrel.weight" || !type ||
        type.getRank() != 2)
      return "needs a rank-2 kestrel.weight as the rhs";
    if (auto transposeA = op->getAttrOfType<BoolAttr>("transpose_a");
        transposeA && transposeA.getValue())
      return "needs the lhs not transposed";
    if (site.operandTypes.size() < 2 || !isa<FloatType>(site.operandTypes[0]) ||
        !isa<FloatType>(site.operandTypes[1]))
      return "needs float operands";
    return "";
  };
  all.push_back(std::move(packed));
  // Any operands; integer matmuls run a plain loop under either.
  all.push_back(candidate(
      "cpu.gemm.dot", cpu,
      "f32 GEMM with the decode paths: dot products for up to 4 rows or 4 "
      "columns and row axpys for up to 16 rows where the layout allows "
      "(the run-time shape decides), the blocked 8x32 register-tile kernel "
      "otherwise",
      kGemm));
  all.push_back(candidate(
      "cpu.gemm.blocked", cpu,
      "f32 GEMM on the blocked kernel for every shape: A and B packed into "
      "panels, an 8x32 register tile",
      kGemm));
  all.push_back(candidate(
      "cpu.gemm.nbits", cpu,
      "f32 GEMM against block-quantized 2/4/8-bit weights kept packed: up "
      "to 16 rows of 4/8-bit weights dequantized in registers against "
      "groups of up to 8 rows (2-bit: up to 4 rows, each weight row "
      "dequantized into scratch); more, the blocked kernel with each panel "
      "of B dequantized as it is packed",
      {"kestrel.matmul_nbits"}));
  all.push_back(candidate("cpu.conv", cpu,
                          "convolution as im2col (zeros in the padding) and "
                          "the blocked GEMM per image and group; the "
                          "transposed convolution as one GEMM per image and "
                          "group and a col2im gather",
                          {"kestrel.conv", "kestrel.conv_transpose"}));
  all.push_back(
      candidate("cpu.softmax", cpu, "row softmax / log-softmax", kSoftmax));
  all.push_back(candidate("cpu.reduce", cpu,
                          "reductions over any axes (integer rows as plain "
                          "loops)",
                          kReduce));
  all.push_back(candidate("cpu.data_movement", cpu,
                          "copies, transposes, gathers, slices and the "
                          "shape ops",
                          kDataMovement));
  all.push_back(candidate("cpu.norm", cpu,
                          "RMSNorm / LayerNorm rows, with the residual add "
                          "fused in the add_* forms",
                          kNorm));
  all.push_back(
      candidate("cpu.rope", cpu, "rotary embedding", {"kestrel.rope"}));
  all.push_back(candidate("cpu.attention", cpu,
                          "blocked attention with an online softmax, "
                          "grouped-query heads and causal or additive masks",
                          {"kestrel.attention"}));
  all.push_back(candidate("cpu.fused_elementwise", cpu,
                          "the op's body generated as a block function and "
                          "run by the library's strided driver",
                          {"kestrel.fused_elementwise"}));
  return all;
}

std::vector<KernelCandidate> cudaCandidates() {
  constexpr KernelTarget cuda = KernelTarget::Cuda;
  std::vector<KernelCandidate> all;
  all.push_back(candidate("cuda.elementwise", cuda,
                          "grid-stride unary, binary, where and cast kernels",
                          kElementwise));

  // GEMMs, in the order today's rules prefer them.
  KernelCandidate mma = candidate(
      "cuda.gemm.mma", cuda,
      "Kestrel's tensor-core GEMM (mma.sync, cp.async pipeline, fused "
      "epilogue), instantiated per tile for bf16/f16 storage; sm_80+",
      kGemmMulti);
  // The tiles Gemm.cuh is instantiated and tested with (the CUDA
  // emulator's GemmTest): 128x128 for large problems, 64x64 for narrow
  // ones, 32-row tiles for few rows.
  mma.space = {
      {{"tile_m", 128},
       {"tile_n", 128},
       {"tile_k", 32},
       {"warps_m", 2},
       {"warps_n", 4}},
      {{"tile_m", 64},
       {"tile_n", 64},
       {"tile_k", 32},
       {"warps_m", 2},
       {"warps_n", 2}},
      {{"tile_m", 32},
       {"tile_n", 128},
       {"tile_k", 64},
       {"warps_m", 1},
       {"warps_n", 4}},
  };
  mma.guards = {{"gemv_max_m", {kCudaGemvMaxRows}}};
  mma.check = [](const KernelSite &site) -> std::string {
    Type t = sharedGemmType(site);
    if (!isHalf(t))
      return "needs lhs, rhs and result stored in one of bf16/f16";
    return "";
  };
  all.push_back(std::move(mma));

  KernelCandidate lt = candidate(
      "cuda.gemm.cublaslt", cuda,
      "cuBLASLt with its heuristic's algorithm and a fused bias/activation "
      "epilogue where it has one (the CUDA-core kernel where cuBLASLt "
      "declines the problem)",
      kGemmMulti);
  lt.guards = {{"gemv_max_m", {kCudaGemvMaxRows}}};
  lt.check = [](const KernelSite &site) -> std::string {
    Type t = sharedGemmType(site);
    if (!t || !(isHalf(t) || t.isF32()))
      return "needs lhs, rhs and result stored in one of f32/bf16/f16";
    return "";
  };
  all.push_back(std::move(lt));

  KernelCandidate gemv = candidate(
      "cuda.gemm.gemv", cuda,
      "GEMV kernels for up to 8 rows: each block owns 32 columns, B is read "
      "once, coalesced, with K split over the block's threads",
      kGemmMulti);
  gemv.check = [](const KernelSite &site) -> std::string {
    Type t = sharedGemmType(site);
    if (!t || !isa<FloatType>(t))
      return "needs lhs, rhs and result in one float type";
    std::optional<int64_t> rows = staticRows(site);
    if (!rows || *rows > kCudaGemvMaxRows)
      return "needs a static row count of at most " +
             std::to_string(kCudaGemvMaxRows) +
             " (the rows of every batch entry against a shared rhs)";
    return "";
  };
  all.push_back(std::move(gemv));

  KernelCandidate simt = candidate(
      "cuda.gemm.simt", cuda,
      "the CUDA-core tiled GEMM for every float and integer type", kGemmMulti);
  simt.guards = {{"gemv_max_m", {kCudaGemvMaxRows}}};
  simt.check = [](const KernelSite &site) -> std::string {
    Type t = sharedGemmType(site);
    if (!t)
      return "needs lhs, rhs and result in one element type";
    return "";
  };
  all.push_back(std::move(simt));

  all.push_back(candidate(
      "cuda.gemm.nbits", cuda,
      "block-quantized 2/4/8-bit weights kept packed, dequantized as they "
      "are read: a warp per weight row for up to 8 rows (coalesced 32-bit "
      "words), else the CUDA-core tiled GEMM with W's tile dequantized into "
      "shared memory",
      {"kestrel.matmul_nbits"}));
  all.push_back(candidate("cuda.conv", cuda,
                          "direct convolution: one thread per output element "
                          "over its group's channels and taps, f32 sums "
                          "(the transposed one gathers the taps that land on "
                          "it)",
                          {"kestrel.conv", "kestrel.conv_transpose"}));
  all.push_back(candidate("cuda.softmax", cuda,
                          "a warp or a block per row, f32 accumulation",
                          kSoftmax));
  all.push_back(candidate("cuda.reduce", cuda,
                          "row, column and general reductions over any axes",
                          kReduce));
  all.push_back(candidate("cuda.data_movement", cuda,
                          "strided copy, transpose and gather kernels",
                          kDataMovement));
  all.push_back(candidate("cuda.norm", cuda,
                          "RMSNorm / LayerNorm, a warp or a block per row, "
                          "with the residual add fused in the add_* forms",
                          kNorm));
  all.push_back(
      candidate("cuda.rope", cuda, "rotary embedding", {"kestrel.rope"}));
  // Attention, in the order today's rules prefer it. The flash and split-KV
  // kernels need conditions only a call shows (query and key counts,
  // alignment): where the chosen one cannot run the call, the next in this
  // order does (kestrel::cuda::AttentionImpl).
  KernelCandidate flash = candidate(
      "cuda.attention.flash", cuda,
      "flash attention on tensor cores (mma.sync; bf16/f16, head dims 64 "
      "and 128, 16+ queries, 16-byte aligned; else split-KV or generic)",
      {"kestrel.attention"});
  flash.check = [](const KernelSite &site) -> std::string {
    if (site.operandTypes.size() < 3 || !isHalf(site.operandTypes[0]) ||
        site.operandTypes[1] != site.operandTypes[0] ||
        site.operandTypes[2] != site.operandTypes[0])
      return "needs query, key and value stored in one of bf16/f16";
    auto dim = [&](unsigned operand) {
      auto type =
          cast<RankedTensorType>(site.op->getOperand(operand).getType());
      return type.getRank() == 4 ? type.getDimSize(3) : ShapedType::kDynamic;
    };
    int64_t d = dim(0), dv = dim(2);
    if (!ShapedType::isDynamic(d) && d != 64 && d != 128)
      return "needs a head dim of 64 or 128";
    if (!ShapedType::isDynamic(d) && !ShapedType::isDynamic(dv) && d != dv)
      return "needs the value's head dim equal to the query's";
    return "";
  };
  all.push_back(std::move(flash));
  all.push_back(candidate(
      "cuda.attention.split_kv", cuda,
      "split-KV decode: fewer than 16 queries over 16+ keys, head dims up to "
      "128, up to 8 query heads per kv head, the keys split over 8 warps "
      "and combined (else generic)",
      {"kestrel.attention"}));
  all.push_back(candidate(
      "cuda.attention.generic", cuda,
      "one warp per query row with an online softmax in f32 registers; "
      "every float type, head dims up to 256",
      {"kestrel.attention"}));
  all.push_back(candidate("cuda.fused_elementwise", cuda,
                          "a kernel generated from the op's body",
                          {"kestrel.fused_elementwise"}));
  return all;
}

} // namespace

const KernelRegistry &KernelRegistry::get(KernelTarget target) {
  static const KernelRegistry cpu(cpuCandidates());
  static const KernelRegistry cuda(cudaCandidates());
  return target == KernelTarget::Cpu ? cpu : cuda;
}

const KernelCandidate *KernelRegistry::lookup(StringRef name) const {
  for (const KernelCandidate &c : all)
    if (c.name == name)
      return &c;
  return nullptr;
}

SmallVector<const KernelCandidate *>
KernelRegistry::candidatesFor(StringRef opName) const {
  SmallVector<const KernelCandidate *> found;
  for (const KernelCandidate &c : all)
    if (llvm::is_contained(c.ops, opName))
      found.push_back(&c);
  return found;
}

bool KernelRegistry::isValidConfig(const KernelCandidate &candidate,
                                   DictionaryAttr config, std::string &error) {
  llvm::StringSet<> spaceKeys;
  for (const KernelConfig &point : candidate.space)
    for (const auto &[key, value] : point)
      spaceKeys.insert(key);
  // Guards: optional, each from its list of values.
  for (NamedAttribute entry : config) {
    StringRef key = entry.getName().getValue();
    if (spaceKeys.contains(key))
      continue;
    const auto *guard = llvm::find_if(
        candidate.guards, [&](const auto &g) { return g.first == key; });
    if (guard == candidate.guards.end()) {
      error =
          "'" + key.str() + "' is not a parameter of " + candidate.name.str();
      return false;
    }
    auto value = dyn_cast<IntegerAttr>(entry.getValue());
    if (!value || !llvm::is_contained(guard->second, value.getInt())) {
      error = "'" + key.str() + "' of " + candidate.name.str() +
              " must be one of its values";
      return false;
    }
  }
  // The rest: exactly one point of the space.
  for (const KernelConfig &point : candidate.space) {
    bool matches = llvm::all_of(point, [&](const auto &kv) {
      auto value = config.getAs<IntegerAttr>(kv.first);
      return value && value.getInt() == kv.second;
    });
    if (matches)
      return true;
  }
  error =
      "the configuration is not one " + candidate.name.str() + " is built with";
  return false;
}

} // namespace kestrel
