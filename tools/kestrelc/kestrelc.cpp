//===- kestrelc.cpp - The Kestrel compile CLI -----------------------------===//
//
// kestrelc MODEL.onnx --emit=mlir [-o FILE]   import (and clean up) a model
// kestrelc MODEL.onnx --onnx-op-stats          the model's op histogram
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelDialect.h"
#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/OnnxModel.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit { Import, Mlir };

cl::OptionCategory category("kestrelc options");
cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(category));
cl::opt<Emit>
    emit("emit", cl::desc("What to produce"), cl::init(Emit::Mlir),
         cl::values(clEnumValN(Emit::Import, "import",
                               "the kestrel module exactly as imported"),
                    clEnumValN(Emit::Mlir, "mlir",
                               "the kestrel module after shape refinement and "
                               "cleanup (default)")),
         cl::cat(category));
cl::opt<bool> opStats("onnx-op-stats",
                      cl::desc("Print the model's op histogram (domain, op, "
                               "opset, count) and exit"),
                      cl::cat(category));
cl::opt<bool> noOnnxShapeInference(
    "no-onnx-shape-inference",
    cl::desc("Skip libonnx's shape inference before importing"),
    cl::cat(category));

/// "model.onnx: error: node 'n': message" for the importer's locations.
void printDiagnostic(Diagnostic &diag) {
  llvm::raw_ostream &os = llvm::errs();
  Location loc = diag.getLocation();
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

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "kestrelc: the Kestrel compiler (ONNX in, kestrel dialect out)\n");

  if (opStats)
    return printOpStats();

  MLIRContext context;
  context.loadDialect<kestrel::KestrelDialect, func::FuncDialect>();
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    printDiagnostic(diag);
    return success();
  });

  kestrel::onnx_frontend::ImportOptions options;
  options.onnxShapeInference = !noOnnxShapeInference;
  OwningOpRef<ModuleOp> module =
      kestrel::onnx_frontend::importOnnxFile(context, inputPath, options);
  if (!module)
    return 1;

  if (emit == Emit::Mlir) {
    PassManager pm(&context);
    pm.addPass(kestrel::createInferShapes());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    pm.addPass(kestrel::createInferShapes());
    if (failed(pm.run(*module)))
      return 1;
  }

  std::string error;
  auto output = openOutputFile(outputPath, &error);
  if (!output) {
    llvm::errs() << outputPath << ": error: " << error << "\n";
    return 1;
  }
  module->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}
