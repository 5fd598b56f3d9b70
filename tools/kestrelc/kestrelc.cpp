//===- kestrelc.cpp - The Kestrel compile CLI -----------------------------===//
//
// kestrelc MODEL.onnx -o OUTDIR [--emit=lib|source] [--name NAME]
//          [--target=cpu|cuda[:sm_80,sm_90a,...]] [--precision=bf16|f16|f32]
//          [--cpu=x86-64|x86-64-v2|x86-64-v3|x86-64-v4|native]
//          [--kernel=NAME]
//     compile to OUTDIR/libNAME.so + NAME.h + NAME.kweights
// kestrelc --print-cpu                          the --cpu levels this CPU runs
// kestrelc --print-kernels [--target=cuda]      the target's kernel registry
// kestrelc MODEL.onnx --emit=mlir [-o FILE]   the IR codegen reads (kernel
//                                               choices, memory plan)
// kestrelc MODEL.onnx --onnx-op-stats          the model's op histogram
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuTarget.h"
#include "codegen/cuda/CudaBuild.h"
#include "codegen/cuda/CudaTarget.h"
#include "codegen/host/ModelEmitter.h"
#include "codegen/host/Weights.h"
#include "dialects/kestrel/IR/KestrelDialect.h"
#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/OnnxModel.h"
#include "passes/KernelRegistry.h"
#include "passes/KernelSelection.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "runtime/CpuLevel.h"
#include "runtime/WeightsFile.h"
#include "tools/kestrelc/FatalErrors.h"
#include "tools/kestrelc/Package.h"
#include "tools/kestrelc/Version.h"

#include "kestrel/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <optional>

#include <unistd.h>

using namespace mlir;
using namespace kestrel::tools;
namespace cl = llvm::cl;

namespace {

enum class Emit { Import, Graph, Mlir, Source, Lib };

cl::OptionCategory category("kestrelc options");
cl::opt<std::string> inputPath(cl::Positional,
                               cl::desc("<model.onnx | module.mlir>"),
                               cl::cat(category));
cl::opt<std::string> outputPath(
    "o",
    cl::desc("Output directory (--emit=lib|source) or file "
             "(--emit=mlir|graph|import; '-' for stdout, the default)"),
    cl::value_desc("path"), cl::cat(category));
cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::Lib),
    cl::values(
        clEnumValN(Emit::Import, "import",
                   "the kestrel module exactly as imported"),
        clEnumValN(Emit::Graph, "graph",
                   "the kestrel module after the graph passes (shapes, "
                   "fusion, cleanup), before anything target-specific"),
        clEnumValN(Emit::Mlir, "mlir",
                   "the kestrel module codegen reads: the graph with each "
                   "op's kernel (#kestrel.impl) and the memory plan"),
        clEnumValN(Emit::Source, "source",
                   "OUTDIR/NAME.cpp, NAME.h and NAME.kweights (no C++ "
                   "compile)"),
        clEnumValN(Emit::Lib, "lib",
                   "OUTDIR/libNAME.so, NAME.h and NAME.kweights (default)")),
    cl::cat(category));
cl::opt<std::string> targetSpec(
    "target",
    cl::desc("Backend: cpu (portable C++, the default), "
             "cuda[:ARCH,...] (NVIDIA GPUs; ARCH one of sm_80, sm_86, sm_87, "
             "sm_89, sm_90, sm_90a; default sm_90a; several build a fat "
             "binary) or cuda-emu (the CUDA code on the CPU, through the "
             "CUDA emulator, for tests)"),
    cl::value_desc("target"), cl::init("cpu"), cl::cat(category));
cl::opt<std::string> precision(
    "precision",
    cl::desc("--target=cuda: the element type f32 tensors are stored in "
             "on the GPU: bf16 (default), f16 or f32; math accumulates in "
             "f32 either way"),
    cl::value_desc("bf16|f16|f32"), cl::cat(category));
cl::opt<std::string> nvccPath(
    "nvcc",
    cl::desc("--target=cuda: nvcc to compile kernels with (default: "
             "$KESTREL_NVCC, else the toolkit Kestrel was built with)"),
    cl::value_desc("path"), cl::cat(category));
