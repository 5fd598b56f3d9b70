//===- EmitUtils.cpp - C++ literals for emitted model code ----------------===//

#include "codegen/host/EmitUtils.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdio>

using namespace mlir;

namespace kestrel::codegen {

FailureOr<StringRef> dtypeOf(Type type) {
  if (type.isF32())
    return StringRef("DType::F32");
  if (type.isF16())
    return StringRef("DType::F16");
  if (type.isBF16())
    return StringRef("DType::BF16");
  if (isa<Float8E4M3FNType>(type))
    return StringRef("DType::F8E4M3FN");
  if (type.isInteger(64))
    return StringRef("DType::I64");
  if (type.isInteger(32))
    return StringRef("DType::I32");
  if (type.isInteger(1))
    return StringRef("DType::I1");
  if (type.isUnsignedInteger(8))
    return StringRef("DType::U8");
  return failure();
}

std::string cString(StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char octal[5];
      std::snprintf(octal, sizeof(octal), "\\%03o", static_cast<unsigned>(c));
      out += octal;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string dimsList(ArrayRef<int64_t> dims) {
  std::string s = "{";
  for (auto [i, d] : llvm::enumerate(dims))
    s += (i ? ", " : "") +
         std::to_string(ShapedType::isDynamic(d) ? int64_t(-1) : d);
  return s + "}";
}

std::string i64List(ArrayRef<int64_t> values) {
  std::string s = "{";
  for (auto [i, d] : llvm::enumerate(values)) {
    s += i ? ", " : "";
    // INT64_MIN has no literal of its own.
    s += d == INT64_MIN ? "INT64_MIN" : std::to_string(d) + "LL";
  }
  return s + "}";
}

std::string floatLiteral(float value) {
  if (std::isnan(value))
    return "__builtin_nanf(\"\")";
  if (std::isinf(value))
    return value > 0 ? "__builtin_inff()" : "-__builtin_inff()";
  std::string s = llvm::formatv("{0}", llvm::format("%.9g", value)).str();
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s + "f";
}

} // namespace kestrel::codegen
