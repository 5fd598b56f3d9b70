//===- kestrel-onnx-conformance.cpp - ONNX node tests through Kestrel -----===//
//
// Runs the ONNX backend node tests (model.onnx + test_data_set_N folders)
// through the importer: every test whose ops Kestrel supports must import
// and verify. Each is tried with every input fed at run time first (so the
// kernels see integer inputs too); one that needs integer or one-element
// inputs (shapes, axes, K, depth, ...) as compile-time operands is retried
// with them frozen to their test-data values (--freeze-int-inputs). Tests with
// unsupported ops or element types are counted apart. The numeric check of the
// same tests runs on the CPU backend.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuTarget.h"
#include "codegen/cuda/CudaTarget.h"
#include "codegen/host/ModelEmitter.h"
#include "codegen/host/Weights.h"
#include "dialects/kestrel/IR/KestrelDialect.h"
#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/OnnxModel.h"
#include "passes/Pipeline.h"
#include "runtime/WeightsFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <map>
#include <optional>
#include <set>

using namespace mlir;
namespace cl = llvm::cl;
namespace of = kestrel::onnx_frontend;

namespace {

cl::OptionCategory category("kestrel-onnx-conformance options");
cl::list<std::string> testRoots(cl::Positional, cl::OneOrMore,
                                cl::desc("<node test folder>..."),
                                cl::cat(category));
cl::opt<bool> freezeIntInputs(
    "freeze-int-inputs",
    cl::desc("Turn integer and one-element graph inputs into initializers "
             "holding their test_data_set_0 values"),
    cl::cat(category));
cl::opt<std::string> expectedFailures(
    "expected-failures",
    cl::desc("File listing tests allowed to fail (one name per line, '#' "
             "comments); others fail the run, as does a listed test that "
             "passes"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> emitCpuDir(
    "emit-cpu",
    cl::desc("Also compile every imported test for the CPU backend: writes "
             "DIR/NAME.cpp, DIR/NAME.kweights and DIR/manifest.json (test "
             "folder, model name, the test-data index of each model input) "
             "for test/conformance/run_node_cpu.py"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<bool> emitCuda(
    "cuda",
    cl::desc("With --emit-cpu: compile for the CUDA target instead (f32 "
             "storage, the CUDA kernel library; generated kernels under "
             "DIR/kernels), for test/conformance/run_node_cpu.py --emulator"),
    cl::cat(category));
cl::opt<bool> verbose("v", cl::desc("Print every test's outcome"),
                      cl::cat(category));

enum class Outcome { Passed, UnsupportedOp, UnsupportedType, Failed, OldOpset };

struct Result {
  std::string name;
  Outcome outcome;
  std::string detail;
  std::set<std::string> ops;
  /// --emit-cpu: the emitted model's name, its inputs' test-data indices,
  /// or why it could not be compiled.
  std::string cpuName;
  std::vector<int> cpuInputs;
  std::string cpuError;
  /// Imported with every input fed at run time (nothing frozen).
  bool allInputs = false;
};

/// A C identifier for a test's emitted model.
std::string cName(StringRef test) {
  std::string name = "t_";
  for (char c : test)
    name += llvm::isAlnum(c) ? c : '_';
  return name;
}

/// Writes `contents` to `path`; false (with `error`) when it cannot.
bool writeText(const std::string &path, StringRef contents,
               std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec) {
    error = "cannot write " + path + ": " + ec.message();
    return false;
  }
  out << contents;
  return true;
}

/// Compiles an imported test for the CPU backend (or, with --cuda, the
/// CUDA target in f32) into --emit-cpu's folder.
void emitForCpu(ModuleOp module, const onnx::ModelProto &model,
                const std::map<std::string, DenseElementsAttr> &weights,
                const std::vector<std::string> &originalInputs,
                std::string &firstError, Result &r) {
  PassManager pm(module.getContext());
  kestrel::SelectKernelsOptions kernels;
  kestrel::AssignStorageOptions storage;
  if (emitCuda) {
    kernels.target = "cuda";
    storage.precision = "f32";
  }
  kestrel::buildCompilePipeline(pm, /*fusion=*/true, /*fusionRemarks=*/false,
                                kernels, storage);
  if (failed(pm.run(module))) {
    r.cpuError = "pipeline: " + firstError;
    return;
  }
  std::string source, header;
  llvm::raw_string_ostream sourceOs(source), headerOs(header);
  kestrel::codegen::ModelEmitOptions options;
  options.name = cName(r.name);
  options.source = r.name;
  options.modelHash =
      kestrel::codegen::modelHash(module, emitCuda ? "cuda:f32" : "cpu");
  kestrel::codegen::cpu::CpuTarget cpu;
  std::optional<kestrel::codegen::cuda::CudaTarget> cuda;
  if (emitCuda)
    cuda.emplace(std::vector<std::string>{"sm_90a"});
  kestrel::codegen::TargetBackend &backend =
      emitCuda ? static_cast<kestrel::codegen::TargetBackend &>(*cuda) : cpu;
  auto emitted = kestrel::codegen::emitModel(module, backend, cpu, options,
                                             sourceOs, headerOs);
  if (failed(emitted)) {
    r.cpuError = "codegen: " + firstError;
    return;
  }
  kestrel::runtime::WeightsWriter writer;
  std::string error;
  uint64_t bytes = 0;
  if (!kestrel::codegen::addWeights(emitted->weights, emitted->weightTypes,
                                    weights, writer, bytes, error)) {
    r.cpuError = error;
    return;
  }
  std::string base = emitCpuDir + "/" + options.name;
  if (!writer.write(base + ".kweights", options.modelHash, error)) {
    r.cpuError = error;
    return;
  }
  // Generated kernels are named by their contents (a fused body's hash, a
  // GEMM's tile configuration): tests that share one write the same file.
  if (emitCuda)
    for (const auto &[file, contents] : cuda->kernelSources())
      if (!writeText(emitCpuDir + "/kernels/" + file, contents, error)) {
        r.cpuError = error;
        return;
      }
  if (!writeText(base + ".cpp", source, error)) {
    r.cpuError = error;
    return;
  }
  r.cpuName = options.name;
  // Each model input's position among the original graph inputs (frozen
  // ones are gone), so the harness feeds the right input_N.pb.
  for (const auto &in : model.graph().input()) {
    auto pos =
        std::find(originalInputs.begin(), originalInputs.end(), in.name());
    r.cpuInputs.push_back(pos - originalInputs.begin());
  }
}

std::string opKey(const onnx::NodeProto &node) {
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  return domain.empty() ? node.op_type() : domain + "." + node.op_type();
}

bool freezeInputs(onnx::ModelProto &model, StringRef dir, std::string &error) {
  onnx::GraphProto *g = model.mutable_graph();
  std::set<std::string> initialized;
  for (const auto &t : g->initializer())
    initialized.insert(t.name());
  // Operands Kestrel reads at compile time whatever their type: Resize's
  // roi, scales and sizes, and the quantization parameters and quantized
  // weights of QuantizeLinear / DequantizeLinear.
  std::set<std::string> compileTime;
  for (const auto &node : g->node())
    for (int i = 0; i < node.input_size(); ++i) {
      StringRef op = node.op_type();
      if ((op == "Resize" && i >= 1) ||
          ((op == "QuantizeLinear" || op == "DequantizeLinear") && i >= 1) ||
          (op == "DequantizeLinear" && i == 0))
        compileTime.insert(node.input(i));
    }
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> kept;
  for (int i = 0; i < g->input_size(); ++i) {
    const onnx::ValueInfoProto &in = g->input(i);
    // Integer inputs (shapes, axes, indices bounds) and one-element inputs
    // (OneHot's depth, Range bounds) are compile-time operands for Kestrel.
    int32_t type = in.type().tensor_type().elem_type();
    bool integer =
        type == onnx::TensorProto::INT64 || type == onnx::TensorProto::INT32;
    bool scalar = in.type().tensor_type().has_shape();
    for (const auto &d : in.type().tensor_type().shape().dim())
      scalar &= d.has_dim_value() && d.dim_value() == 1;
    if (!(integer || scalar || compileTime.count(in.name())) ||
        initialized.count(in.name())) {
      *kept.Add() = in;
      continue;
    }
    std::string path =
        (dir + "/test_data_set_0/input_" + std::to_string(i) + ".pb").str();
    onnx::TensorProto tensor;
    if (!llvm::sys::fs::exists(path) || !of::loadTensor(path, tensor, error)) {
      *kept.Add() = in;
      continue;
    }
    tensor.set_name(in.name());
    *g->add_initializer() = tensor;
  }
  g->mutable_input()->Swap(&kept);
  return true;
}

Result runTest(StringRef dir, const llvm::StringSet<> &supported) {
  Result r{llvm::sys::path::filename(dir).str(), Outcome::Passed, "", {}};
  onnx::ModelProto model;
  std::string error;
  std::string path = (dir + "/model.onnx").str();
  if (!of::loadModel(path, model, error)) {
    r.outcome = Outcome::Failed;
    r.detail = error;
    return r;
  }
  std::vector<std::string> missing;
  for (const auto &node : model.graph().node()) {
    r.ops.insert(opKey(node));
    if (!supported.contains(opKey(node)))
      missing.push_back(opKey(node));
  }
  if (!missing.empty()) {
    r.outcome = Outcome::UnsupportedOp;
    r.detail = missing.front();
    return r;
  }
  std::vector<std::string> originalInputs;
  for (const auto &in : model.graph().input())
    originalInputs.push_back(in.name());
  // Imports (and with --emit-cpu compiles) `m`: Imported (and compiled),
  // NotImported (`first` says why) or NotCompiled (r.cpuError says why).
  enum class Attempt { Imported, NotImported, NotCompiled };
  std::string first;
  auto attempt = [&](onnx::ModelProto m) {
    MLIRContext context;
    context.loadDialect<kestrel::KestrelDialect, func::FuncDialect>();
    context.printOpOnDiagnostic(false);
    first.clear();
    r.cpuError.clear();
    r.cpuInputs.clear();
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (first.empty() && diag.getSeverity() == DiagnosticSeverity::Error) {
        first = diag.str();
        if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
          first = "node '" + name.getName().str() + "': " + first;
      }
      return success();
    });
    of::ImportOptions importOptions;
    std::map<std::string, DenseElementsAttr> weights;
    if (!emitCpuDir.empty())
      importOptions.onWeight = [&](StringRef name, DenseElementsAttr data) {
        weights[name.str()] = data;
      };
    OwningOpRef<ModuleOp> module =
        of::importOnnxModel(context, m, path, importOptions);
    if (!module)
      return Attempt::NotImported;
    if (emitCpuDir.empty())
      return Attempt::Imported;
    emitForCpu(*module, m, weights, originalInputs, first, r);
    return r.cpuName.empty() ? Attempt::NotCompiled : Attempt::Imported;
  };
  // Every input fed at run time first, so the kernels see the test's
  // integer inputs; with --freeze-int-inputs, a test that needs some as
  // compile-time operands (shapes, axes, K, scales) is retried with its
  // integer and one-element inputs frozen to their test-data values.
  Attempt result = attempt(model);
  if (result == Attempt::Imported) {
    r.allInputs = true;
    return r;
  }
  if (freezeIntInputs) {
    onnx::ModelProto frozen = model;
    if (!freezeInputs(frozen, dir, error)) {
      r.outcome = Outcome::Failed;
      r.detail = error;
      return r;
    }
    result = attempt(frozen);
  }
  if (result != Attempt::NotImported)
    return r; // imported; the manifest carries any compile error
  r.detail = first;
  if (StringRef(first).contains("has older semantics than Kestrel")) {
    r.outcome = Outcome::OldOpset;
    return r;
  }
  bool dtype = StringRef(first).contains("which Kestrel does not support") ||
               StringRef(first).contains("not supported by Kestrel");
  r.outcome = dtype ? Outcome::UnsupportedType : Outcome::Failed;
  return r;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Run ONNX node tests through the importer\n");

  llvm::StringSet<> supported;
  for (const of::SupportedOp &op : of::supportedOps())
    supported.insert(op.domain.empty() ? op.opType
                                       : op.domain + "." + op.opType);

  std::set<std::string> allowed;
  if (!expectedFailures.empty()) {
    auto buffer = llvm::MemoryBuffer::getFile(expectedFailures);
    if (!buffer) {
      llvm::errs() << expectedFailures << ": error: cannot read the file\n";
      return 1;
    }
    SmallVector<StringRef> lines;
    (*buffer)->getBuffer().split(lines, '\n');
    for (StringRef line : lines) {
      line = line.split('#').first.trim();
      if (!line.empty())
        allowed.insert(line.str());
    }
  }

  if (!emitCpuDir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(
            emitCpuDir + (emitCuda ? "/kernels" : ""))) {
      llvm::errs() << emitCpuDir << ": error: " << ec.message() << "\n";
      return 1;
    }

  std::vector<Result> results;
  std::vector<std::string> resultDirs;
  for (const std::string &root : testRoots) {
    std::error_code ec;
    std::vector<std::string> dirs;
    for (llvm::sys::fs::directory_iterator it(root, ec), end; it != end && !ec;
         it.increment(ec))
      if (llvm::sys::fs::exists(it->path() + "/model.onnx"))
        dirs.push_back(it->path());
    if (ec || dirs.empty()) {
      llvm::errs() << root << ": error: no node tests found\n";
      return 1;
    }
    std::sort(dirs.begin(), dirs.end());
    for (const std::string &dir : dirs) {
      results.push_back(runTest(dir, supported));
      resultDirs.push_back(dir);
    }
  }

  if (!emitCpuDir.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream manifest(emitCpuDir + "/manifest.json", ec);
    if (ec) {
      llvm::errs() << emitCpuDir << ": error: " << ec.message() << "\n";
      return 1;
    }
    auto quote = [](StringRef s) {
      std::string out = "\"";
      for (char c : s) {
        if (c == '"' || c == '\\')
          out += '\\';
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
      }
      return out + "\"";
    };
    manifest << "[\n";
    bool firstEntry = true;
    for (auto [r, dir] : llvm::zip(results, resultDirs)) {
      if (r.outcome != Outcome::Passed)
        continue;
      manifest << (firstEntry ? "" : ",\n") << "  {\"test\": " << quote(r.name)
               << ", \"dir\": " << quote(dir) << ", \"name\": "
               << (r.cpuName.empty() ? "null" : quote(r.cpuName))
               << ", \"inputs\": [";
      for (auto [i, index] : llvm::enumerate(r.cpuInputs))
        manifest << (i ? ", " : "") << index;
      manifest << "], \"error\": " << quote(r.cpuError) << "}";
      firstEntry = false;
    }
    manifest << "\n]\n";
  }

  std::map<std::string, std::pair<int, int>> perOp; // passed, imported
  int counts[5] = {0, 0, 0, 0, 0};
  int unexpected = 0, unexpectedFailures = 0;
  for (const Result &r : results) {
    ++counts[static_cast<int>(r.outcome)];
    if (r.outcome == Outcome::Passed || r.outcome == Outcome::Failed)
      for (const std::string &op : r.ops) {
        perOp[op].second++;
        perOp[op].first += r.outcome == Outcome::Passed;
      }
    bool listed = allowed.count(r.name);
    if (r.outcome == Outcome::Failed && !listed) {
      ++unexpected;
      ++unexpectedFailures;
      llvm::outs() << "FAIL " << r.name << ": " << r.detail << "\n";
    } else if (r.outcome == Outcome::Passed && listed) {
      ++unexpected;
      llvm::outs() << "UNEXPECTED PASS " << r.name
                   << " (remove it from the expected failures)\n";
    } else if (verbose || (r.outcome == Outcome::Failed && listed)) {
      const char *tag[] = {"PASS", "UNSUPPORTED-OP", "UNSUPPORTED-TYPE",
                           "XFAIL", "OLD-OPSET"};
      llvm::outs() << tag[static_cast<int>(r.outcome)] << " " << r.name
                   << (r.detail.empty() ? "" : ": " + r.detail) << "\n";
    }
  }
  llvm::outs() << "\nper supported op (tests imported / tests using it):\n";
  for (const auto &[op, c] : perOp)
    llvm::outs() << llvm::formatv("  {0,-36} {1,4} / {2,4}\n", op, c.first,
                                  c.second);
  int64_t allInputs = llvm::count_if(results, [](const Result &r) {
    return r.outcome == Outcome::Passed && r.allInputs;
  });
  llvm::outs() << llvm::formatv(
      "\n{0} node tests: {1} imported ({8} with every input fed at run "
      "time), {2} failed ({5} expected), {3} skipped "
      "(unsupported op), {4} skipped (unsupported element type), {6} skipped "
      "(op semantics older than opset {7})\n",
      results.size(), counts[0], counts[3], counts[1], counts[2],
      counts[3] - (unexpectedFailures), counts[4], of::kMinOnnxOpset,
      allInputs);
  return unexpected == 0 ? 0 : 1;
}
