//===- Passes.h - Kestrel pass declarations and registration ----*- C++ -*-===//
//
// Declares every Kestrel pass (generated from Passes.td) and the function
// that registers them with the pass registry.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PASSES_PASSES_H
#define KESTREL_PASSES_PASSES_H

#include "dialects/kestrel/IR/KestrelDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Pass/Pass.h"

namespace kestrel {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace kestrel

#endif // KESTREL_PASSES_PASSES_H
