//===- Gemm.h - Blocked f32 GEMM for the CPU backend ------------*- C++ -*-===//
//
// C = A·B (+ C) with the Goto/BLIS structure: B is packed into KC×NR column
// panels and A into MR×KC row panels that fit the caches, and an MR×NR
// register-tile micro-kernel (written so the compiler keeps the tile in
// vector registers and vectorizes along NR) does the arithmetic. Header-only:
// emitted model code includes it and is compiled with -O3 -march=<target>.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CPU_GEMM_H
#define KESTREL_KERNELS_CPU_GEMM_H

#include "kernels/cpu/Kernels.h"
#include "kernels/cpu/ParallelFor.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

namespace kestrel::cpu {

/// Matrix operand: element (i, j) is data[i * rowStride + j * colStride].
/// A transposed row-major matrix is the same data with the strides swapped.
struct MatrixRef {
  const float *data;
  int64_t rowStride;
  int64_t colStride;
  float at(int64_t i, int64_t j) const {
    return data[i * rowStride + j * colStride];
  }
};

/// Allocates on 64-byte boundaries. Buffers that several threads write side
/// by side (a GEMM's C, split by column blocks over the threads) must not
/// put two threads' columns in one cache line: a std::vector<float> over
/// 128 KiB comes from mmap, 16 bytes past a page boundary, and there every
/// 32-column tile of C shares its first and last line with its neighbours'.
/// Measured on a 128 x 960 x 576 GEMM, two threads: 128 GFLOP/s into such
/// a vector, 196 into an aligned one.
template <typename T> struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  CacheLineAllocator() = default;
  template <typename U> CacheLineAllocator(const CacheLineAllocator<U> &) {}
  T *allocate(size_t n) {
    return static_cast<T *>(::operator new(n * sizeof(T), kAlignment));
  }
  void deallocate(T *p, size_t) { ::operator delete(p, kAlignment); }
  friend bool operator==(CacheLineAllocator, CacheLineAllocator) {
    return true;
  }
  friend bool operator!=(CacheLineAllocator, CacheLineAllocator) {
    return false;
  }
};

/// f32 storage that starts on a cache line (see CacheLineAllocator).
using AlignedFloats = std::vector<float, CacheLineAllocator<float>>;

