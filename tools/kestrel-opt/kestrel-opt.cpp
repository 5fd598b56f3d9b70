//===- kestrel-opt.cpp - Kestrel optimizer driver -------------------------===//
//
// mlir-opt for Kestrel: the kestrel dialect and passes, plus the upstream
// dialects (func, arith, math) and passes (canonicalize, cse, ...) the
// pipelines use.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  kestrel::registerKestrelPasses();

  mlir::DialectRegistry registry;
  registry.insert<kestrel::KestrelDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::math::MathDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Kestrel optimizer driver\n", registry));
}
