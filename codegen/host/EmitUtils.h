//===- EmitUtils.h - C++ literals for emitted model code ---------*- C++
//-*-===//
//
// How the emitters write values into generated C++: string literals, shape
// and i64 initializer lists, float literals that read back exactly, and the
// kernel libraries' DType enumerators.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_HOST_EMITUTILS_H
#define KESTREL_CODEGEN_HOST_EMITUTILS_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace kestrel::codegen {

/// The kernel libraries' DType enumerator for an element type
/// ("DType::F32"); failure for a type they do not have.
mlir::FailureOr<llvm::StringRef> dtypeOf(mlir::Type type);

/// `s` as a C string literal, quotes and control characters escaped.
std::string cString(llvm::StringRef s);

/// "{1, -1, 64}" with -1 for dynamic dims.
std::string dimsList(llvm::ArrayRef<int64_t> dims);

/// "{1LL, INT64_MIN}": an initializer of int64_t values.
std::string i64List(llvm::ArrayRef<int64_t> values);

/// A C++ float literal that reads back as exactly `value`.
std::string floatLiteral(float value);

} // namespace kestrel::codegen

#endif // KESTREL_CODEGEN_HOST_EMITUTILS_H
