//===- OpDiagnostics.h - Diagnostics shared by kestrel op rules -*- C++ -*-===//
//
// Small helpers that let static inference methods report errors in the same
// form as Operation::emitOpError ("'kestrel.x' op ...").
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_DIALECTS_KESTREL_IR_OPDIAGNOSTICS_H
#define KESTREL_DIALECTS_KESTREL_IR_OPDIAGNOSTICS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"

#include <optional>
#include <string>

namespace kestrel {

/// A diagnostic that streams like InFlightDiagnostic when `location` is set
/// and swallows its arguments otherwise, and converts to failure().
class InferDiagnostic {
public:
  InferDiagnostic(std::optional<mlir::Location> location,
                  llvm::StringRef opName) {
    if (location) {
      diag.emplace(mlir::emitError(*location));
      *diag << "'" << opName << "' op ";
    }
  }
  template <typename T> InferDiagnostic &operator<<(T &&value) {
    if (diag)
      *diag << std::forward<T>(value);
    return *this;
  }
  operator llvm::LogicalResult() { return llvm::failure(); }

private:
  std::optional<mlir::InFlightDiagnostic> diag;
};

inline InferDiagnostic inferError(std::optional<mlir::Location> location,
                                  llvm::StringRef opName) {
  return InferDiagnostic(location, opName);
}

/// "[2, ?, 4]" for a shape with dynamic dims, as the diagnostics print it.
inline std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (mlir::ShapedType::isDynamic(d))
      os << "?";
    else
      os << d;
  });
  os << "]";
  return text;
}

/// Checks that a normalized axis attribute lies in [0, rank).
inline llvm::LogicalResult checkAxis(std::optional<mlir::Location> location,
                                     llvm::StringRef opName,
                                     llvm::StringRef name, int64_t axis,
                                     int64_t rank) {
  if (axis >= 0 && axis < rank)
    return llvm::success();
  return inferError(location, opName)
         << name << " " << axis << " is out of range for a rank-" << rank
         << " input (expected [0, " << rank << "))";
}

} // namespace kestrel

#endif // KESTREL_DIALECTS_KESTREL_IR_OPDIAGNOSTICS_H
