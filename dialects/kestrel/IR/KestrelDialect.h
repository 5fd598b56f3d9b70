//===- KestrelDialect.h - Kestrel dialect declaration -----------*- C++ -*-===//
//
// Declares the kestrel dialect class generated from KestrelBase.td and
// its attributes (KestrelAttrs.td).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_DIALECTS_KESTREL_IR_KESTRELDIALECT_H
#define KESTREL_DIALECTS_KESTREL_IR_KESTRELDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/TensorEncoding.h"

#include "dialects/kestrel/IR/KestrelDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/kestrel/IR/KestrelAttrs.h.inc"

#endif // KESTREL_DIALECTS_KESTREL_IR_KESTRELDIALECT_H
