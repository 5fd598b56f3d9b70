//===- CpuTarget.h - The CPU backend of the model emitter --------*- C++
//-*-===//
//
// Kernel calls into the CPU kernel library (kernels/cpu/Kernels.h), and
// fused_elementwise bodies as generated block functions the library's
// driver runs. It also writes the ops a CUDA model runs on the host.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_CPU_CPUTARGET_H
#define KESTREL_CODEGEN_CPU_CPUTARGET_H

#include "codegen/host/TargetBackend.h"

#include <map>
#include <string>

namespace kestrel::codegen::cpu {

class CpuTarget final : public TargetBackend {
public:
  llvm::StringRef displayName() const override { return "CPU"; }
  KernelTarget kernelTarget() const override { return KernelTarget::Cpu; }
  bool onDevice() const override { return false; }
  mlir::LogicalResult prepare(mlir::func::FuncOp, const BufferPlan &) override {
    return mlir::success();
  }
  mlir::Type storageType(mlir::Value v) const override;
  mlir::LogicalResult emitKernel(KernelCall &call, ImplAttr impl) override;
  void emitIncludes(llvm::raw_ostream &os) const override;
  void emitSystemIncludes(llvm::raw_ostream &os) const override;
  void emitUsings(llvm::raw_ostream &os) const override;
  void emitDefinitions(llvm::raw_ostream &os) const override;
  void emitExecute(llvm::raw_ostream &os, llvm::StringRef body) const override;
  void emitModelDefBackend(llvm::raw_ostream &os) const override;
  std::string archsField() const override { return "nullptr"; }

private:
  /// Block functions of fused_elementwise bodies: name -> definition.
  std::map<std::string, std::string> blocks;
};

} // namespace kestrel::codegen::cpu

#endif // KESTREL_CODEGEN_CPU_CPUTARGET_H
