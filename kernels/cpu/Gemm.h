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

/// acc = Ap(kc x MR)^T · Bp(kc x NR); then C[:h, :w] = acc (+ C when
/// `accumulate`).
inline void microKernel(int64_t kc, const float *__restrict ap,
                        const float *__restrict bp, float *c, int64_t ldc,
                        int64_t h, int64_t w, bool accumulate) {
  float acc[kMR][kNR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const float *a = ap + k * kMR;
    const float *b = bp + k * kNR;
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

/// Few rows and B contiguous along K (nn.Linear weights, B = Wᵀ): packing
/// B would cost more than the multiply, so each output is a dot product
/// streaming a row of W; memory-bound, like decoding.
inline void skinnyRowsDot(int64_t M, int64_t K, MatrixRef a, MatrixRef b,
                          float *c, int64_t ldc, bool accumulate, int64_t j0,
                          int64_t j1) {
  for (int64_t j = j0; j < j1; ++j) {
    const float *w = b.data + j * b.colStride;
    for (int64_t i = 0; i < M; ++i) {
      const float *x = a.data + i * a.rowStride;
      // Sixteen partial sums break the dependency chain and vectorize.
      float partial[16] = {};
      int64_t k = 0;
      for (; k + 16 <= K; k += 16)
#if defined(__clang__)
#pragma clang loop vectorize(assume_safety)
#else
#pragma GCC ivdep
#endif
        for (int64_t l = 0; l < 16; ++l)
          partial[l] += x[k + l] * w[k + l];
      float sum = 0;
      for (int64_t l = 0; l < 16; ++l)
        sum += partial[l];
      for (; k < K; ++k)
        sum += x[k] * w[k];
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
  thread_local std::vector<float> columns;
  if (columns.size() < static_cast<size_t>(N * K))
    columns.resize(N * K);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      columns[n * K + k] = b.at(k, n);
  for (int64_t i = i0; i < i1; ++i) {
    const float *x = a.data + i * a.rowStride;
    for (int64_t n = 0; n < N; ++n) {
      const float *w = columns.data() + n * K;
      float partial[16] = {};
      int64_t k = 0;
      for (; k + 16 <= K; k += 16)
#if defined(__clang__)
#pragma clang loop vectorize(assume_safety)
#else
#pragma GCC ivdep
#endif
        for (int64_t l = 0; l < 16; ++l)
          partial[l] += x[k + l] * w[k + l];
      float sum = 0;
      for (int64_t l = 0; l < 16; ++l)
        sum += partial[l];
      for (; k < K; ++k)
        sum += x[k] * w[k];
      c[i * ldc + n] = accumulate ? c[i * ldc + n] + sum : sum;
    }
  }
}

/// Grow-only per-thread scratch for packed panels (never zeroed: packing
/// writes every element it later reads, padding included).
inline float *scratch(std::vector<float> &buffer, size_t count) {
  if (buffer.size() < count)
    buffer.resize(count);
  return buffer.data();
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
  // A is packed once, whole (KC slices of MR-row panels), in parallel over
  // row blocks; then each task owns a block of columns and, per KC slice,
  // packs that block of B once and runs all of A against it. (Packing A per
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
  thread_local std::vector<float> aAll;
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
    thread_local std::vector<float> bBuffer;
    int64_t kMax = std::min(kKC, K);
    float *bPack = scratch(bBuffer, ((nc + kNR - 1) / kNR) * kNR * kMax);
    for (int64_t k0 = 0; k0 < K; k0 += kKC) {
      int64_t kc = std::min(kKC, K - k0);
      bool acc = accumulate || k0 > 0;
      packPanels<kNR>(b, k0, kc, j0, nc, bPack);
      const float *aSlice = aPacked + k0 * mPad;
      for (int64_t i0 = 0; i0 < M; i0 += kMC) {
        int64_t mc = std::min(kMC, M - i0);
        for (int64_t jp = 0; jp < nc; jp += kNR)
          for (int64_t ip = 0; ip < mc; ip += kMR)
            microKernel(kc, aSlice + (i0 + ip) * kc,
                        bPack + (jp / kNR) * kc * kNR,
                        c + (i0 + ip) * ldc + j0 + jp, ldc,
                        std::min(kMR, mc - ip), std::min(kNR, nc - jp), acc);
      }
    }
  });
}

} // namespace kestrel::cpu

#endif // KESTREL_KERNELS_CPU_GEMM_H
