//===- ParallelFor.h - The work-splitting callback kernels take -*- C++ -*-===//
//
// One definition of the ParallelFor type shared by the header-only kernels
// (Gemm.h, Attention.h, Normalization.h) and the kernel library (Kernels.h).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CPU_PARALLELFOR_H
#define KESTREL_KERNELS_CPU_PARALLELFOR_H

#include <cstdint>
#include <functional>

namespace kestrel::cpu {

/// Runs `body(i)` for every i in [0, n), possibly on several threads; the
/// calls must be independent.
using ParallelFor =
    std::function<void(int64_t n, const std::function<void(int64_t)> &body)>;

inline void runSerially(int64_t n, const std::function<void(int64_t)> &body) {
  for (int64_t i = 0; i < n; ++i)
    body(i);
}

} // namespace kestrel::cpu

#endif // KESTREL_KERNELS_CPU_PARALLELFOR_H