cl::opt<std::string> cacheDir(
    "cache-dir",
    cl::desc("--target=cuda: where compiled kernel objects are cached "
             "(default: $KESTREL_CACHE_DIR, else $XDG_CACHE_HOME/kestrel, "
             "else ~/.cache/kestrel)"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<bool> noCache("no-cache",
                      cl::desc("--target=cuda: compile every kernel, "
                               "neither reading nor filling the cache"),
                      cl::cat(category));
cl::opt<std::string>
    modelName("name",
              cl::desc("The model's name in the emitted files and symbols (a C "
                       "identifier; default: from the model file name)"),
              cl::value_desc("NAME"), cl::cat(category));
cl::list<std::string> dimRanges(
    "dim-range",
    cl::desc("Range of a symbolic input dim, e.g. seq=1:2048 (repeatable; "
             "default 1:2147483647); inputs outside it are rejected at run "
             "time"),
    cl::value_desc("name=min:max"), cl::cat(category));
cl::opt<std::string> cpuSpec(
    "cpu",
    cl::desc("The x86-64 level the model's CPU code is built for: native "
             "(the default: the highest level this machine runs), x86-64, "
             "x86-64-v2, x86-64-v3 (AVX2) or x86-64-v4 (AVX-512). The "
             "library records it and refuses to open on a CPU without it"),
    cl::value_desc("level"), cl::init("native"), cl::cat(category));
cl::opt<bool> printCpu(
    "print-cpu",
    cl::desc("Print this machine's CPU, which --cpu levels it runs and what "
             "it lacks for the others, and exit"),
    cl::cat(category));
cl::opt<std::string> cxxCompiler(
    "cxx",
    cl::desc("C++ compiler for --emit=lib (default: $KESTREL_CXX, else the "
             "compiler Kestrel was built with)"),
    cl::value_desc("path"), cl::cat(category));
cl::opt<bool> noFusion(
    "no-fusion",
    cl::desc("Skip the fusion passes (kestrel-fuse-norms, kestrel-fuse-rope, "
             "kestrel-fuse-attention, kestrel-fold-transposes, "
             "kestrel-fuse-matmul-epilogue, kestrel-fuse-parallel-matmuls, "
             "kestrel-fuse-residual-norm, kestrel-fuse-elementwise): every "
             "exported op runs as its own kernel (for checking fusion's "
             "numerics and speed)"),
    cl::cat(category));
cl::opt<bool> fusionRemarks(
    "fusion-remarks",
    cl::desc("Print the fusion passes' remarks: every softmax the "
             "attention fusion leaves (and why), every attention whose "
             "transposes were folded into its layout, every set of matmuls "
             "merged into one GEMM, and every norm of a residual add (fused, "
             "or why not)"),
    cl::cat(category));
cl::opt<std::string> forceKernel(
    "kernel",
    cl::desc("Run every op the named kernel can run on it (e.g. "
             "cuda.gemm.simt), for experiments; the choice shows as "
             "#kestrel.impl in --emit=mlir (kestrelc --print-kernels lists "
             "the target's kernels)"),
    cl::value_desc("NAME"), cl::cat(category));
cl::opt<std::string> deviceProfile(
    "device",
    cl::desc("The device kernels are chosen for by predicted latency: a "
             "profile name (h100-sxm, h200, a100-80gb, l40s, rtx-4090), a "
             ".json profile, or host (this CPU; the default for the CPU "
             "target, h100-sxm for CUDA)"),
    cl::value_desc("NAME|FILE"), cl::cat(category));
cl::opt<std::string> calibrationFile(
    "calibration",
    cl::desc("Correct the CPU's predicted latencies with this "
             "kestrel-calibrate file (it also brings the measured host "
             "profile)"),
    cl::value_desc("CALIB.json"), cl::cat(category));
cl::list<int64_t> predictDims(
    "predict-dims",
    cl::desc("The values dynamic dims take when predicting latencies, one "
             "scenario each (default 1,64)"),
    cl::CommaSeparated, cl::value_desc("N,..."), cl::cat(category));
cl::opt<int> predictThreads(
    "predict-threads",
    cl::desc("CPU threads to predict for (default: every core of the "
             "profile)"),
    cl::init(0), cl::cat(category));
cl::opt<std::string> explain(
    "explain", cl::ValueOptional,
    cl::desc("Print, per op, the kernel candidates with their predicted "
             "latencies, the choice, and the predicted total, then exit "
             "(--explain=json: as JSON)"),
    cl::value_desc("text|json"), cl::cat(category));
cl::opt<bool> printKernels(
    "print-kernels",
    cl::desc("Print the kernel registry of --target (each candidate, the "
             "ops it runs and its configurations) and exit"),
    cl::cat(category));
cl::opt<bool> opStats("onnx-op-stats",
                      cl::desc("Print the model's op histogram (domain, op, "
                               "opset, count) and exit"),
                      cl::cat(category));
cl::opt<bool> printOnnxSupport(
    "print-onnx-support",
    cl::desc("Print the supported ONNX ops as Markdown (docs/onnx-support.md) "
             "and exit"),
    cl::cat(category));
cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Fix a graph input's shape, e.g. input_ids=2x16 (repeatable)"),
    cl::value_desc("name=DxDx..."), cl::cat(category));
cl::opt<bool> noOnnxShapeInference(
    "no-onnx-shape-inference",
    cl::desc("Skip libonnx's shape inference before importing"),
    cl::cat(category));
cl::opt<bool> noWeightData(
    "no-weight-data",
    cl::desc("Do not read initializers kept in external data files (which "
             "may be missing) and write no NAME.kweights, only its manifest "
             "NAME.kweights.json; kestrel-pack makes the weights file from "
             "it (from the ONNX data, or --dummy)"),
    cl::cat(category));

// For tests of the fatal-error handlers only (hidden): an exception from
// the C++ library, or a crash.
enum class SelfTest { None, LibraryException, Crash };
cl::opt<SelfTest> selfTest(
    "fatal-error-self-test", cl::Hidden, cl::init(SelfTest::None),
    cl::values(clEnumValN(SelfTest::LibraryException, "library-exception",
                          "std::vector::at past the end"),
               clEnumValN(SelfTest::Crash, "crash", "raise SIGSEGV")));

/// --print-kernels: the registry of `target`, one candidate per paragraph.
int printKernelRegistry(kestrel::KernelTarget target) {
  llvm::outs() << "Kernels of the " << kestrel::kernelTargetName(target)
               << " target (kestrel-select-kernels chooses one per op):\n";
  for (const kestrel::KernelCandidate &c :
       kestrel::KernelRegistry::get(target).candidates()) {
    llvm::outs() << "\n" << c.name << ": " << c.summary << "\n  ops:";
    for (StringRef op : c.ops)
      llvm::outs() << " " << op.drop_front(strlen("kestrel."));
    llvm::outs() << "\n";
    if (c.space.size() > 1 || !c.space.front().empty())
      for (const kestrel::KernelConfig &point : c.space) {
        llvm::outs() << "  config:";
        for (const auto &[key, value] : point)
          llvm::outs() << " " << key << "=" << value;
        llvm::outs() << "\n";
      }
    for (const auto &[key, values] : c.guards) {
      llvm::outs() << "  guard: " << key << " in {";
      llvm::interleaveComma(values, llvm::outs());
      llvm::outs() << "}\n";
    }
  }
  return 0;
}

/// "model.onnx: error: node 'n': message" for the importer's locations.
void printDiagnostic(Diagnostic &diag) {
  llvm::raw_ostream &os = llvm::errs();
  Location loc = diag.getLocation();
  // A fused op's location lists the nodes it came from; name the first.
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (isa<NameLoc>(part)) {
        loc = part;
        break;
      }
  std::string node;
  if (auto name = dyn_cast<NameLoc>(loc)) {
    node = name.getName().str();
    loc = name.getChildLoc();
  }
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    os << file.getFilename().getValue() << ": ";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    llvm::WithColor(os, llvm::HighlightColor::Error) << "error: ";
    break;
  case DiagnosticSeverity::Warning:
    llvm::WithColor(os, llvm::HighlightColor::Warning) << "warning: ";
    break;
  case DiagnosticSeverity::Remark:
    llvm::WithColor(os, llvm::HighlightColor::Remark) << "remark: ";
    break;
  default:
    llvm::WithColor(os, llvm::HighlightColor::Note) << "note: ";
    break;
  }
  if (!node.empty())
    os << "node '" << node << "': ";
  os << diag.str() << "\n";
  for (Diagnostic &note : diag.getNotes())
    printDiagnostic(note);
}