namespace gemm_detail {

// The inner loops below carry no memory dependence: `#pragma GCC ivdep`,
// which clang spells `clang loop vectorize(assume_safety)`.

// Register tile and cache blocking. MR x NR accumulators (8 x 32 floats:
// 16 AVX-512 or 32 AVX2 registers' worth, vectorized along NR); KC x NR
// panels of B stay in L1, MC x KC blocks of A in L2.
constexpr int64_t kMR = 8;
constexpr int64_t kNR = 32;
constexpr int64_t kKC = 256;
constexpr int64_t kMC = 128;
constexpr int64_t kNC = 1024;

/// Copies m[r0:r0+rows, c0:c0+cols] as ceil(cols/Width) panels of
/// rows x Width, zero padded at the edge. B is packed as is (Width = NR), A
/// through its transposed view (Width = MR).
template <int64_t Width>
inline void packPanels(const MatrixRef &m, int64_t r0, int64_t rows, int64_t c0,
                       int64_t cols, float *out) {
  for (int64_t cp = 0; cp < cols; cp += Width) {
    int64_t w = std::min(Width, cols - cp);
    for (int64_t r = 0; r < rows; ++r) {
      float *line = out + r * Width;
      if (m.colStride == 1 && w == Width) {
        // Rows contiguous (B as stored): a whole panel row, which the
        // compiler copies with a few vector moves.
        const float *__restrict src = m.data + (r0 + r) * m.rowStride + c0 + cp;
        for (int64_t c = 0; c < Width; ++c)
          line[c] = src[c];
      } else {
        for (int64_t c = 0; c < w; ++c)
          line[c] = m.at(r0 + r, c0 + cp + c);
      }
      for (int64_t c = w; c < Width; ++c)
        line[c] = 0.0f;
    }
    out += rows * Width;
  }
}

/// How far ahead (in rows of a KC x NR panel: 128 bytes each) the kernels
/// that stream a pre-packed panel from memory fetch it: about 300 cycles of
/// DRAM latency at a few cycles per row.
constexpr int64_t kPanelPrefetchRows = 32;

/// Both cache lines of row `k + kPanelPrefetchRows` of a panel (past its
/// end the addresses are the next panel's or unused: a prefetch never
/// faults).
inline void prefetchPanelRow(const float *panel, int64_t k) {
  const float *row = panel + (k + kPanelPrefetchRows) * kNR;
  __builtin_prefetch(row);
  __builtin_prefetch(row + 16);
}

/// acc = Ap(kc x MR)^T · Bp(kc x NR); then C[:h, :w] = acc (+ C when
/// `accumulate`). `Stream`: Bp is read from memory for the first time (a
/// panel packed at load), so it is prefetched ahead of use.
/// `ahead`, when not null, is fetched into L2 one line per k (the next
/// panel, while this one computes from L1).
template <bool Stream = false>
inline void microKernel(int64_t kc, const float *__restrict ap,
                        const float *__restrict bp, float *c, int64_t ldc,
                        int64_t h, int64_t w, bool accumulate,
                        const float *ahead = nullptr) {
  float acc[kMR][kNR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const float *a = ap + k * kMR;
    const float *b = bp + k * kNR;
    if constexpr (Stream)
      prefetchPanelRow(bp, k);
    if (ahead)
      __builtin_prefetch(ahead + k * 16, 0, 2);
#pragma GCC unroll 8
    for (int64_t i = 0; i < kMR; ++i) {
      float ai = a[i];
#if defined(__clang__)
#pragma clang loop vectorize(assume_safety)
#else
#pragma GCC ivdep
#endif
      for (int64_t j = 0; j < kNR; ++j)
        acc[i][j] += ai * b[j];
    }
  }
  if (h == kMR && w == kNR) {
    // A whole tile: with fixed bounds the accumulators are stored from
    // their registers (with h and w the compiler keeps them in memory,
    // zeroed and spilled on every call: 6% of a 128 x 960 x 576 GEMM).
#pragma GCC unroll 8
    for (int64_t i = 0; i < kMR; ++i) {
      float *row = c + i * ldc;
      if (accumulate)
        for (int64_t j = 0; j < kNR; ++j)
          row[j] += acc[i][j];
      else
        for (int64_t j = 0; j < kNR; ++j)
          row[j] = acc[i][j];
    }
    return;
  }
  for (int64_t i = 0; i < h; ++i) {
    float *row = c + i * ldc;
    if (accumulate)
      for (int64_t j = 0; j < w; ++j)
        row[j] += acc[i][j];
    else
      for (int64_t j = 0; j < w; ++j)
        row[j] = acc[i][j];
  }
}

/// x · w over k contiguous elements. Sixteen partial sums break the
/// dependency chain and vectorize; they are added in order, then the tail.
inline float dotF32(const float *__restrict x, const float *__restrict w,
                    int64_t k) {
  float partial[16] = {};
  int64_t i = 0;
  for (; i + 16 <= k; i += 16)
#if defined(__clang__)
#pragma clang loop vectorize(assume_safety)
#else
#pragma GCC ivdep
#endif
    for (int64_t l = 0; l < 16; ++l)
      partial[l] += x[i + l] * w[i + l];
  float sum = 0;
  for (int64_t l = 0; l < 16; ++l)
    sum += partial[l];
  for (; i < k; ++i)
    sum += x[i] * w[i];
  return sum;
}

/// Few rows and B contiguous along K (nn.Linear weights, B = Wᵀ): packing
/// B would cost more than the multiply, so each output is a dot product
/// streaming a row of W; memory-bound, like decoding.
inline void skinnyRowsDot(int64_t M, int64_t K, MatrixRef a, MatrixRef b,
                          float *c, int64_t ldc, bool accumulate, int64_t j0,
                          int64_t j1) {
  for (int64_t j = j0; j < j1; ++j) {
    const float *w = b.data + j * b.colStride;
    for (int64_t i = 0; i < M; ++i) {
      float sum = dotF32(a.data + i * a.rowStride, w, K);
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
    }
  }
}

// The vector registers of the level the kernels are built for (emitted
// code and each kernel library are compiled with one -march).
#if defined(__AVX512F__)
constexpr int64_t kVectorFloats = 16, kVectorRegisters = 32;
#elif defined(__AVX__)
constexpr int64_t kVectorFloats = 8, kVectorRegisters = 16;
#else
constexpr int64_t kVectorFloats = 4, kVectorRegisters = 16;
#endif

/// The columns one skinnyRowsBlock<Rows> keeps in registers: Rows x Width
/// accumulators in at most three quarters of the vector registers (the rest
/// hold B's row and A's broadcasts), at most 8 vectors per row.
template <int64_t Rows> constexpr int64_t skinnyWidth() {
  int64_t vectors = (kVectorRegisters * 3 / 4) / Rows;
  vectors = vectors < 1 ? 1 : vectors > 8 ? 8 : vectors;
  return vectors * kVectorFloats;
}

/// Rows (<= 16) x width columns of C, j0..j0+width, in registers while K
/// streams the rows of B: every element of B is read once for all the rows
/// of A, so the product runs at the speed B streams from memory (decoding:
/// M is the number of tokens, B the weights as stored, [K, N]). Each output
/// sums k in order, as every other path does.
constexpr int64_t kPrefetchRows = 16;

template <int64_t Rows>
inline void skinnyRowsBlock(int64_t K, MatrixRef a, MatrixRef b, float *c,
                            int64_t ldc, bool accumulate, int64_t j0,
                            int64_t width) {
  constexpr int64_t kW = skinnyWidth<Rows>();
  float acc[Rows][kW] = {};
  const float *arow[Rows];
  for (int64_t r = 0; r < Rows; ++r)
    arow[r] = a.data + r * a.rowStride;
  if (width == kW) {
    for (int64_t k = 0; k < K; ++k) {
      const float *__restrict brow = b.data + k * b.rowStride + j0;
      // B's rows are b.rowStride apart: a strided stream the hardware
      // prefetchers follow poorly, so fetch kPrefetchRows ahead.
      if (k + kPrefetchRows < K)
        for (int64_t line = 0; line < kW; line += 16)
          __builtin_prefetch(brow + kPrefetchRows * b.rowStride + line);
#pragma GCC unroll 16
      for (int64_t r = 0; r < Rows; ++r) {
        float ark = arow[r][k * a.colStride];
#if defined(__clang__)
#pragma clang loop vectorize(assume_safety)
#else
#pragma GCC ivdep
#endif
        for (int64_t j = 0; j < kW; ++j)
          acc[r][j] += ark * brow[j];
      }
    }
  } else {
    for (int64_t k = 0; k < K; ++k) {
      const float *__restrict brow = b.data + k * b.rowStride + j0;
      for (int64_t r = 0; r < Rows; ++r) {
        float ark = arow[r][k * a.colStride];
        for (int64_t j = 0; j < width; ++j)
          acc[r][j] += ark * brow[j];
      }
    }
  }
  for (int64_t r = 0; r < Rows; ++r) {
    float *row = c + r * ldc + j0;
    for (int64_t j = 0; j < width; ++j)
      row[j] = accumulate ? row[j] + acc[r][j] : acc[r][j];
  }
}

/// C[0:Rows, j0:j1] through skinnyRowsBlock<Rows>, Width columns at a time.
template <int64_t Rows>
inline void skinnyRows(int64_t K, MatrixRef a, MatrixRef b, float *c,
                       int64_t ldc, bool accumulate, int64_t j0, int64_t j1) {
  constexpr int64_t kW = skinnyWidth<Rows>();
  for (int64_t j = j0; j < j1; j += kW)
    skinnyRowsBlock<Rows>(K, a, b, c, ldc, accumulate, j, std::min(kW, j1 - j));
}

/// The columns a thread takes at a time: one block, or two of 16 columns,
/// so that the work splits evenly over threads even for
/// projections as narrow as a few heads (a task costs one call; each block
/// streams its own columns of B either way).
template <int64_t Rows> constexpr int64_t skinnyTaskColumns() {
  constexpr int64_t kW = skinnyWidth<Rows>();
  return kW >= 32 ? kW : (32 / kW) * kW;
}

/// Few rows (M <= 16) and B contiguous along N: every row of A in one pass
/// over B, split over column chunks.
template <int64_t Rows>
inline void skinnyRowsParallel(int64_t N, int64_t K, MatrixRef a, MatrixRef b,
                               float *c, int64_t ldc, bool accumulate,
                               const ParallelFor &parallel) {
  constexpr int64_t kChunk = skinnyTaskColumns<Rows>();
  parallel((N + kChunk - 1) / kChunk, [&](int64_t task) {
    skinnyRows<Rows>(K, a, b, c, ldc, accumulate, task * kChunk,
                     std::min(N, (task + 1) * kChunk));
  });
}

constexpr int64_t kSkinnyMaxRows = 16;

/// skinnyRowsParallel<M> for a run-time M in [1, kSkinnyMaxRows].
inline void skinnyRowsDispatch(int64_t M, int64_t N, int64_t K, MatrixRef a,
                               MatrixRef b, float *c, int64_t ldc,
                               bool accumulate, const ParallelFor &parallel) {
  switch (M) {
#define KESTREL_SKINNY_CASE(R)                                                 \
  case R:                                                                      \
    return skinnyRowsParallel<R>(N, K, a, b, c, ldc, accumulate, parallel);
    KESTREL_SKINNY_CASE(1)
    KESTREL_SKINNY_CASE(2)
    KESTREL_SKINNY_CASE(3)
    KESTREL_SKINNY_CASE(4)
    KESTREL_SKINNY_CASE(5)
    KESTREL_SKINNY_CASE(6)
    KESTREL_SKINNY_CASE(7)
    KESTREL_SKINNY_CASE(8)
    KESTREL_SKINNY_CASE(9)
    KESTREL_SKINNY_CASE(10)
    KESTREL_SKINNY_CASE(11)
    KESTREL_SKINNY_CASE(12)
    KESTREL_SKINNY_CASE(13)
    KESTREL_SKINNY_CASE(14)
    KESTREL_SKINNY_CASE(15)
    KESTREL_SKINNY_CASE(16)
#undef KESTREL_SKINNY_CASE
  default:
    break;
  }
}

/// Few columns (matrix-vector products, N <= 4) with A contiguous along K:
/// each output is a dot product of a row of A with a column of B (copied
/// contiguous first when B is not).
inline void skinnyColsDot(int64_t N, int64_t K, MatrixRef a, MatrixRef b,
                          float *c, int64_t ldc, bool accumulate, int64_t i0,
                          int64_t i1) {
  thread_local AlignedFloats columns;
  if (columns.size() < static_cast<size_t>(N * K))
    columns.resize(N * K);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      columns[n * K + k] = b.at(k, n);
  for (int64_t i = i0; i < i1; ++i) {
    const float *x = a.data + i * a.rowStride;
    for (int64_t n = 0; n < N; ++n) {
      float sum = dotF32(x, columns.data() + n * K, K);
      c[i * ldc + n] = accumulate ? c[i * ldc + n] + sum : sum;
    }
  }
}

/// Grow-only per-thread scratch, cache-line aligned (never zeroed: packing
/// writes every element it later reads, padding included).
inline float *scratch(AlignedFloats &buffer, size_t count) {
  if (buffer.size() < count)
    buffer.resize(count);
  return buffer.data();
}

// Skinny products against pre-packed B keep a tile of C in registers,
// whole panels wide: at most three quarters of the vector registers as
// accumulators (the rest hold B's vectors and A's broadcasts). A group of
// rows takes the panels of as many runs as fit; more rows than one group
// holds are split into groups that each stream the panel (the later ones
// from L1 or L2).
constexpr int64_t kPackedAccumulators = kVectorRegisters * 3 / 4;
constexpr int64_t kPanelVectors = kNR / kVectorFloats;
constexpr int64_t kPackedGroupRows = kPackedAccumulators / kPanelVectors > 1
                                         ? kPackedAccumulators / kPanelVectors
                                         : 1;

/// Panels a group of Rows rows keeps in registers at once.
template <int64_t Rows> constexpr int64_t packedRuns() {
  int64_t runs = kPackedAccumulators / (Rows * kPanelVectors);
  return runs < 1 ? 1 : runs > 4 ? 4 : runs;
}

/// C[0:Rows, j0:j0+width) += (or =, when `first`) A[0:Rows, k0:k0+kc) times
/// the slice's panels from `panel` (Runs of them, `stride` apart; columns
/// past `width` are computed from the panels' zero padding and not
/// stored). The tile stays in registers while k streams; C holds the
/// partial sums between K slices, so each output still sums k in order.
template <int64_t Rows, int64_t Runs>
inline void packedTile(int64_t kc, const float *a, int64_t lda, int64_t acs,
                       const float *panel, int64_t stride, float *c,
                       int64_t ldc, int64_t width, bool first) {
  float acc[Rows][Runs * kNR] = {};
  if (!first)
    for (int64_t r = 0; r < Rows; ++r)
      for (int64_t j = 0; j < width; ++j)
        acc[r][j] = c[r * ldc + j];
  for (int64_t k = 0; k < kc; ++k) {
#pragma GCC unroll 16
    for (int64_t r = 0; r < Rows; ++r) {
      float ark = a[r * lda + k * acs];
#pragma GCC unroll 4
      for (int64_t q = 0; q < Runs; ++q) {
        const float *__restrict b = panel + q * stride + k * kNR;
        if (r == 0)
          prefetchPanelRow(panel + q * stride, k);
#if defined(__clang__)
#pragma clang loop vectorize(assume_safety)
#else
#pragma GCC ivdep
#endif
        for (int64_t j = 0; j < kNR; ++j)
          acc[r][q * kNR + j] += ark * b[j];
      }
    }
  }
  for (int64_t r = 0; r < Rows; ++r)
    for (int64_t j = 0; j < width; ++j)
      c[r * ldc + j] = acc[r][j];
}

/// packedTile<Rows, runs> for a run-time runs in [1, Runs].
template <int64_t Rows, int64_t Runs>
inline void packedTileRuns(int64_t runs, int64_t kc, const float *a,
                           int64_t lda, int64_t acs, const float *panel,
                           int64_t stride, float *c, int64_t ldc, int64_t width,
                           bool first) {
  if constexpr (Runs > 1)
    if (runs < Runs)
      return packedTileRuns<Rows, Runs - 1>(runs, kc, a, lda, acs, panel,
                                            stride, c, ldc, width, first);
  packedTile<Rows, Runs>(kc, a, lda, acs, panel, stride, c, ldc, width, first);
}

/// One group of Rows rows over C's columns [j0, j1) and the K slice at k0:
/// packedRuns<Rows>() panels at a time.
template <int64_t Rows>
inline void packedGroup(int64_t N, int64_t k0, int64_t kc, MatrixRef a,
                        const float *packed, float *c, int64_t ldc, int64_t j0,
                        int64_t j1) {
  constexpr int64_t kRuns = packedRuns<Rows>();
  int64_t nPad = (N + kNR - 1) / kNR * kNR;
  const float *slice = packed + k0 * nPad;
  for (int64_t j = j0; j < j1; j += kRuns * kNR) {
    int64_t width = std::min(kRuns * kNR, j1 - j);
    packedTileRuns<Rows, kRuns>((width + kNR - 1) / kNR, kc,
                                a.data + k0 * a.colStride, a.rowStride,
                                a.colStride, slice + (j / kNR) * kc * kNR,
                                kc * kNR, c + j, ldc, width, k0 == 0);
  }
}

/// packedGroup<R> for a run-time R in [1, kPackedGroupRows].
template <int64_t R = 1>
inline void packedGroupRows(int64_t rows, int64_t N, int64_t k0, int64_t kc,
                            MatrixRef a, const float *packed, float *c,
                            int64_t ldc, int64_t j0, int64_t j1) {
  if constexpr (R < kPackedGroupRows)
    if (rows > R)
      return packedGroupRows<R + 1>(rows, N, k0, kc, a, packed, c, ldc, j0, j1);
  packedGroup<R>(N, k0, kc, a, packed, c, ldc, j0, j1);
}

/// packedRuns<R>() for a run-time R in [1, kPackedGroupRows].
template <int64_t R = 1> constexpr int64_t packedRunsOf(int64_t rows) {
  if constexpr (R < kPackedGroupRows)
    if (rows > R)
      return packedRunsOf<R + 1>(rows);
  return packedRuns<R>();
}

/// Few rows (M <= 16) against pre-packed B: column chunks of whole panels
/// over the threads; in each, K slice by K slice, every group of rows
/// (M split evenly) against the slice's panels.
inline void skinnyPacked(int64_t M, int64_t N, int64_t K, MatrixRef a,
                         const float *packed, float *c, int64_t ldc,
                         const ParallelFor &parallel) {
  int64_t groups = (M + kPackedGroupRows - 1) / kPackedGroupRows;
  int64_t rows = (M + groups - 1) / groups; // the largest group's
  int64_t chunk = packedRunsOf(rows) * kNR;
  parallel((N + chunk - 1) / chunk, [&](int64_t task) {
    int64_t j0 = task * chunk, j1 = std::min(N, j0 + chunk);
    for (int64_t k0 = 0; k0 < K; k0 += kKC) {
      int64_t kc = std::min(kKC, K - k0);
      for (int64_t g = 0, i0 = 0; g < groups; ++g) {
        int64_t h = M / groups + (g < M % groups ? 1 : 0);
        MatrixRef ag{a.data + i0 * a.rowStride, a.rowStride, a.colStride};
        packedGroupRows(h, N, k0, kc, ag, packed, c + i0 * ldc, ldc, j0, j1);
        i0 += h;
      }
    }
  });
}

/// The blocked product C = A·B (+ C) on the MR x NR register tile, B's
/// KC x NR panels from `panelsOf(j0, nc, k0, kc, buffer)`: the panels of
/// columns [j0, j0 + nc) and rows [k0, k0 + kc), packed into `buffer` (the
/// calling thread's scratch) or, when `Prepacked`, already packed (and
/// streamed from memory on first use).
template <bool Prepacked, typename PanelsOf>
inline void blockedGemm(int64_t M, int64_t N, int64_t K, MatrixRef a, float *c,
                        int64_t ldc, bool accumulate,
                        const ParallelFor &parallel, PanelsOf panelsOf) {
  // A is packed once, whole (KC slices of MR-row panels), in parallel over
  // row blocks; then each task owns a block of columns and, per KC slice,
  // takes that block's panels of B (packed now, once, or at load) and runs
  // all of A against them. (Packing A per
  // column block, as before, packed it N / blockN times: twice the cost of
  // packing B at 128 rows of a 576-wide projection.) Column blocks are at
  // most kNC wide, narrower (whole NR panels) until there are kMinTasks of
  // them, so a projection a few heads wide still splits over the threads.
  // Which columns share a task does not change any sum.
  constexpr int64_t kMinTasks = 16;
  int64_t panels = (N + kNR - 1) / kNR;
  int64_t blockN = kNC;
  if ((N + blockN - 1) / blockN < kMinTasks)
    blockN = std::max<int64_t>(1, panels / kMinTasks) * kNR;
  int64_t nBlocks = (N + blockN - 1) / blockN;
  int64_t mPad = (M + kMR - 1) / kMR * kMR;
  // The packed slice of A for rows [i0, i0 + rows) and k from k0: panels of
  // kc x MR, slice k0 of all rows at offset k0 * mPad.
  thread_local AlignedFloats aAll;
  float *aPacked = scratch(aAll, static_cast<size_t>(mPad * K));
  int64_t mBlocks = (M + kMC - 1) / kMC;
  int64_t kSlices = (K + kKC - 1) / kKC;
  parallel(mBlocks * kSlices, [&](int64_t task) {
    int64_t i0 = (task % mBlocks) * kMC, k0 = (task / mBlocks) * kKC;
    int64_t mc = std::min(kMC, M - i0), kc = std::min(kKC, K - k0);
    packPanels<kMR>({a.data, a.colStride, a.rowStride}, k0, kc, i0, mc,
                    aPacked + k0 * mPad + i0 * kc);
  });
  parallel(nBlocks, [&](int64_t task) {
    int64_t j0 = task * blockN;
    int64_t nc = std::min(blockN, N - j0);
    thread_local AlignedFloats bBuffer;
    for (int64_t k0 = 0; k0 < K; k0 += kKC) {
      int64_t kc = std::min(kKC, K - k0);
      bool acc = accumulate || k0 > 0;
      const float *bPack = panelsOf(j0, nc, k0, kc, bBuffer);
      const float *aSlice = aPacked + k0 * mPad;
      for (int64_t i0 = 0; i0 < M; i0 += kMC) {
        int64_t mc = std::min(kMC, M - i0);
        for (int64_t jp = 0; jp < nc; jp += kNR) {
          // Panels packed at load come from memory: the first row tile
          // streams its panel (prefetching it into L1), and the next two,
          // computing from L1, fetch the next panel into L2, a line per k.
          const float *next = nullptr;
          if constexpr (Prepacked) {
            if (i0 == 0 && jp + kNR < nc)
              next = bPack + (jp / kNR + 1) * kc * kNR;
            else if (i0 == 0 && k0 + kKC < K)
              next = panelsOf(j0, nc, k0 + kKC, std::min(kKC, K - k0 - kKC),
                              bBuffer);
          }
          for (int64_t ip = 0; ip < mc; ip += kMR) {
            const float *ahead = next && ip > 0 && ip <= 2 * kMR
                                     ? next + (ip / kMR - 1) * kc * 16
                                     : nullptr;
            auto kernel = Prepacked && i0 == 0 && ip == 0 ? microKernel<true>
                                                          : microKernel<false>;
            kernel(kc, aSlice + (i0 + ip) * kc, bPack + (jp / kNR) * kc * kNR,
                   c + (i0 + ip) * ldc + j0 + jp, ldc, std::min(kMR, mc - ip),
                   std::min(kNR, nc - jp), acc, ahead);
          }
        }
      }
    }
  });
}

} // namespace gemm_detail

