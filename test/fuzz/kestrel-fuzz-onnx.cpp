//===- kestrel-fuzz-onnx.cpp - libFuzzer target over the ONNX importer ----===//
//
// Every input is parsed as an onnx::ModelProto, imported into the kestrel
// dialect (libonnx's shape inference, the op importers, the verifier) and
// compiled by the compile pipeline, as `kestrelc --emit=mlir` does. A clean
// rejection (an error diagnostic) is fine; a crash, a sanitizer report, a
// leak, a timeout or a failure without an error diagnostic is a bug.
//
// Diagnostics are dropped (KESTREL_FUZZ_VERBOSE=1 prints them, to see why
// an input is rejected). Initializers kept in external data import as
// kestrel.weight without their data (kestrelc --no-weight-data), so seeds
// stripped of their weights still import; small ones are read from
// `weights.bin`, a 4 KiB file in a scratch directory that is the model's.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelDialect.h"
#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/OnnxModel.h"
#include "passes/Pipeline.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "google/protobuf/stubs/logging.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mlir;
namespace of = kestrel::onnx_frontend;

namespace {

/// The scratch directory holding `weights.bin`, and the model's path in it.
llvm::SmallString<128> scratchDir, modelPath, weightsPath;
bool verbose = false;

void removeScratchDir() {
  llvm::sys::fs::remove(weightsPath);
  llvm::sys::fs::remove(scratchDir);
}

/// Dies (a crash libFuzzer reports, with the input) when a stage failed
/// without saying why: bad input must get an error naming what is wrong.
void checkReported(bool failed, unsigned errors, const char *stage) {
  if (!failed || errors > 0)
    return;
  llvm::errs() << "kestrel-fuzz-onnx: " << stage
               << " failed without an error diagnostic\n";
  abort();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  verbose = getenv("KESTREL_FUZZ_VERBOSE") != nullptr;
  // protobuf logs some parse failures to stderr; the importer reports them.
  if (!verbose)
    google::protobuf::SetLogHandler(nullptr);
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("kestrel-fuzz", scratchDir)) {
    llvm::errs() << "kestrel-fuzz-onnx: cannot create a scratch directory: "
                 << ec.message() << "\n";
    exit(1);
  }
  modelPath = scratchDir;
  llvm::sys::path::append(modelPath, "model.onnx");
  weightsPath = scratchDir;
  llvm::sys::path::append(weightsPath, "weights.bin");
  std::error_code ec;
  llvm::raw_fd_ostream weights(weightsPath, ec);
  for (unsigned i = 0; i < 4096 && !ec; ++i)
    weights << static_cast<char>(i * 37 + (i >> 8));
  weights.close();
  if (ec || weights.has_error()) {
    llvm::errs() << "kestrel-fuzz-onnx: cannot write " << weightsPath << "\n";
    exit(1);
  }
  atexit(removeScratchDir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  onnx::ModelProto model;
  std::string error;
  if (!of::parseModel(std::string(reinterpret_cast<const char *>(data), size),
                      model, error))
    return 0;

  // A fresh context per input: nothing an input interns outlives it.
  MLIRContext context(MLIRContext::Threading::DISABLED);
  context.loadDialect<kestrel::KestrelDialect, func::FuncDialect,
                      arith::ArithDialect, math::MathDialect>();
  context.printOpOnDiagnostic(false);
  unsigned errors = 0;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errors;
    if (verbose)
      llvm::errs() << diag.getLocation() << ": " << diag << "\n";
    return success();
  });

  of::ImportOptions options;
  options.skipExternalWeightData = true;
  OwningOpRef<ModuleOp> module =
      of::importOnnxModel(context, model, modelPath, options);
  checkReported(!module, errors, "import");
  if (!module)
    return 0;

  PassManager pm(&context);
  kestrel::buildCompilePipeline(pm);
  checkReported(failed(pm.run(*module)), errors, "the compile pipeline");
  return 0;
}