/// docs/onnx-support.md, generated from the importer's op table so that it
/// cannot drift (a test compares it with the committed copy).
void printSupportTable() {
  namespace of = kestrel::onnx_frontend;
  llvm::raw_ostream &os = llvm::outs();
  os << "<!-- Generated by `kestrelc --print-onnx-support`; do not edit. "
        "-->\n\n"
     << "# ONNX support\n\n"
     << "Kestrel imports models of the default ONNX domain at opsets "
     << of::kMinOnnxOpset << " to " << of::kMaxOnnxOpset
     << " (an older model whose ops changed since opset " << of::kMinOnnxOpset
     << " is first converted to it by libonnx's version converter, after "
        "its checker and shape inference; one that none changed imports as "
        "it is), plus the `com.microsoft` ops onnxruntime's transformer "
        "optimizer "
        "and model builder write.\n\n"
     << "- Element types: float32, float16, bfloat16, float8e4m3fn, int64, "
        "int32, bool. Quantized weights (int4/8/16, uint4/8/16, FLOAT8 "
        "initializers) are read where DequantizeLinear dequantizes them at "
        "compile time and where MatMulNBits and GatherBlockQuantized read "
        "them (kept packed: dequantized inside the GEMM, or row by row as "
        "they are gathered), and "
        "QuantizeLinear's integer results only where DequantizeLinear reads "
        "them. Other tensors of other types (double, int8, uint8, strings, "
        "...) are rejected with an error naming the tensor.\n"
     << "- Symbolic dimensions (`dim_param`) stay dynamic; their names are "
        "kept in the `kestrel.dim_names` argument attribute.\n"
     << "- Initializers and `Constant` tensors become `kestrel.constant` when "
        "small (at most 16 elements, or integer tensors up to 65536) and "
        "`kestrel.weight` references otherwise; external data files are "
        "read and checked.\n"
     << "- Operands that fix shapes (Reshape's shape aside, which may be "
        "computed at run time) must be constants after folding: axes, "
        "split sizes, Slice bounds, TopK's K, Trilu's k, Resize's scales, "
        "sizes and roi, If's condition (the branch taken is imported "
        "inline).\n"
     << "- libonnx's shape inference (opsets up to 17) runs first; Kestrel's "
        "own shape rules cover every opset and check ONNX's declared "
        "shapes.\n\n"
     << "| domain | op | since opset | limits |\n"
     << "| --- | --- | --- | --- |\n";
  for (const of::SupportedOp &op : of::supportedOps())
    os << "| " << (op.domain.empty() ? "ai.onnx" : op.domain) << " | "
       << op.opType << " | "
       << std::max<int64_t>(op.minOpset,
                            op.domain.empty() ? of::kMinOnnxOpset : op.minOpset)
       << " | " << op.notes << " |\n";
}

int printOpStats() {
  onnx::ModelProto model;
  std::string error;
  if (!kestrel::onnx_frontend::loadModel(inputPath, model, error)) {
    llvm::errs() << inputPath << ": error: " << error << "\n";
    return 1;
  }
  llvm::outs() << llvm::formatv("{0,-16} {1,-36} {2,5} {3,7}\n", "domain", "op",
                                "opset", "count");
  int64_t total = 0;
  for (const auto &row : kestrel::onnx_frontend::collectOpStats(model)) {
    llvm::outs() << llvm::formatv("{0,-16} {1,-36} {2,5} {3,7}\n",
                                  row.domain.empty() ? "ai.onnx" : row.domain,
                                  row.opType, row.opset, row.count);
    total += row.count;
  }
  llvm::outs() << llvm::formatv("{0,-16} {1,-36} {2,5} {3,7}\n", "total", "",
                                "", total);
  return 0;
}

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string humanBytes(uint64_t bytes) {
  if (bytes >= (uint64_t(1) << 20))
    return llvm::formatv("{0:F2} MiB", bytes / double(1 << 20)).str();
  if (bytes >= 1024)
    return llvm::formatv("{0:F1} KiB", bytes / 1024.0).str();
  return llvm::formatv("{0} bytes", bytes).str();
}

/// Names whose symbols would collide with the C API's: "kestrel" makes
/// kestrel_model(), the API's handle type, and everything "kestrel_*" is
/// the runtime's to export.
bool isReservedName(StringRef name) {
  return name == "kestrel" || name.starts_with("kestrel_");
}

/// A C identifier from the model file's stem ("my-model.v2" -> "my_model_v2"),
/// or from its folder's name for the exporters' usual "model.onnx"
/// ("llama-1b/model.onnx" -> "llama_1b"; not "model", whose entry point
/// would read model_model()).
std::string defaultModelName(StringRef path) {
  std::string name = llvm::sys::path::stem(path).str();
  if (name == "model") {
    SmallString<128> absolute(path);
    llvm::sys::fs::make_absolute(absolute);
    llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
    StringRef folder =
        llvm::sys::path::filename(llvm::sys::path::parent_path(absolute));
    if (!folder.empty() && folder != "/" && folder != ".")
      name = folder.str();
  }
  for (char &c : name)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  if (name.empty() || llvm::isDigit(name[0]) || isReservedName(name))
    name = "model_" + name;
  return name;
}

bool isCIdentifier(StringRef name) {
  if (name.empty() || llvm::isDigit(name[0]))
    return false;
  return llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

bool writeFile(const std::string &path, StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec) {
    os << contents;
    os.close();
    ec = os.error();
  }
  if (ec) {
    llvm::errs() << "kestrelc: error: cannot write " << path << ": "
                 << ec.message() << "\n";
    return false;
  }
  return true;
}

/// The program for a --flag / $ENV / built-in default triple.
std::optional<std::string> findTool(StringRef flagValue, const char *env,
                                    StringRef builtIn, StringRef what,
                                    StringRef flag) {
  std::string tool = flagValue.str();
  if (tool.empty())
    if (const char *value = std::getenv(env))
      tool = value;
  if (tool.empty())
    tool = builtIn.str();
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName(tool);
  if (!program) {
    llvm::errs() << "kestrelc: error: " << what << " '" << tool
                 << "' not found (set " << flag << " or " << env << ")\n";
    return std::nullopt;
  }
  return *program;
}

std::optional<std::string> findCxx() {
  return findTool(cxxCompiler, "KESTREL_CXX", KESTREL_CXX_COMPILER,
                  "C++ compiler", "--cxx");
}

/// kestrelc --print-cpu: the host CPU and, per level, "runs" or what it
/// lacks (test/unit/run-at-cpu-level.sh reads the "runs" lines).
int printCpuLevels() {
  namespace kr = kestrel::runtime;
  llvm::raw_ostream &os = llvm::outs();
  os << "cpu: " << kr::hostCpuName() << "\n"
     << "native: " << kr::cpuLevelName(kr::hostCpuLevel()) << "\n"
     << "levels:\n";
  for (kr::CpuLevel level : kr::kCpuLevels) {
    os << llvm::formatv("  {0,-10} ", kr::cpuLevelName(level));
    std::vector<const char *> missing = kr::missingCpuFeatures(level);
    if (missing.empty())
      os << "runs\n";
    else
      os << "lacks " << llvm::join(missing, ", ") << "\n";
  }
  return 0;
}

