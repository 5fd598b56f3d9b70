//===- StridedLoops.h - Row iteration over strided operands -----*- C++ -*-===//
//
// Internal to the kernel library: the loops over a StridedSpace
// (kernels/common/Strided.h). The innermost dimension runs as a row with
// strides 0 or 1; the outer dimensions advance offsets incrementally (no
// division per element).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CPU_STRIDEDLOOPS_H
#define KESTREL_KERNELS_CPU_STRIDEDLOOPS_H

#include "kernels/common/Strided.h"
#include "kernels/cpu/ElementTypes.h"

namespace kestrel::cpu::detail {

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

#endif // KESTREL_KERNELS_CPU_STRIDEDLOOPS_H
