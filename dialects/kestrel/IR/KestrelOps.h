//===- KestrelOps.h - Kestrel dialect ops -----------------------*- C++ -*-===//
//
// Declares the ops generated from KestrelOps.td and the shape-inference
// helpers their generated code calls.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_DIALECTS_KESTREL_IR_KESTRELOPS_H
#define KESTREL_DIALECTS_KESTREL_IR_KESTRELOPS_H

#include "dialects/kestrel/IR/ConstantFolding.h"
#include "dialects/kestrel/IR/KestrelDialect.h"
#include "dialects/kestrel/IR/KestrelTraits.h"
#include "dialects/kestrel/IR/ShapeInference.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

// mlir-tblgen's adaptors take an operand count that ops without variadic
// operands never read; clang's -Wextra flags each (GCC does not).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define GET_OP_CLASSES
#include "dialects/kestrel/IR/KestrelOps.h.inc"
#pragma GCC diagnostic pop

#endif // KESTREL_DIALECTS_KESTREL_IR_KESTRELOPS_H
