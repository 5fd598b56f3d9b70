//===- CudaTarget.h - The CUDA backend of the model emitter ------*- C++
//-*-===//
//
// `execute` as launches of the CUDA kernel library (kernels/cuda/Kernels.h)
// on the session's stream over device tensors: each GEMM with the
// GemmChoice its #kestrel.impl names (a tensor-core instantiation is
// generated for each tile configuration used), each fused_elementwise as a
// generated kernel. Values are stored on the device in their storage types
// (#kestrel.storage, from kestrel-assign-storage). The generated kernel
// sources are compiled by codegen/cuda/CudaBuild.h.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_CUDA_CUDATARGET_H
#define KESTREL_CODEGEN_CUDA_CUDATARGET_H

#include "codegen/host/TargetBackend.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kestrel::codegen::cuda {

/// One tensor-core GEMM instantiation a model calls.
struct GemmInstance {
  std::string function; ///< e.g. "kestrel_gemm_128x128x32_2x4_bf16_nn"
  int tileM, tileN, tileK, warpsM, warpsN;
  /// The one storage type and layout compiled (Gemm.cuh's gemm_variant).
  bool f16 = false, transA = false, transB = false;
  /// Writes a multi_matmul's outputs side by side (gemm_variant::kSplit).
  bool split = false;
  bool operator<(const GemmInstance &o) const { return function < o.function; }
};

class CudaTarget final : public TargetBackend {
public:
  /// `archs`: what the kernels are compiled for ("sm_90a").
  explicit CudaTarget(std::vector<std::string> archs)
      : archs(std::move(archs)) {}

  llvm::StringRef displayName() const override { return "CUDA"; }
  KernelTarget kernelTarget() const override { return KernelTarget::Cuda; }
  bool onDevice() const override { return true; }
  mlir::LogicalResult prepare(mlir::func::FuncOp func,
                              const BufferPlan &plan) override;
  mlir::Type storageType(mlir::Value v) const override;
  mlir::LogicalResult emitKernel(KernelCall &call, ImplAttr impl) override;
  void emitIncludes(llvm::raw_ostream &os) const override;
  void emitDeclarations(llvm::raw_ostream &os) const override;
  void emitUsings(llvm::raw_ostream &os) const override;
  void emitTables(llvm::raw_ostream &os) const override;
  void emitExecute(llvm::raw_ostream &os, llvm::StringRef body) const override;
  void emitModelDefBackend(llvm::raw_ostream &os) const override;
  std::string archsField() const override;

  /// After emission: the kernel sources the model needs, as (file name,
  /// contents): a GEMM instantiation per tile configuration, a kernel per
  /// fused_elementwise body.
  std::vector<std::pair<std::string, std::string>> kernelSources() const;

private:
  /// The GemmChoice `impl` names for GEMM `op`, as the emitted expression;
  /// records the tensor-core instantiation it calls (`split`: one that
  /// writes a multi_matmul's outputs side by side).
  std::string gemmChoice(mlir::Operation *op, ImplAttr impl,
                         bool split = false);

  std::vector<std::string> archs;
  const BufferPlan *plan = nullptr;
  /// The device element type of every value, by id.
  std::vector<mlir::Type> deviceTypes;
  std::set<GemmInstance> gemms;
  /// Generated kernels: launcher name -> .cu source.
  std::map<std::string, std::string> fused;
};

} // namespace kestrel::codegen::cuda

#endif // KESTREL_CODEGEN_CUDA_CUDATARGET_H
