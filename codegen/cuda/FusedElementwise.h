//===- FusedElementwise.h - CUDA kernels from fused_elementwise -*- C++ -*-===//
//
// Turns the scalar body of a kestrel.fused_elementwise (arith and math ops)
// into a CUDA kernel source: the body becomes a device function, a
// grid-stride kernel applies it with per-input broadcast strides, and a
// second kernel takes 16-byte vector loads and stores when no input
// broadcasts and every pointer is aligned. Loads and stores convert
// between each tensor's device element type and the body's types (f32
// math for bf16/f16 storage).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_CUDA_FUSEDELEMENTWISE_H
#define KESTREL_CODEGEN_CUDA_FUSEDELEMENTWISE_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Types.h"

#include <string>

namespace kestrel::codegen::cuda {

/// A generated kernel: the host launcher's name and the .cu source. The
/// launcher is `bool NAME(kestrel::cuda::Context &, const Tensor *inputs,
/// Tensor *outputs)` in namespace kestrel::cuda::instances; the name is a
/// hash of the source, so equal bodies share one cached object.
struct FusedKernel {
  std::string function;
  std::string source;
};

/// Generates the kernel of `op` (a kestrel.fused_elementwise) for inputs
/// and results stored as `inputTypes` / `resultTypes` on the device.
/// Emits an error on `op` for a body op it cannot translate.
mlir::FailureOr<FusedKernel>
generateFusedKernel(mlir::Operation *op, llvm::ArrayRef<mlir::Type> inputTypes,
                    llvm::ArrayRef<mlir::Type> resultTypes);

} // namespace kestrel::codegen::cuda

#endif // KESTREL_CODEGEN_CUDA_FUSEDELEMENTWISE_H
