//===- ScalarBody.h - C++ statements from a fused_elementwise body -*- C++
//-*-===//
//
// Both backends turn the scalar body of a kestrel.fused_elementwise (arith
// and math ops) into C++ statements: the CUDA generator into a device
// function, the CPU emitter into the loop body of a block function. The
// spellings that differ (math functions, float specials, rounding through a
// narrower float type, the integer-division error) depend on the target.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_COMMON_SCALARBODY_H
#define KESTREL_CODEGEN_COMMON_SCALARBODY_H

#include "mlir/IR/Block.h"
#include "mlir/IR/Types.h"
#include "llvm/Support/raw_ostream.h"

namespace kestrel::codegen {

enum class ScalarTarget { Cpu, Cuda };

/// The C++ type a body scalar of type `t` is computed in: "float" for every
/// float type (f16/bf16/f8 math runs in f32), "int64_t", "int32_t" or
/// "bool"; failure for other types.
mlir::FailureOr<llvm::StringRef> scalarComputeType(mlir::Type t);

/// Writes `body` as C++ statements, one `const T tN = ...;` per op:
/// argument i is read as `xI`, the yield assigns `rI`, and an integer
/// division by zero reports through `int *errorFlag` (and gives 0). Emits an
/// error on the first op it cannot translate.
mlir::LogicalResult writeScalarBody(mlir::Block &body, ScalarTarget target,
                                    llvm::raw_ostream &os);

} // namespace kestrel::codegen

#endif // KESTREL_CODEGEN_COMMON_SCALARBODY_H