/// The linker flags that make libNAME.so relocatable and self-contained: a
/// SONAME (so an app records "libNAME.so", found through its rpath or
/// LD_LIBRARY_PATH, not the path it was linked from) and a version script
/// that exports only the C API and NAME_model() under a version node of the
/// runtime API (KESTREL_RUNTIME_<n>), so that two models (of the same or of
/// different Kestrel versions) share a process without their runtimes'
/// internals colliding. The script goes to a temporary file, removed by the
/// returned guard.
struct LinkExports {
  std::vector<std::string> flags;
  std::optional<llvm::FileRemover> remover;
  SmallString<128> scriptPath;
};

bool linkExports(StringRef name, LinkExports &out) {
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "kestrel-exports", "map", fd, out.scriptPath)) {
    llvm::errs() << "kestrelc: error: cannot create a temporary file: "
                 << ec.message() << "\n";
    return false;
  }
  out.remover.emplace(out.scriptPath);
  llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
  os << "KESTREL_RUNTIME_" << KESTREL_RUNTIME_VERSION << " {\n"
     << "  global:\n    kestrel_*;\n    " << name << "_model;\n"
     << "  local:\n    *;\n};\n";
  os.close();
  if (os.has_error()) {
    llvm::errs() << "kestrelc: error: cannot write " << out.scriptPath << ": "
                 << os.error().message() << "\n";
    os.clear_error();
    return false;
  }
  out.flags = {("-Wl,-soname,lib" + name + ".so").str(),
               ("-Wl,--version-script=" + out.scriptPath).str()};
  return true;
}

/// A temporary build folder, removed with its contents unless `keep` (set
/// when a build step failed, so its inputs and logs can be looked at).
struct BuildDir {
  SmallString<128> path;
  bool keep = false;
  BuildDir() = default;
  BuildDir(const BuildDir &) = delete;
  BuildDir &operator=(const BuildDir &) = delete;
  ~BuildDir() {
    if (!path.empty() && !keep)
      llvm::sys::fs::remove_directories(path);
  }
};

/// The kernel library built for `level` (lib/libkestrel_cpu_kernels-*.a).
std::string cpuKernelsArchive(kestrel::runtime::CpuLevel level) {
  return std::string(KESTREL_CPU_KERNELS_DIR) + "/libkestrel_cpu_kernels-" +
         kestrel::runtime::cpuLevelName(level) + ".a";
}

/// Compiles the emitted source into libNAME.so with the system C++ compiler,
/// for the CPU level `level`. Returns kestrelc's exit status: a missing
/// compiler is the environment's problem, emitted code that does not compile
/// is Kestrel's.
int compileLibrary(const std::string &source, const std::string &library,
                   StringRef name, int64_t lines,
                   kestrel::runtime::CpuLevel level) {
  std::optional<std::string> program = findCxx();
  if (!program)
    return kExitError;
  std::string march =
      std::string("-march=") + kestrel::runtime::cpuLevelName(level);
  LinkExports exports;
  if (!linkExports(name, exports))
    return kExitError;
  // The runtime (built for the baseline; it exports the C API and checks the
  // CPU at open) comes first, so the linker keeps its copies of inline
  // functions shared with the model's code and the kernels, which are built
  // for `level`: nothing the runtime runs before that check is built for
  // more than the baseline (docs/portability.md).
  std::vector<std::string> args = {
      *program,
      "-std=c++17",
      "-O2",
      march,
      // The fused_elementwise loops vectorize (omp simd; sqrtf without
      // errno).
      "-fopenmp-simd",
      "-fno-math-errno",
      "-fPIC",
      "-shared",
      "-fvisibility=hidden",
      "-I" KESTREL_SOURCE_DIR,
      "-I" KESTREL_SOURCE_DIR "/runtime/include",
      "-o",
      library,
      "-Wl,--whole-archive",
      KESTREL_RUNTIME_ARCHIVE,
      "-Wl,--no-whole-archive",
      source,
      cpuKernelsArchive(level),
      "-lpthread",
      "-ldl",
      "-Wl,-z,defs",
  };
  args.insert(args.end(), exports.flags.begin(), exports.flags.end());
  llvm::errs() << "kestrelc: compiling " << llvm::sys::path::filename(library)
               << " (" << lines << " lines of C++) with "
               << llvm::sys::path::filename(*program) << " -O2 " << march
               << " ...\n";
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(*program, argRefs, std::nullopt, {}, 0, 0,
                                     &error);
  if (rc != 0) {
    llvm::errs() << "kestrelc: internal error: the C++ compiler failed ("
                 << (error.empty() ? "exit " + std::to_string(rc) : error)
                 << ") on " << source << "\n"
                 << kBugReportMessage;
    return kExitInternal;
  }
  return kExitOk;
}

/// How many of each kestrel op `module` holds, by name without the
/// dialect prefix.
std::map<std::string, int64_t> countOps(ModuleOp module) {
  std::map<std::string, int64_t> counts;
  module.walk([&](Operation *op) {
    if (op->getDialect() &&
        op->getDialect()->getNamespace() ==
            kestrel::KestrelDialect::getDialectNamespace() &&
        op->getParentOp() && isa<func::FuncOp>(op->getParentOp()))
      ++counts[op->getName().stripDialect().str()];
  });
  return counts;
}

/// The --stats lines on fusion: the op histogram as imported and as
/// compiled, and the fused ops' counts (with how many the passes made).
std::string formatOpCounts(const std::map<std::string, int64_t> &before,
                           const std::map<std::string, int64_t> &after,
                           bool skipped) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto line = [&](StringRef label, const std::map<std::string, int64_t> &m) {
    int64_t total = 0;
    for (const auto &entry : m)
      total += entry.second;
    os << "  ops " << label << ": " << total << " (";
    llvm::interleaveComma(m, os, [&](const auto &entry) {
      os << entry.first << " " << entry.second;
    });
    os << ")\n";
  };
  line("as imported", before);
  line(skipped ? "compiled (--no-fusion)" : "compiled", after);
  auto count = [&](const std::map<std::string, int64_t> &m, StringRef op) {
    auto it = m.find(op.str());
    return it == m.end() ? int64_t(0) : it->second;
  };
  os << "  fused ops:";
  for (StringRef op :
       {"attention", "rms_norm", "layer_norm", "add_rms_norm", "add_layer_norm",
        "rope", "fused_matmul", "multi_matmul", "fused_elementwise"}) {
    int64_t change = count(after, op) - count(before, op);
    os << " " << op << " " << count(after, op) << " ("
       << (change >= 0 ? "+" : "") << change << ")";
  }
  os << "; softmax left " << count(after, "softmax") << " of "
     << count(before, "softmax") << "\n";
  return text;
}

} // namespace

