//===- StridedLoops.h - Row iteration over strided operands -----*- C++ -*-===//
//
// Internal to the kernel library. Broadcasting, transposes and slices all
// walk one index space with a per-operand element stride for every
// dimension (0 along broadcast dimensions). StridedSpace first drops size-1
// dimensions and merges neighbours that are contiguous in every operand, so
// that the innermost loop is as long as possible and runs with strides 0 or
// 1; the outer dimensions advance offsets incrementally (no division per
// element).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_CPU_KERNELS_STRIDEDLOOPS_H
#define KESTREL_CODEGEN_CPU_KERNELS_STRIDEDLOOPS_H

#include "codegen/cpu/kernels/ElementTypes.h"

namespace kestrel::cpu::detail {

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
        std::copy(a + from + 1, a + to + 1, a + from);
      else
        std::copy_backward(a + to, a + from, a + from + 1);
      a[to] = v;
    };
    rotate(dims);
    for (int k = 0; k < N; ++k)
      rotate(strides[k]);
  }
};

/// fn(offsets) for the positions [begin, end) of the first `outer`
/// dimensions in row-major order; offsets[k] is operand k's element offset.
template <int N, typename Fn>
void forEachOuter(const StridedSpace<N> &s, int outer, int64_t begin,
                  int64_t end, Fn &&fn) {
  int64_t index[kMaxRank] = {};
  int64_t offsets[N] = {};
  int64_t rest = begin;
  for (int d = outer - 1; d >= 0; --d) {
    index[d] = rest % s.dims[d];
    rest /= s.dims[d];
  }
  for (int k = 0; k < N; ++k)
    for (int d = 0; d < outer; ++d)
      offsets[k] += index[d] * s.strides[k][d];
  for (int64_t p = begin; p < end; ++p) {
    fn(static_cast<const int64_t *>(offsets));
    for (int d = outer - 1; d >= 0; --d) {
      for (int k = 0; k < N; ++k)
        offsets[k] += s.strides[k][d];
      if (++index[d] < s.dims[d])
        break;
      for (int k = 0; k < N; ++k)
        offsets[k] -= s.strides[k][d] * s.dims[d];
      index[d] = 0;
    }
  }
}

/// row(offsets, length) over every innermost row of a simplified space
/// with at least one element, split over threads in chunks of about `grain`
/// elements. A single long row is split too; the inner strides are
/// s.strides[k][s.rank - 1].
template <int N, typename RowFn>
void forEachRow(Context &ctx, const StridedSpace<N> &s, int64_t grain,
                RowFn &&row) {
  int inner = s.rank - 1;
  int64_t len = s.dims[inner];
  if (s.rank == 1) {
    parallelRange(ctx, len, grain, [&](int64_t i0, int64_t i1) {
      int64_t offsets[N];
      for (int k = 0; k < N; ++k)
        offsets[k] = i0 * s.strides[k][0];
      row(static_cast<const int64_t *>(offsets), i1 - i0);
    });
    return;
  }
  int64_t rows = s.numel() / len;
  parallelRange(ctx, rows, grain / len, [&](int64_t r0, int64_t r1) {
    forEachOuter(s, inner, r0, r1,
                 [&](const int64_t *offsets) { row(offsets, len); });
  });
}

} // namespace kestrel::cpu::detail

#endif // KESTREL_CODEGEN_CPU_KERNELS_STRIDEDLOOPS_H
