//===- BufferPlan.h - Where every value of a function lives -----*- C++ -*-===//
//
// The analysis behind kestrel-plan-memory and the CPU codegen: numbers the
// values of a single-block function (arguments, then op results in order)
// and decides where each one's data lives during a run:
//
//  - Input, Weight, Constant: bound inputs, the weights file, model tables.
//  - Host: the values whose *data* decides shapes (the shape operands of
//    reshape, expand, dynamic_slice and range, and everything they are
//    computed from except through shape_of) are computed before the run,
//    while shapes are being worked out, into buffers of their own.
//  - Output: a returned value, written straight into its output buffer.
//  - Alias: a reshape result shares its operand's data.
//  - Arena: every other intermediate, with a lifetime [definition, last use]
//    (uses through aliases count), placed in one arena by
//    runtime::planArena: at compile time when every arena value has a
//    static shape, at run time (from the actual shapes) otherwise.
//
// A run has stages. Usually there is one: every shape is worked out, then
// every kernel runs. A result whose length depends on data computed in the
// run (kestrel.nonzero's) is known only after the kernel that writes it:
// the ops that read it form the next stage, whose shapes are worked out
// (and whose arena values placed, in an arena of their own) once the
// stages before have run. Lifetimes are positions in that order: stage by
// stage, program order within one.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PASSES_BUFFERPLAN_H
#define KESTREL_PASSES_BUFFERPLAN_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <vector>

namespace kestrel {

enum class ValueStorage { Input, Weight, Constant, Host, Arena, Output, Alias };

/// "input", "weight", ...
const char *storageName(ValueStorage storage);

struct ValuePlan {
  mlir::Value value;
  ValueStorage storage = ValueStorage::Arena;
  /// Input: argument number; Output: result number; Alias: the id of the
  /// value whose data it shares (never itself an alias).
  int64_t index = -1;
  /// Arena: positions in the run's order (stage by stage, program order
  /// within one), inclusive.
  int64_t first = 0, last = 0;
  int64_t bytes = -1;  ///< static size, -1 when dynamic
  int64_t offset = -1; ///< Arena with a static plan
  int64_t stage = 0;   ///< the stage of the op that defines it
};

struct BufferPlan {
  std::vector<ValuePlan> values;
  llvm::DenseMap<mlir::Value, int64_t> ids;
  /// Every arena value has a static shape and an offset.
  bool isStatic = false;
  int64_t arenaBytes = 0;        ///< static plans: the peak
  int64_t intermediateBytes = 0; ///< static plans: the sum of arena values
  int64_t numArena = 0;
  /// The run's stages (see above) and each op's.
  int64_t numStages = 1;
  llvm::DenseMap<mlir::Operation *, int64_t> stages;

  int64_t id(mlir::Value v) const { return ids.lookup(v); }
  const ValuePlan &of(mlir::Value v) const { return values[ids.lookup(v)]; }
};

/// Bytes of a static tensor type (i1 takes a byte per element); -1 for a
/// dynamic or non-numeric type, -2 when the size overflows int64.
int64_t staticTensorBytes(mlir::RankedTensorType type);

/// The attributes kestrel-plan-memory writes: on each op with a result in
/// the arena, every result's offset (-1 for results elsewhere); on the
/// function, the arena's size, or "runtime" when shapes are dynamic.
inline constexpr llvm::StringLiteral kArenaOffsetsAttr =
    "kestrel.arena_offsets";
inline constexpr llvm::StringLiteral kArenaBytesAttr = "kestrel.arena_bytes";
inline constexpr llvm::StringLiteral kIntermediateBytesAttr =
    "kestrel.intermediate_bytes";
inline constexpr llvm::StringLiteral kArenaPlanningAttr =
    "kestrel.arena_planning";
/// With more than one stage: the function's count, and on each op of a
/// stage after the first, its stage.
inline constexpr llvm::StringLiteral kNumStagesAttr = "kestrel.num_stages";
inline constexpr llvm::StringLiteral kStageAttr = "kestrel.stage";

/// Plans `func` (a single block ending in func.return). Fails, with an
/// error on the op, when a value is not a ranked tensor.
mlir::FailureOr<BufferPlan> planBuffers(mlir::func::FuncOp func);

/// The plan kestrel-plan-memory recorded in `func`'s attributes (codegen
/// reads this, not a plan of its own): storage and lifetimes from the IR,
/// offsets and the arena's size from the attributes, checked to be aligned,
/// inside the arena and free of overlaps between values live at once.
/// Fails with an error naming the op when the plan is missing or invalid.
mlir::FailureOr<BufferPlan> readBufferPlan(mlir::func::FuncOp func);

} // namespace kestrel

#endif // KESTREL_PASSES_BUFFERPLAN_H