/// C[M x N] (row-major, leading dimension ldc) = A[M x K] · B[K x N], plus
/// the old C when `accumulate`. Work is split over column blocks of C (and
/// row blocks when there are few columns); each block sums K in the same
/// order, so the result does not depend on how `parallel` schedules it.
inline void gemmF32(int64_t M, int64_t N, int64_t K, MatrixRef a, MatrixRef b,
                    float *c, int64_t ldc, bool accumulate,
                    const ParallelFor &parallel = runSerially,
                    GemmPath path = GemmPath::Dot) {
  using namespace gemm_detail;
  if (M <= 0 || N <= 0)
    return;
  if (K <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i)
        std::memset(c + i * ldc, 0, N * sizeof(float));
    return;
  }
  bool decode = path == GemmPath::Dot;
  if (decode && M <= 4 && b.rowStride == 1 && a.colStride == 1) {
    constexpr int64_t kColumns = 256;
    parallel((N + kColumns - 1) / kColumns, [&](int64_t task) {
      skinnyRowsDot(M, K, a, b, c, ldc, accumulate, task * kColumns,
                    std::min(N, (task + 1) * kColumns));
    });
    return;
  }
  if (decode && N <= 4 && a.colStride == 1) {
    constexpr int64_t kRows = 64;
    parallel((M + kRows - 1) / kRows, [&](int64_t task) {
      skinnyColsDot(N, K, a, b, c, ldc, accumulate, task * kRows,
                    std::min(M, (task + 1) * kRows));
    });
    return;
  }
  if (decode && M <= kSkinnyMaxRows && b.colStride == 1) {
    skinnyRowsDispatch(M, N, K, a, b, c, ldc, accumulate, parallel);
    return;
  }
  blockedGemm<false>(M, N, K, a, c, ldc, accumulate, parallel,
                     [&](int64_t j0, int64_t nc, int64_t k0, int64_t kc,
                         AlignedFloats &buffer) -> const float * {
                       float *out = scratch(buffer, ((nc + kNR - 1) / kNR) *
                                                        kNR * std::min(kKC, K));
                       packPanels<kNR>(b, k0, kc, j0, nc, out);
                       return out;
                     });
}

