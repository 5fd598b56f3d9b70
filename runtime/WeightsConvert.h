//===- WeightsConvert.h - Stored element types of weights -------*- C++ -*-===//
//
// A weight may be stored in another element type than the model declares
// (a CUDA library keeps f32 weights as bf16 or f16). This is the one
// conversion kestrelc's weights writer and kestrel-pack both use, so that
// the two write the same bytes: floats go through f32 and round to nearest
// even with the CPU kernel library's own scalar conversions (f32ToBf16,
// f32ToF16, ... in kernels/cpu/Conversions.cpp). No MLIR or LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_RUNTIME_WEIGHTSCONVERT_H
#define KESTREL_RUNTIME_WEIGHTSCONVERT_H

#include "runtime/WeightsFile.h"

#include <cstddef>
#include <string>

namespace kestrel::runtime {

/// Whether a weight of type `from` can be stored as `to`: the same type, or
/// one float type (f32, f16, bf16, f8E4M3FN) as another.
bool canStoreAs(DType from, DType to);

/// Converts `count` elements at `src` (of type `from`) into `dst`, which
/// holds count * dtypeSize(to) bytes. False with `error` when
/// !canStoreAs(from, to).
bool convertElements(DType from, const void *src, DType to, void *dst,
                     size_t count, std::string &error);

/// convertElements in slices straight into `writer`: at most a few MiB of
/// converted data are held at a time.
bool appendConverted(WeightsStreamWriter &writer, DType from, const void *src,
                     size_t count, DType to, std::string &error);

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_WEIGHTSCONVERT_H
