//===- TensorCompare.h - Compare a model output with a reference -*- C++
//-*-===//
//
// The pass/fail rule of kestrel-run --expect. Floating outputs pass when no
// element is NaN in one tensor but not the other, and the relative L2 error
// ||out - ref|| / ||ref|| is at most rtol OR the largest absolute error is at
// most atol. Integer and bool outputs must match exactly.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_TOOLS_KESTREL_RUN_TENSORCOMPARE_H
#define KESTREL_TOOLS_KESTREL_RUN_TENSORCOMPARE_H

#include <cstddef>
#include <cstdint>

namespace kestrel::run {

/// Element types on either side of a comparison: the runtime's dtypes plus
/// f64, in which references are sometimes stored.
enum class Scalar { F64, F32, F16, BF16, F8E4M3FN, I64, I32, Bool };

bool isFloating(Scalar type);
size_t scalarSize(Scalar type);
const char *scalarName(Scalar type);

/// Reads element `index` of a little-endian buffer of `type` as a double.
double loadAsDouble(Scalar type, const void *data, size_t index);
/// Reads element `index` as an integer (exactly for i64, i32 and bool).
int64_t loadAsInt64(Scalar type, const void *data, size_t index);

/// Whether a reference of type `ref` can check an output of type `out`: the
/// same type, or for a floating output an f64 reference, or an f32 one for
/// the types numpy cannot store (bf16, f8e4m3fn).
bool isCompatibleReference(Scalar out, Scalar ref);

struct Tolerance {
  double rtol = 1e-4;
  double atol = 0.0;
};

struct CompareResult {
  bool floating = false;
  size_t numElements = 0;
  /// Largest |out - ref| over the elements that are NaN in neither tensor.
  double maxAbsError = 0.0;
  /// ||out - ref||_2 / ||ref||_2 over the same elements (0 when both norms
  /// are 0, infinity when only the reference's is).
  double relL2Error = 0.0;
  /// Floating: elements NaN in exactly one tensor. Integer and bool:
  /// elements that differ.
  size_t mismatches = 0;
  bool pass = false;
};

/// Compares `numElements` elements of `out` with `ref`; the types must be
/// compatible (isCompatibleReference).
CompareResult compareTensors(Scalar outType, const void *out, Scalar refType,
                             const void *ref, size_t numElements,
                             const Tolerance &tolerance);

} // namespace kestrel::run

#endif // KESTREL_TOOLS_KESTREL_RUN_TENSORCOMPARE_H