/// The floats packGemmBF32 writes for a [K, N] B: ceil(N / NR) panels of
/// NR columns per K slice.
inline int64_t packedGemmBFloats(int64_t K, int64_t N) {
  return K * ((N + gemm_detail::kNR - 1) / gemm_detail::kNR) * gemm_detail::kNR;
}

/// Packs B [K x N] once into the layout the blocked kernel packs it into
/// per call, for every column: per K slice of KC rows (the last shorter),
/// the NR-wide panels left to right, each kc x NR, zero padded past N.
/// Slice k0 starts at k0 * nPad. `out` holds packedGemmBFloats(K, N).
inline void packGemmBF32(int64_t K, int64_t N, MatrixRef b, float *out) {
  using namespace gemm_detail;
  int64_t nPad = (N + kNR - 1) / kNR * kNR;
  for (int64_t k0 = 0; k0 < K; k0 += kKC)
    packPanels<kNR>(b, k0, std::min(kKC, K - k0), 0, N, out + k0 * nPad);
}

/// C[M x N] = A[M x K] · B with B packed by packGemmBF32: the blocked kernel
/// without packing B, or for M <= 16 every row against each panel as it
/// streams (skinnyRows' summation order). Sums are the blocked kernel's
/// (cpu.gemm.blocked) for M > 16, whatever `parallel` does.
inline void gemmF32Packed(int64_t M, int64_t N, int64_t K, MatrixRef a,
                          const float *packed, float *c, int64_t ldc,
                          const ParallelFor &parallel = runSerially) {
  using namespace gemm_detail;
  if (M <= 0 || N <= 0)
    return;
  if (K <= 0) {
    for (int64_t i = 0; i < M; ++i)
      std::memset(c + i * ldc, 0, N * sizeof(float));
    return;
  }
  if (M <= kSkinnyMaxRows)
    return skinnyPacked(M, N, K, a, packed, c, ldc, parallel);
  int64_t nPad = (N + kNR - 1) / kNR * kNR;
  blockedGemm<true>(M, N, K, a, c, ldc, /*accumulate=*/false, parallel,
                    [&](int64_t j0, int64_t, int64_t k0, int64_t kc,
                        AlignedFloats &) -> const float * {
                      return packed + k0 * nPad + (j0 / kNR) * kc * kNR;
                    });
}

} // namespace kestrel::cpu

#endif // KESTREL_KERNELS_CPU_GEMM_H
