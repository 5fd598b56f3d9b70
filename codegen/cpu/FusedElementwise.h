//===- FusedElementwise.h - CPU block functions from fused bodies -*- C++
//-*-===//
//
// Turns the scalar body of a kestrel.fused_elementwise into the block
// function the CPU kernel library's fusedElementwise driver calls
// (cpu::FusedBlockFn): one loop over n elements in compute types, with
// restrict pointers and the kernel library's polynomial exp/tanh/erf, so
// that the C++ compiler vectorizes it.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_CPU_FUSEDELEMENTWISE_H
#define KESTREL_CODEGEN_CPU_FUSEDELEMENTWISE_H

#include "mlir/IR/Operation.h"

#include <string>

namespace kestrel::codegen::cpu {

/// A generated block function: its name (a hash of the source, so equal
/// bodies share one definition) and its definition.
struct FusedBlock {
  std::string function;
  std::string source;
};

/// Generates the block function of `op` (a kestrel.fused_elementwise).
/// Emits an error on `op` for a body op it cannot translate.
mlir::FailureOr<FusedBlock> generateFusedBlock(mlir::Operation *op);

} // namespace kestrel::codegen::cpu

#endif // KESTREL_CODEGEN_CPU_FUSEDELEMENTWISE_H
