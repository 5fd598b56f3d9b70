//===- Strided.h - Strided index spaces ------------------------*- C++ -*-===//
//
// Broadcasting, transposes and slices all walk one index space with a
// per-operand element stride for every dimension (0 along broadcast
// dimensions, negative along reversed slices). StridedSpace drops size-1
// dimensions and merges neighbours that are contiguous in every operand, so
// the innermost run is as long as possible; the CPU library walks it row by
// row (kernels/cpu/StridedLoops.h), the CUDA library hands it to a kernel
// (StridedIndex in kernels/cuda/Common.cuh). Host code, header-only.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_COMMON_STRIDED_H
#define KESTREL_KERNELS_COMMON_STRIDED_H

#include "kernels/common/Tensor.h"

namespace kestrel {

/// Row-major strides of `shape` right-aligned into `rank` dimensions, 0
/// along dimensions where `shape` is 1 or absent.
inline void broadcastStrides(const Shape &shape, int rank, int64_t *strides) {
  int offset = rank - shape.rank;
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    int i = d - offset;
    if (i < 0 || shape[i] == 1) {
      strides[d] = 0;
    } else {
      strides[d] = stride;
      stride *= shape[i];
    }
  }
}

inline void contiguousStrides(const Shape &shape, int64_t *strides) {
  int64_t stride = 1;
  for (int d = shape.rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= shape[d];
  }
}

/// An index space of `rank` dimensions and N operands' element strides.
template <int N> struct StridedSpace {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[N][kMaxRank] = {};

  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d)
      n *= dims[d];
    return n;
  }

  /// Drops size-1 dimensions and merges each dimension into the one before
  /// it when every operand steps over it contiguously. Leaves rank >= 1.
  void simplify() {
    int r = 0;
    for (int d = 0; d < rank; ++d) {
      if (dims[d] == 1)
        continue;
      dims[r] = dims[d];
      for (int k = 0; k < N; ++k)
        strides[k][r] = strides[k][d];
      ++r;
    }
    int w = 0;
    for (int d = 0; d < r; ++d) {
      bool merge = w > 0;
      for (int k = 0; merge && k < N; ++k)
        merge = strides[k][w - 1] == strides[k][d] * dims[d];
      if (merge) {
        dims[w - 1] *= dims[d];
        for (int k = 0; k < N; ++k)
          strides[k][w - 1] = strides[k][d];
        continue;
      }
      dims[w] = dims[d];
      for (int k = 0; k < N; ++k)
        strides[k][w] = strides[k][d];
      ++w;
    }
    rank = w;
    if (rank == 0) {
      rank = 1;
      dims[0] = 1;
      for (int k = 0; k < N; ++k)
        strides[k][0] = 0;
    }
  }

  /// Moves dimension `from` to position `to`, shifting those between.
  void moveDim(int from, int to) {
    auto rotate = [&](int64_t *a) {
      int64_t v = a[from];
      if (from < to)
        for (int d = from; d < to; ++d)
          a[d] = a[d + 1];
      else
        for (int d = from; d > to; --d)
          a[d] = a[d - 1];
      a[to] = v;
    };
    rotate(dims);
    for (int k = 0; k < N; ++k)
      rotate(strides[k]);
  }
};

} // namespace kestrel

#endif // KESTREL_KERNELS_COMMON_STRIDED_H