/// The input file must be a readable regular file (and, for .mlir input,
/// which the readers would take as an empty module, a non-empty one): a
/// directory or a FIFO would otherwise fail deep in a reader (or block),
/// far from a message that says what was wrong. Opened without blocking and
/// checked through the descriptor.
bool checkInputFile(StringRef path, bool requireNonEmpty) {
  int64_t size = 0;
  std::string error;
  int fd = kestrel::onnx_frontend::openRegularFile(path.str(), size, error);
  if (fd < 0) {
    llvm::errs() << path << ": error: " << error
                 << (error.rfind("cannot", 0) == 0
                         ? ""
                         : "; give the path of an .onnx or .mlir file")
                 << "\n";
    return false;
  }
  ::close(fd);
  if (requireNonEmpty && size == 0) {
    llvm::errs() << path << ": error: the file is empty\n";
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  installFatalErrorHandlers("kestrelc");
  cl::SetVersionPrinter(printVersion);
  cl::HideUnrelatedOptions(category);
  // LLVM owns an option called "stats" (its statistics, empty in release
  // builds); kestrelc takes it over for its own compile report.
  auto &registered = cl::getRegisteredOptions();
  auto statsIt = registered.find("stats");
  if (statsIt != registered.end()) {
    statsIt->second->setDescription(
        "Print compile times, the memory plan (peak arena bytes against the "
        "sum of all intermediates) and the output sizes");
    statsIt->second->addCategory(category);
    statsIt->second->setHiddenFlag(cl::NotHidden);
  }
  // Errors of the command line are usage errors (exit 2), not LLVM's exit 1.
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "kestrelc: the Kestrel compiler (ONNX in; a library, its header and "
          "its weights out)\n\n"
          "Exit status: 0 success; 1 the input was rejected (unreadable, "
          "malformed or unsupported model, unwritable output, missing "
          "compiler); 2 usage error; 3 internal error (a Kestrel bug)\n",
          &llvm::errs()))
    return kExitUsage;
  bool printStats = llvm::AreStatisticsEnabled();
  if (selfTest == SelfTest::LibraryException) {
    std::vector<int> empty;
    return empty.at(static_cast<size_t>(argc)); // throws std::out_of_range
  }
  if (selfTest == SelfTest::Crash)
    std::raise(SIGSEGV);

  if (printOnnxSupport) {
    printSupportTable();
    return 0;
  }
  if (printCpu)
    return printCpuLevels();
  if (printKernels) {
    StringRef spec = targetSpec;
    return printKernelRegistry(spec == "cuda" || spec.starts_with("cuda")
                                   ? kestrel::KernelTarget::Cuda
                                   : kestrel::KernelTarget::Cpu);
  }
  if (inputPath.empty()) {
    llvm::errs() << "kestrelc: error: no input model (see kestrelc --help)\n";
    return kExitUsage;
  }
  if (!checkInputFile(
          inputPath,
          /*requireNonEmpty=*/StringRef(inputPath).ends_with(".mlir")))
    return kExitError;
  if (opStats)
    return printOpStats();
  // --target and --precision.
  bool cudaTarget = false, emulate = false;
  std::vector<std::string> archs;
  {
    StringRef spec = targetSpec;
    if (spec == "cuda-emu") {
      // The CUDA target's code, built for the CUDA emulator (issue 7): the
      // model runs on the CPU with CUDA's semantics, for tests.
      cudaTarget = emulate = true;
      archs = {"sm_90a"};
      if (emit == Emit::Source) {
        llvm::errs() << "kestrelc: error: --target=cuda-emu builds a library; "
                        "for sources use --target=cuda --emit=source\n";
        return kExitUsage;
      }
    } else if (spec == "cuda" || spec.starts_with("cuda:")) {
      cudaTarget = true;
      std::string error;
      if (!kestrel::codegen::cuda::parseArchs(
              spec.drop_front(spec.size() > 4 ? 5 : 4), archs, error)) {
        llvm::errs() << "kestrelc: error: --target=" << spec << ": " << error
                     << "\n";
        return kExitUsage;
      }
    } else if (spec != "cpu") {
      llvm::errs() << "kestrelc: error: --target=" << spec
                   << " is not a target (cpu, or cuda[:sm_80,sm_90a,...])\n";
      return kExitUsage;
    }
    if (!precision.empty() && precision != "bf16" && precision != "f16" &&
        precision != "f32") {
      llvm::errs() << "kestrelc: error: --precision=" << precision
                   << " is not one of bf16, f16, f32\n";
      return kExitUsage;
    }
    if (!cudaTarget && !precision.empty() && precision != "f32") {
      llvm::errs() << "kestrelc: error: --precision=" << precision
                   << " applies to --target=cuda; the CPU backend computes "
                      "in the model's own types\n";
      return kExitUsage;
    }
  }
  // --kernel: a candidate of the target's registry.
  if (!forceKernel.empty() &&
      !kestrel::KernelRegistry::get(cudaTarget ? kestrel::KernelTarget::Cuda
                                               : kestrel::KernelTarget::Cpu)
           .lookup(forceKernel)) {
    llvm::errs() << "kestrelc: error: --kernel=" << forceKernel
                 << " is not a kernel of the " << (cudaTarget ? "cuda" : "cpu")
                 << " target (kestrelc --print-kernels --target="
                 << (cudaTarget ? "cuda" : "cpu") << " lists them)\n";
    return kExitUsage;
  }
  // --explain, --device, --calibration: checked here, before any work.
  bool explainJson = explain == "json";
  if (explain.getNumOccurrences() && !explain.empty() && explain != "text" &&
      !explainJson) {
    llvm::errs() << "kestrelc: error: --explain=" << explain
                 << " is not text or json\n";
    return kExitUsage;
  }
  if (explain.getNumOccurrences() &&
      (emit == Emit::Import || emit == Emit::Graph)) {
    llvm::errs() << "kestrelc: error: --explain shows the kernel selection, "
                    "which --emit="
                 << (emit == Emit::Import ? "import" : "graph")
                 << " stops before\n";
    return kExitUsage;
  }
  llvm::Expected<kestrel::SelectionOptions> selection =
      kestrel::makeSelectionOptions(
          cudaTarget ? "cuda" : "cpu", deviceProfile, calibrationFile,
          SmallVector<int64_t>(predictDims.begin(), predictDims.end()),
          predictThreads, forceKernel);
  if (!selection) {
    llvm::errs() << "kestrelc: error: " << llvm::toString(selection.takeError())
                 << "\n";
    return kExitUsage;
  }
  // --cpu: a level, or the highest one this machine runs.
  std::optional<kestrel::runtime::CpuLevel> cpuLevel =
      cpuSpec == "native" ? kestrel::runtime::hostCpuLevel()
                          : kestrel::runtime::parseCpuLevel(cpuSpec);
  if (!cpuLevel) {
    llvm::errs() << "kestrelc: error: --cpu=" << cpuSpec
                 << " is not a CPU level (x86-64, x86-64-v2, x86-64-v3, "
                    "x86-64-v4 or native; kestrelc --print-cpu lists what "
                    "this machine runs)\n";
    return kExitUsage;
  }
  bool toLibrary = emit == Emit::Lib || emit == Emit::Source;
  if (toLibrary && outputPath.empty() && !explain.getNumOccurrences()) {
    llvm::errs() << "kestrelc: error: --emit="
                 << (emit == Emit::Lib ? "lib" : "source")
                 << " needs an output directory: -o OUTDIR\n";
    return kExitUsage;
  }
  std::string name =
      modelName.empty() ? defaultModelName(inputPath) : modelName.getValue();
  if (!isCIdentifier(name)) {
    llvm::errs() << "kestrelc: error: --name '" << name
                 << "' is not a C identifier (letters, digits and '_', not "
                    "starting with a digit)\n";
    return kExitUsage;
  }
  if (isReservedName(name)) {
    llvm::errs() << "kestrelc: error: --name '" << name
                 << "' is reserved: 'kestrel' and names starting with "
                    "'kestrel_' would collide with the runtime's C API\n";
    return kExitUsage;
  }
  kestrel::codegen::ModelEmitOptions emitOptions;
  emitOptions.name = name;
  emitOptions.cpuLevel = *cpuLevel;
  // The element type f32 model data is stored in where it runs.
  std::string storagePrecision =
      !cudaTarget ? "f32" : (precision.empty() ? "bf16" : precision.getValue());
  emitOptions.source = llvm::sys::path::filename(inputPath).str();
  for (const std::string &spec : dimRanges) {
    auto [dim, range] = StringRef(spec).split('=');
    auto [lo, hi] = range.split(':');
    int64_t min, max;
    if (dim.empty() || lo.getAsInteger(10, min) || hi.getAsInteger(10, max) ||
        min < 0 || max < min) {
      llvm::errs() << "kestrelc: error: --dim-range expects NAME=MIN:MAX with "
                      "0 <= MIN <= MAX, got '"
                   << spec << "'\n";
      return kExitUsage;
    }
    emitOptions.dimRanges[dim.str()] = {min, max};
  }

  MLIRContext context;
  context.loadDialect<kestrel::KestrelDialect, func::FuncDialect,
                      arith::ArithDialect, math::MathDialect>();
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    printDiagnostic(diag);
    return success();
  });

  kestrel::onnx_frontend::ImportOptions options;
  options.onnxShapeInference = !noOnnxShapeInference;
  options.skipExternalWeightData = noWeightData;
  for (const std::string &spec : inputShapes) {
    auto [name, dims] = StringRef(spec).split('=');
    std::vector<int64_t> shape;
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    bool ok = !name.empty() && !dims.empty();
    for (StringRef part : parts) {
      int64_t d;
      ok &= !part.getAsInteger(10, d) && d >= 0;
      shape.push_back(ok ? d : 0);
    }
    if (dims == "scalar") {
      shape.clear();
      ok = true;
    }
    if (!ok) {
      llvm::errs() << "kestrelc: error: --input-shape expects NAME=DxDx... "
                      "(or NAME=scalar), got '"
                   << spec << "'\n";
      return kExitUsage;
    }
    options.inputShapes[name.str()] = shape;
  }
  std::map<std::string, DenseElementsAttr> weightData;
  if (toLibrary)
    options.onWeight = [&](StringRef name, DenseElementsAttr data) {
      weightData[name.str()] = data;
    };

  Clock::time_point start = Clock::now();
  // A .mlir input (kestrel dialect, e.g. from --emit=import) skips the
  // importer; it carries no weight data, so only weight-free modules
  // compile to a library from it.
  bool mlirInput = StringRef(inputPath).ends_with(".mlir");
  OwningOpRef<ModuleOp> module;
  if (mlirInput) {
    if (!inputShapes.empty()) {
      llvm::errs() << "kestrelc: error: --input-shape applies to ONNX models, "
                      "not to .mlir input\n";
      return kExitUsage;
    }
    module = parseSourceFile<ModuleOp>(inputPath, &context);
  } else {
    module =
        kestrel::onnx_frontend::importOnnxFile(context, inputPath, options);
  }
  if (!module)
    return 1;
  double importSeconds = secondsSince(start);

  Clock::time_point passStart = Clock::now();
  std::string opCounts;
  if (emit != Emit::Import) {
    std::map<std::string, int64_t> imported = countOps(*module);
    PassManager pm(&context);
    kestrel::SelectKernelsOptions kernels;
    kernels.target = cudaTarget ? "cuda" : "cpu";
    kernels.force = forceKernel;
    kernels.device = deviceProfile;
    kernels.calibration = calibrationFile;
    kernels.dynamicDims.assign(predictDims.begin(), predictDims.end());
    kernels.threads = predictThreads;
    kestrel::AssignStorageOptions storage;
    storage.precision = storagePrecision;
    if (emit == Emit::Graph)
      kestrel::buildGraphPipeline(pm, /*fusion=*/!noFusion, fusionRemarks);
    else
      kestrel::buildCompilePipeline(pm, /*fusion=*/!noFusion, fusionRemarks,
                                    kernels, storage);
    if (failed(pm.run(*module)))
      return 1;
    if (explain.getNumOccurrences() && emit != Emit::Graph) {
      // The same ranking the pass chose by (deterministic).
      for (auto func : module->getOps<mlir::func::FuncOp>()) {
        if (func.isExternal())
          continue;
        FailureOr<std::vector<kestrel::OpRanking>> rankings =
            kestrel::rankKernels(func, *selection);
        if (failed(rankings))
          return 1;
        kestrel::printExplanation(llvm::outs(), func, *rankings, *selection,
                                  explainJson);
      }
      return 0;
    }
    if (printStats)
      opCounts = formatOpCounts(imported, countOps(*module), noFusion);
  }
  double passSeconds = secondsSince(passStart);
  // With --emit=mlir|graph|import the module goes to -o; the op counts to
  // stderr.
  if (printStats && !toLibrary)
    llvm::errs() << opCounts;

  if (!toLibrary) {
    std::string error;
    auto output = openOutputFile(
        outputPath.empty() ? std::string("-") : outputPath.getValue(), &error);
    if (!output) {
      llvm::errs() << outputPath << ": error: " << error << "\n";
      return 1;
    }
    module->print(output->os());
    output->os() << "\n";
    output->keep();
    return 0;
  }

  // Code generation. The model hash covers the architecture (the compiled
  // IR) and the target with its storage precision ("cuda:bf16"), not the
  // weights' data: any weights file of the right tensors fits.
  Clock::time_point codegenStart = Clock::now();
  std::string source, header;
  llvm::raw_string_ostream sourceOs(source), headerOs(header);
  uint64_t hash = kestrel::codegen::modelHash(
      *module, cudaTarget ? "cuda:" + storagePrecision : "cpu");
  emitOptions.modelHash = hash;
  // The model's host code (tables, shapes, ops on the host) comes from the
  // CPU backend; execute's kernel calls from the target's.
  kestrel::codegen::cpu::CpuTarget cpuBackend;
  std::optional<kestrel::codegen::cuda::CudaTarget> cudaBackend;
  if (cudaTarget)
    cudaBackend.emplace(archs);
  kestrel::codegen::TargetBackend &backend =
      cudaTarget ? static_cast<kestrel::codegen::TargetBackend &>(*cudaBackend)
                 : cpuBackend;
  FailureOr<kestrel::codegen::ModelEmitResult> emitted =
      kestrel::codegen::emitModel(*module, backend, cpuBackend, emitOptions,
                                  sourceOs, headerOs);
  if (failed(emitted))
    return 1;

  kestrel::runtime::WeightsWriter writer;
  uint64_t weightBytes = 0;
  std::string weightError;
  if (!noWeightData && !kestrel::codegen::addWeights(
                           emitted->weights, emitted->weightTypes, weightData,
                           writer, weightBytes, weightError)) {
    llvm::errs() << "kestrelc: error: " << weightError
                 << (mlirInput && weightError.rfind("no data", 0) == 0
                         ? " (a .mlir input carries no weights; compile the "
                           "ONNX model instead, or pass --no-weight-data and "
                           "make the weights file with kestrel-pack)"
                         : "")
                 << "\n";
    return 1;
  }
  double codegenSeconds = secondsSince(codegenStart);

  // Permissions as the umask allows (0755 under the usual 022), like mkdir.
  if (llvm::sys::fs::exists(outputPath) &&
      !llvm::sys::fs::is_directory(outputPath)) {
    llvm::errs() << "kestrelc: error: cannot create " << outputPath
                 << ": a file of that name exists (-o names the output "
                    "folder)\n";
    return kExitError;
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(
          outputPath, /*IgnoreExisting=*/true, llvm::sys::fs::all_all)) {
    llvm::errs() << "kestrelc: error: cannot create " << outputPath << ": "
                 << ec.message() << "\n";
    return 1;
  }
  std::string base = outputPath + "/" + name;
  std::string error;
  if (!noWeightData && !writer.write(base + ".kweights", hash, error)) {
    llvm::errs() << "kestrelc: error: " << error << "\n";
    return 1;
  }
  // The manifest: what kestrel-pack needs to write NAME.kweights later.
  FailureOr<kestrel::runtime::WeightsManifest> manifest =
      kestrel::codegen::weightsManifest(*module, emitted->weights,
                                        emitted->weightTypes, name, hash,
                                        inputPath);
  if (failed(manifest) || !kestrel::runtime::writeManifest(
                              base + ".kweights.json", *manifest, error)) {
    if (succeeded(manifest))
      llvm::errs() << "kestrelc: error: " << error << "\n";
    return 1;
  }
  if (noWeightData)
    llvm::errs() << "kestrelc: --no-weight-data: no " << name
                 << ".kweights written; make it with kestrel-pack " << base
                 << ".kweights.json -o " << base
                 << ".kweights (--onnx MODEL.onnx | --dummy SEED)\n";
  std::string runtimeHeaderDir = outputPath + "/kestrel";
  llvm::sys::fs::create_directories(runtimeHeaderDir, /*IgnoreExisting=*/true,
                                    llvm::sys::fs::all_all);
  if (std::error_code ec = llvm::sys::fs::copy_file(
          KESTREL_SOURCE_DIR "/runtime/include/kestrel/runtime.h",
          runtimeHeaderDir + "/runtime.h")) {
    llvm::errs() << "kestrelc: error: cannot copy kestrel/runtime.h into "
                 << outputPath << ": " << ec.message() << "\n";
    return 1;
  }
  // --emit=lib builds in a temporary folder: only the deliverables land in
  // OUTDIR (the library, its header, the weights and their manifest, the
  // runtime header, NAMEConfig.cmake and NAME.pc).
  std::optional<BuildDir> work;
  std::string sourcePath = base + ".cpp";
  if (emit == Emit::Lib) {
    work.emplace();
    if (std::error_code ec = llvm::sys::fs::createUniqueDirectory(
            "kestrel-" + name, work->path)) {
      llvm::errs() << "kestrelc: error: cannot create a temporary build "
                      "folder: "
                   << ec.message() << "\n";
      return kExitError;
    }
    sourcePath = (work->path + "/" + name + ".cpp").str();
  }
  if (!writeFile(sourcePath, source) || !writeFile(base + ".h", header))
    return 1;
  {
    kestrel::tools::PackageInfo package;
    package.name = name;
    package.version = kestrelVersion();
    package.description =
        "from " + llvm::sys::path::filename(inputPath).str() + ", " +
        (cudaTarget ? "CUDA " + llvm::join(archs, ",") + " " + storagePrecision
                    : std::string("CPU")) +
        ", host code for " + kestrel::runtime::cpuLevelName(*cpuLevel);
    if (!writeFile(outputPath + "/" + name + "Config.cmake",
                   kestrel::tools::cmakePackageConfig(package)) ||
        !writeFile(outputPath + "/" + name + "ConfigVersion.cmake",
                   kestrel::tools::cmakePackageVersion(package)) ||
        !writeFile(base + ".pc", kestrel::tools::pkgConfig(package)))
      return kExitError;
  }
  double frontSeconds = secondsSince(start);

  double cxxSeconds = 0;
  std::string library = outputPath + "/lib" + name + ".so";
  kestrel::codegen::cuda::BuildStats cudaStats;
  if (cudaTarget) {
    namespace kc = kestrel::codegen::cuda;
    kc::BuildOptions build;
    build.archs = archs;
    build.sourceDir = KESTREL_SOURCE_DIR;
    build.cpuLevel = kestrel::runtime::cpuLevelName(*cpuLevel);
    if (!noCache)
      build.cacheDir =
          cacheDir.empty() ? kc::defaultCacheDir() : cacheDir.getValue();
    auto kernels = cudaBackend->kernelSources();
    std::string error;
    if (emit == Emit::Source) {
      if (!kc::writeSourceTree(outputPath, name, kernels, build, error)) {
        llvm::errs() << "kestrelc: error: " << error << "\n";
        return 1;
      }
    } else {
#ifdef KESTREL_CUDA_ARCHIVE
      Clock::time_point cxxStart = Clock::now();
      std::optional<std::string> cxx = findCxx();
      std::optional<std::string> nvcc =
          emulate ? std::nullopt
                  : findTool(nvccPath, "KESTREL_NVCC", KESTREL_NVCC, "nvcc",
                             "--nvcc");
      if (!cxx || (!emulate && !nvcc))
        return kExitError;
      LinkExports exports;
      if (!linkExports(name, exports))
        return kExitError;
      build.linkFlags = exports.flags;
      build.cxx = *cxx;
      build.nvcc = nvcc ? *nvcc : "";
      build.emulate = emulate;
      build.python = KESTREL_PYTHON;
      build.rewriter = KESTREL_CUDA_EMU_REWRITE;
      build.prelude = KESTREL_CUDA_EMU_PRELUDE;
      build.emuSourceDir = KESTREL_CUDA_EMU_SOURCE_DIR;
      build.emuArchive = KESTREL_CUDA_EMU_ARCHIVE;
      build.cudaRuntimeEmuArchive = KESTREL_CUDA_RT_EMU_ARCHIVE;
      build.cudaInclude = KESTREL_CUDA_INCLUDE;
      build.runtimeArchive = KESTREL_RUNTIME_ARCHIVE;
      build.cpuKernelsArchive = cpuKernelsArchive(*cpuLevel);
      build.cudaArchive = KESTREL_CUDA_ARCHIVE;
      build.cudaRuntimeArchive = KESTREL_CUDA_RT_ARCHIVE;
      build.cudaLibDir = KESTREL_CUDA_LIBRARY_DIR;
      if (!kc::buildLibrary(outputPath, work->path.str().str(), name, kernels,
                            build, cudaStats, error)) {
        work->keep = true;
        llvm::errs() << "kestrelc: internal error: " << error
                     << " (the build files are kept in " << work->path << ")\n"
                     << kBugReportMessage;
        return kExitInternal;
      }
      cxxSeconds = secondsSince(cxxStart);
#else
      llvm::errs() << "kestrelc: error: this kestrelc was built without the "
                      "CUDA toolkit, so --target=cuda can only --emit=source "
                      "(or rebuild Kestrel with CUDA)\n";
      return 1;
#endif
    }
  } else if (emit == Emit::Lib) {
    Clock::time_point cxxStart = Clock::now();
    if (int status = compileLibrary(
            sourcePath, library, name,
            std::count(source.begin(), source.end(), '\n'), *cpuLevel)) {
      work->keep = status == kExitInternal;
      return status;
    }
    cxxSeconds = secondsSince(cxxStart);
  }

  if (printStats) {
    const kestrel::BufferPlan &plan = emitted->plan;
    std::map<std::string, int64_t> byStorage;
    for (const kestrel::ValuePlan &p : plan.values)
      ++byStorage[kestrel::storageName(p.storage)];
    llvm::raw_ostream &os = llvm::outs();
    os << "kestrelc: model '" << name << "' from " << inputPath << "\n";
    os << "  cpu: " << kestrel::runtime::cpuLevelName(*cpuLevel)
       << (cpuSpec == "native" ? " (--cpu=native on this machine)" : "")
       << "; the library refuses to open on a CPU without it\n";
    os << llvm::formatv("  time: import {0:F3} s, passes {1:F3} s, codegen "
                        "{2:F3} s; total excluding the C++ compiler {3:F3} s\n",
                        importSeconds, passSeconds, codegenSeconds,
                        frontSeconds);
    if (emit == Emit::Lib && cudaTarget)
      os << llvm::formatv("  time: build {0:F2} s (nvcc {1:F2} s, C++ {2:F2} "
                          "s, link {3:F2} s); objects: {4} compiled, {5} "
                          "from the cache\n",
                          cxxSeconds, cudaStats.nvccSeconds,
                          cudaStats.cxxSeconds, cudaStats.linkSeconds,
                          cudaStats.compiled, cudaStats.cached);
    else if (emit == Emit::Lib)
      os << llvm::formatv("  time: C++ compiler {0:F2} s\n", cxxSeconds);
    os << opCounts;
    os << "  kernel calls: " << emitted->numKernelCalls << " per run ("
       << emitted->numHostCalls << " more on the host, for shapes)";
    if (const std::vector<int64_t> &layers = emitted->kernelCallsPerLayer;
        !layers.empty()) {
      // Between consecutive attention ops: a decoder layer, embedding and
      // head aside.
      auto [lo, hi] = std::minmax_element(layers.begin(), layers.end());
      os << "; per layer " << *lo;
      if (*hi != *lo)
        os << " to " << *hi;
      os << " (" << layers.size() + 1 << " attention layers)";
    }
    os << "; values:";
    for (const auto &[storage, count] : byStorage)
      os << " " << storage << " " << count;
    os << "\n";
    if (plan.isStatic)
      os << "  memory: arena " << plan.arenaBytes << " bytes (peak) vs "
         << plan.intermediateBytes << " bytes for all " << plan.numArena
         << " intermediates apart ("
         << llvm::formatv("{0:F1}",
                          plan.intermediateBytes
                              ? 100.0 * plan.arenaBytes / plan.intermediateBytes
                              : 0.0)
         << "%)\n";
    else if (plan.numStages > 1)
      os << "  memory: " << plan.numArena << " intermediates in "
         << plan.numStages
         << " stages (what reads a NonZero's result waits for its count); "
            "each stage's arena is planned at run time once the stages "
            "before have run\n";
    else
      os << "  memory: " << plan.numArena
         << " intermediates with symbolic shapes; the arena is planned at "
            "run time from the bound input shapes (same algorithm), and "
            "re-planned when they change\n";
    uint64_t libSize = 0;
    if (emit == Emit::Lib)
      llvm::sys::fs::file_size(library, libSize);
    uint64_t weightsSize = 0;
    llvm::sys::fs::file_size(base + ".kweights", weightsSize);
    if (emit == Emit::Lib)
      os << "  library: lib" << name << ".so " << humanBytes(libSize) << "; ";
    else
      os << "  ";
    if (noWeightData)
      os << "weights: none written (--no-weight-data); "
         << emitted->weights.size() << " tensors in " << name
         << ".kweights.json\n";
    else
      os << "weights: " << name << ".kweights " << humanBytes(weightsSize)
         << " (" << emitted->weights.size() << " tensors, "
         << humanBytes(weightBytes) << " of data)\n";
  }
  return 0;
}
