//===- StorageTypes.h - The element type each value is stored in -*- C++
//-*-===//
//
// The mixed-precision storage policy of the CUDA target (kestrelc
// --precision): which f32 values are kept in bf16/f16 on the device.
// kestrel-assign-storage applies it to the IR's types as
// `#kestrel.storage<bf16>` encodings; kernel selection and code generation
// read the storage type of a value from its type.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PASSES_STORAGETYPES_H
#define KESTREL_PASSES_STORAGETYPES_H

#include "passes/BufferPlan.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#include <vector>

namespace kestrel {

/// The storage type of `precision` ("f32", "bf16" or "f16"); failure for
/// any other name.
mlir::FailureOr<mlir::Type> storagePrecisionType(mlir::MLIRContext *context,
                                                 llvm::StringRef precision);

/// The element type `v`'s data is stored in: its tensor type's
/// #kestrel.storage, else its element type.
mlir::Type storageType(mlir::Value v);
mlir::Type storageType(mlir::Type type);

/// `type` with its data stored in `storage` (a #kestrel.storage encoding,
/// or none when `storage` is its element type).
mlir::RankedTensorType withStorage(mlir::RankedTensorType type,
                                   mlir::Type storage);

/// storageType of every value of `plan`, by id.
std::vector<mlir::Type> storageTypes(const BufferPlan &plan);

/// The policy kestrel-assign-storage applies: element types on the device
/// for a CUDA model, per value id of `plan`. f32
/// values that carry model data -- derived from a float input or from a weight
/// of rank 2 or more (projections, embeddings) -- are stored in `storage`; the
/// others stay f32, as mixed-precision serving keeps them: positions and rotary
/// tables built from them (a bf16 position is off by 2 beyond 256), masks, and
/// vector weights such as norm scales and biases, whose consumers (norms,
/// binary ops) read either type. Values that share data or that one kernel
/// reads and writes in one type (aliases, data movement, matmul, unary ops,
/// reductions, softmax, the main operand of norms, rope and attention) get one
/// type; binary ops, casts and fused_elementwise convert at their boundary.
/// Other element types are unchanged.
std::vector<mlir::Type> storageElementTypes(mlir::func::FuncOp func,
                                            const BufferPlan &plan,
                                            mlir::Type storage);

} // namespace kestrel

#endif // KESTREL_PASSES_STORAGETYPES_H
