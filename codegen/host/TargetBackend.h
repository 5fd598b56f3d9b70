//===- TargetBackend.h - What the host emitter asks of a target --*- C++
//-*-===//
//
// The model emitter (codegen/host/ModelEmitter.h) writes everything a
// compiled model has whatever it runs on: the tables, `inferShapes`, the
// header, the model definition. A TargetBackend writes the rest: the kernel
// call of each op in `execute`, what those calls need declared and included,
// and the target's entries of the model definition. codegen/cpu and
// codegen/cuda each implement one; ops whose results the plan keeps on the
// host (shape computations) always go to the CPU backend.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_HOST_TARGETBACKEND_H
#define KESTREL_CODEGEN_HOST_TARGETBACKEND_H

#include "codegen/host/KernelCall.h"
#include "passes/BufferPlan.h"
#include "passes/KernelRegistry.h"

#include "dialects/kestrel/IR/KestrelDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace kestrel::codegen {

class TargetBackend {
public:
  virtual ~TargetBackend();

  /// "CPU" or "CUDA", for messages.
  virtual llvm::StringRef displayName() const = 0;
  /// The registry the ops' #kestrel.impl must come from.
  virtual KernelTarget kernelTarget() const = 0;
  /// Whether `execute` runs on a device: its tensors `v` are device tensors
  /// and the host ones are `h` (KernelCall::hostRef).
  virtual bool onDevice() const = 0;

  /// Called once before any other method, with the function being emitted
  /// and its memory plan.
  virtual mlir::LogicalResult prepare(mlir::func::FuncOp func,
                                      const BufferPlan &plan) = 0;
  /// The element type `v` is stored in where `execute` runs; weights are
  /// stored in it in the weights file.
  virtual mlir::Type storageType(mlir::Value v) const = 0;

  /// Writes the kernel call of `call.op()`, which `impl` (checked against
  /// kernelTarget()'s registry) names.
  virtual mlir::LogicalResult emitKernel(KernelCall &call, ImplAttr impl) = 0;

  /// Pieces of the model's source, in the order they appear:
  /// `#include "..."` lines of the kernel library and what it needs;
  virtual void emitIncludes(llvm::raw_ostream &os) const = 0;
  /// `#include <...>` lines;
  virtual void emitSystemIncludes(llvm::raw_ostream &) const {}
  /// declarations before the model's namespace (generated kernels);
  virtual void emitDeclarations(llvm::raw_ostream &) const {}
  /// using-directives inside it;
  virtual void emitUsings(llvm::raw_ostream &) const {}
  /// definitions the kernel calls use (generated functions);
  virtual void emitDefinitions(llvm::raw_ostream &) const {}
  /// tables after the value table;
  virtual void emitTables(llvm::raw_ostream &) const {}
  /// `bool execute(Exec &x, int32_t stage)` around `body`, the kernel
  /// calls (of every stage, each under its `if (stage == k)`);
  virtual void emitExecute(llvm::raw_ostream &os,
                           llvm::StringRef body) const = 0;
  /// the model definition's fields `backend` and `deviceDtypes`, each on
  /// its own line, and its `archs` expression.
  virtual void emitModelDefBackend(llvm::raw_ostream &os) const = 0;
  virtual std::string archsField() const = 0;
};

} // namespace kestrel::codegen

#endif // KESTREL_CODEGEN_HOST_TARGETBACKEND_H
