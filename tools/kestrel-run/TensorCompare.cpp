//===- TensorCompare.cpp - Compare a model output with a reference --------===//

#include "tools/kestrel-run/TensorCompare.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace kestrel::run {

namespace {
template <typename T> T load(const void *data, size_t index) {
  T value;
  std::memcpy(&value, static_cast<const uint8_t *>(data) + index * sizeof(T),
              sizeof(T));
  return value;
}

float fromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

double halfToDouble(uint16_t h) {
  double sign = (h & 0x8000) ? -1.0 : 1.0;
  int exponent = (h >> 10) & 0x1f;
  int mantissa = h & 0x3ff;
  if (exponent == 0x1f)
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  if (exponent == 0)
    return sign * std::ldexp(mantissa, -24);
  return sign * std::ldexp(mantissa + 1024, exponent - 25);
}

/// E4M3FN: no infinities; S.1111.111 is NaN.
double f8e4m3fnToDouble(uint8_t b) {
  double sign = (b & 0x80) ? -1.0 : 1.0;
  int exponent = (b >> 3) & 0xf;
  int mantissa = b & 0x7;
  if (exponent == 0xf && mantissa == 0x7)
    return std::numeric_limits<double>::quiet_NaN();
  if (exponent == 0)
    return sign * std::ldexp(mantissa, -9);
  return sign * std::ldexp(mantissa + 8, exponent - 10);
}

} // namespace

bool isFloating(Scalar type) {
  return type == Scalar::F64 || type == Scalar::F32 || type == Scalar::F16 ||
         type == Scalar::BF16 || type == Scalar::F8E4M3FN;
}

size_t scalarSize(Scalar type) {
  switch (type) {
  case Scalar::F64:
  case Scalar::I64:
    return 8;
  case Scalar::F32:
  case Scalar::I32:
    return 4;
  case Scalar::F16:
  case Scalar::BF16:
    return 2;
  case Scalar::F8E4M3FN:
  case Scalar::Bool:
    return 1;
  }
  return 0;
}

const char *scalarName(Scalar type) {
  switch (type) {
  case Scalar::F64:
    return "f64";
  case Scalar::F32:
    return "f32";
  case Scalar::F16:
    return "f16";
  case Scalar::BF16:
    return "bf16";
  case Scalar::F8E4M3FN:
    return "f8e4m3fn";
  case Scalar::I64:
    return "i64";
  case Scalar::I32:
    return "i32";
  case Scalar::Bool:
    return "bool";
  }
  return "unknown";
}

double loadAsDouble(Scalar type, const void *data, size_t index) {
  switch (type) {
  case Scalar::F64:
    return load<double>(data, index);
  case Scalar::F32:
    return load<float>(data, index);
  case Scalar::F16:
    return halfToDouble(load<uint16_t>(data, index));
  case Scalar::BF16:
    return fromBits(static_cast<uint32_t>(load<uint16_t>(data, index)) << 16);
  case Scalar::F8E4M3FN:
    return f8e4m3fnToDouble(load<uint8_t>(data, index));
  case Scalar::I64:
    return static_cast<double>(load<int64_t>(data, index));
  case Scalar::I32:
    return load<int32_t>(data, index);
  case Scalar::Bool:
    return load<uint8_t>(data, index);
  }
  return 0.0;
}

bool isCompatibleReference(Scalar out, Scalar ref) {
  if (out == ref)
    return true;
  if (!isFloating(out))
    return false;
  if (ref == Scalar::F64)
    return true;
  return ref == Scalar::F32 && (out == Scalar::BF16 || out == Scalar::F8E4M3FN);
}

int64_t loadAsInt64(Scalar type, const void *data, size_t index) {
  switch (type) {
  case Scalar::I64:
    return load<int64_t>(data, index);
  case Scalar::I32:
    return load<int32_t>(data, index);
  case Scalar::Bool:
    return load<uint8_t>(data, index);
  default: {
    // Floating: truncated, with NaN and out-of-range values as 0 (casting
    // them would be undefined).
    double value = loadAsDouble(type, data, index);
    return value > -9.2e18 && value < 9.2e18 ? static_cast<int64_t>(value) : 0;
  }
  }
}
CompareResult compareTensors(Scalar outType, const void *out, Scalar refType,
                             const void *ref, size_t numElements,
                             const Tolerance &tolerance) {
  CompareResult result;
  result.numElements = numElements;
  result.floating = isFloating(outType);
  if (!result.floating) {
    for (size_t i = 0; i < numElements; ++i) {
      int64_t a = loadAsInt64(outType, out, i);
      int64_t b = loadAsInt64(refType, ref, i);
      if (a == b)
        continue;
      ++result.mismatches;
      double diff = std::fabs(static_cast<double>(a) - static_cast<double>(b));
      result.maxAbsError = std::fmax(result.maxAbsError, diff);
    }
    result.relL2Error = result.mismatches ? 1.0 : 0.0;
    result.pass = result.mismatches == 0;
    return result;
  }

  double diffSquares = 0.0, refSquares = 0.0;
  for (size_t i = 0; i < numElements; ++i) {
    double a = loadAsDouble(outType, out, i);
    double b = loadAsDouble(refType, ref, i);
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) != std::isnan(b))
        ++result.mismatches;
      continue;
    }
    // Equal infinities agree; inf - inf would be NaN.
    double diff = a == b ? 0.0 : std::fabs(a - b);
    result.maxAbsError = std::fmax(result.maxAbsError, diff);
    diffSquares += diff * diff;
    if (!std::isinf(b))
      refSquares += b * b;
  }
  if (diffSquares == 0.0)
    result.relL2Error = 0.0;
  else if (refSquares == 0.0)
    result.relL2Error = std::numeric_limits<double>::infinity();
  else
    result.relL2Error = std::sqrt(diffSquares) / std::sqrt(refSquares);
  if (std::isnan(result.relL2Error))
    result.relL2Error = std::numeric_limits<double>::infinity();
  result.pass =
      result.mismatches == 0 && (result.relL2Error <= tolerance.rtol ||
                                 result.maxAbsError <= tolerance.atol);
  return result;
}

} // namespace kestrel::run
